# The starter check: every step's starter in the learner's workspace builds without a warning,
# and fails at least one of its step's tests, so that no exercise is solved before the learner
# starts. (That every reference program passes its tests is the ordinary test run.) Then the
# learner's loop, as a learner meets it, on step 5 (see learner_loop() below). In a Windows
# build, it proves instead that a workspace runs there: the starters build with MinGW, and two
# steps, given their reference solution, pass their tests under Wine.
#   cmake -DSOURCE_DIR=<repository> -DWORK_DIR=<scratch> [-DTOOLCHAIN=<file>]
#         [-DGENERATOR=<generator>] -P check_starters.cmake
cmake_minimum_required(VERSION 3.25)
include("${SOURCE_DIR}/steps/course.cmake")
include("${SOURCE_DIR}/cmake/learner.cmake")

set(workspace "${WORK_DIR}/workspace")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${workspace}")
set(configure "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${build}" -D CMAKE_BUILD_TYPE=Debug
  -D TUTORIAL_WARNINGS_AS_ERRORS=ON -D TUTORIAL_WORKSPACE=ON
  -D "TUTORIAL_WORKSPACE_DIR=${workspace}")
if(GENERATOR)
  list(APPEND configure -G "${GENERATOR}")
endif()
if(TOOLCHAIN)
  list(APPEND configure -D "CMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}")
endif()
execute_process(COMMAND ${configure} RESULT_VARIABLE failed OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(failed)
  message(FATAL_ERROR "starters: configuring the workspace failed:\n${output}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --config Debug --parallel 2
  RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(failed)
  message(FATAL_ERROR "starters: the workspace does not build without a warning:\n${output}")
endif()
message("every starter builds, with no compiler warning")

set(ENV{HARNESS_DEADLINE_MS} 3000)
set(problems "")
if(TOOLCHAIN)
  set(steps_to_run 01-initialize 05-accept) # under Wine: two steps, both ways
else()
  set(steps_to_run ${TUTORIAL_STEPS})
endif()
foreach(step IN LISTS steps_to_run)
  string(SUBSTRING "${step}" 0 2 number)
  tutorial_run_step_tests("${build}" ${number} outcome)
  if(outcome STREQUAL "absent")
    message("  ${step}: not built here")
    continue()
  endif()
  if(NOT outcome STREQUAL "passed")
    message("  ${step}: the starter fails ${outcome}, as it should")
  else()
    string(APPEND problems "  ${step}: the starter passes every test of step${number}: the exercise is solved already\n")
  endif()
endforeach()

if(TOOLCHAIN)
  # The reference solutions in the workspace: now the same tests pass, under Wine.
  foreach(step IN LISTS steps_to_run)
    # Copied and touched: file(COPY) would keep the old time, and the build would not notice.
    file(COPY_FILE "${SOURCE_DIR}/steps/${step}/main.c" "${workspace}/${step}/main.c")
    file(TOUCH "${workspace}/${step}/main.c")
  endforeach()
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --config Debug --parallel 2
    RESULT_VARIABLE failed OUTPUT_QUIET ERROR_QUIET)
  set(ENV{HARNESS_DEADLINE_MS} 15000)
  foreach(step IN LISTS steps_to_run)
    string(SUBSTRING "${step}" 0 2 number)
    execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -C Debug
      -L "^step${number}$" -j 4 --timeout 120
      RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
    if(failed)
      string(APPEND problems "  ${step}: with the reference solution in the workspace, tests fail:\n${output}\n")
    else()
      message("  ${step}: with its solution in the workspace, every test passes")
    endif()
  endforeach()
endif()

if(problems)
  message(FATAL_ERROR "starters:\n${problems}")
endif()
message("starters: every step's starter builds and is not solved yet")

# The learner's loop, as a learner meets it on step 5: the progress of a new workspace runs
# nothing; the step's one command fails on a file that does not compile, naming the compiler's
# error, and so do the step's tests run by CTest alone; with the file fixed, the command passes;
# and the progress summary then runs no step again.
function(expect_run what expect_failure expected_text)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(expect_failure AND NOT failed)
    set(verdict "it succeeded, and should have failed")
  elseif(NOT expect_failure AND failed)
    set(verdict "it failed, and should have succeeded")
  else()
    string(FIND "${output}" "${expected_text}" at)
    if(at EQUAL -1)
      set(verdict "its output does not say \"${expected_text}\"")
    else()
      message("  ${what}: as expected")
      return()
    endif()
  endif()
  message(FATAL_ERROR "learner's loop: ${what}: ${verdict}. It printed:\n${output}")
endfunction()

if(NOT TOOLCHAIN)
  set(build_step "${CMAKE_COMMAND}" --build "${build}" --config Debug)
  expect_run("the progress of an untouched workspace runs no step" FALSE "steps run now: 0;"
    ${build_step} --target progress)
  file(READ "${SOURCE_DIR}/steps/05-accept/main.c" solution)
  string(FIND "${solution}" "closesocket(ListenSocket);" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "learner's loop: steps/05-accept/main.c no longer closes ListenSocket: choose another broken edit")
  endif()
  string(REPLACE "closesocket(ListenSocket);" "closesocket(ListenSocket)" broken "${solution}")
  file(WRITE "${workspace}/05-accept/main.c" "${broken}")
  expect_run("a step that does not compile fails its check, naming the error" TRUE
    "does not compile. The compiler's first error:" ${build_step} --target step05)
  expect_run("its tests, run by CTest alone, do not run an old program" TRUE
    "step05_your_code_compiles" "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -C Debug -L "^step05$")
  file(WRITE "${workspace}/05-accept/main.c" "${solution}")
  expect_run("the same step, fixed, passes its check" FALSE "Step 5 is done"
    ${build_step} --target step05)
  expect_run("the progress then runs no step again" FALSE "steps run now: 0;"
    ${build_step} --target progress)
  expect_run("and counts step 5 done" FALSE "  05-accept: done" ${build_step} --target progress)
  message("learner's loop: as a learner meets it")
endif()
