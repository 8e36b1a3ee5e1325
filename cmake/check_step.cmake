# Checks one step of the learner's workspace: builds it, runs all its tests, and says where the
# learner stands. The target stepNN of the workspace build runs it:
#   cmake --build --preset learn --target step05
# which is `cmake -DBINARY_DIR=<build> -DSOURCE_DIR=<repository> -DWORKSPACE=<workspace>
# -DSTEP=05-accept -P check_step.cmake`, followed by a command that fails when the check did:
# this script writes `passed` or `failed` to <build>/learner/verdict-05-accept.txt.
# With -DONLY_BUILD=ON it only builds, and fails if the step does not compile: the test
# stepNN_your_code_compiles, which every test of the step waits for.
cmake_minimum_required(VERSION 3.25)
include("${SOURCE_DIR}/steps/course.cmake")
include("${SOURCE_DIR}/cmake/learner.cmake")

tutorial_step_number(number "${STEP}")
if(ONLY_BUILD)
  tutorial_build_step("${BINARY_DIR}" "${SOURCE_DIR}" "${STEP}" outcome first_error warnings output)
  message("${output}")
  if(outcome STREQUAL "does-not-compile")
    message(FATAL_ERROR "${STEP} does not compile. The compiler's first error:\n  ${first_error}")
  endif()
  return()
endif()
string(REGEX REPLACE "^0" "" shown_number "${number}")
set(verdict_file "${BINARY_DIR}/learner/verdict-${STEP}.txt")
file(WRITE "${verdict_file}" "failed")
# The tests' waits give up after 5 s instead of 15: a learner's bug fails sooner.
set(ENV{HARNESS_DEADLINE_MS} 5000)

tutorial_tools_key(tools_key "${SOURCE_DIR}")
message("Building ${STEP} from ${WORKSPACE}/${STEP}/ ...")
tutorial_check_step("${BINARY_DIR}" "${SOURCE_DIR}" "${WORKSPACE}" "${tools_key}" "${STEP}" ALL)
if(learner_compiler_output AND NOT learner_outcome STREQUAL "does-not-compile")
  message("${learner_compiler_output}")
endif()

if(learner_outcome STREQUAL "absent")
  message("${STEP} is not built on this system (its CMakeLists.txt says why, when configuring).")
  file(WRITE "${verdict_file}" "passed")
  return()
endif()
if(learner_outcome STREQUAL "does-not-compile")
  message("${learner_compiler_output}")
  message("Step ${shown_number} is not done: ${STEP} does not compile. The compiler's first error:\n"
    "  ${learner_detail}\n"
    "Fix it, then check again: cmake --build --preset learn --target step${number}")
  return()
endif()

set(warned "")
if(learner_warnings GREATER 0)
  set(warned "\nThe compiler warned ${learner_warnings} time(s) about your code: see above.")
endif()
if(learner_outcome STREQUAL "passed")
  file(WRITE "${verdict_file}" "passed")
  list(FIND TUTORIAL_STEPS "${STEP}" at)
  math(EXPR at "${at} + 1")
  list(LENGTH TUTORIAL_STEPS count)
  if(at LESS count)
    list(GET TUTORIAL_STEPS ${at} next)
    tutorial_check_command(next_command "${next}")
    set(then "Next: ${next}, checked with: ${next_command}")
  else()
    set(then "That was the last step: every step of the course is yours now.")
  endif()
  message("Step ${shown_number} is done: every test of step${number} passes.${warned}\n${then}")
else()
  message("Step ${shown_number} is not done yet: ${learner_detail} fails, and the tests above say "
    "why.${warned}\nCheck again with: cmake --build --preset learn --target step${number}")
endif()
