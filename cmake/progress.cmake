# The learner's progress: runs each step's tests against the workspace's programs and says
# which steps are done.
#   cmake -DBINARY_DIR=<build/learn> -DSOURCE_DIR=<repository> -P progress.cmake
# (the `progress` target of the learn build: `cmake --build --preset learn --target progress`).
# A step is done when every one of its tests passes. Each step stops at its first failing test,
# and a wait gives up after 3 s instead of 15 (HARNESS_DEADLINE_MS), so that a step not done
# yet costs a few seconds, not minutes.
cmake_minimum_required(VERSION 3.25)
include("${SOURCE_DIR}/steps/course.cmake")

set(ENV{HARNESS_DEADLINE_MS} 3000)
set(done "")
set(next "")
foreach(step IN LISTS TUTORIAL_STEPS)
  string(SUBSTRING "${step}" 0 2 number)
  execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${BINARY_DIR}" -C Debug
    -L "^step${number}$" --stop-on-failure -j 4 --timeout 60
    RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(output MATCHES "No tests were found")
    message("  ${step}: not built on this system")
    continue()
  endif()
  if(failed)
    string(REGEX MATCH "[0-9]+ - (step[0-9]+_[A-Za-z0-9_]+) \\(Failed" first "${output}")
    if(CMAKE_MATCH_1)
      message("  ${step}: not yet (${CMAKE_MATCH_1} fails: `ctest --preset learn -R ${CMAKE_MATCH_1}` says why)")
    else()
      message("  ${step}: not yet")
    endif()
    if(NOT next)
      set(next "${step}")
    endif()
  else()
    message("  ${step}: done")
    list(APPEND done ${number})
  endif()
endforeach()
if(done)
  list(JOIN done " " done_text)
else()
  set(done_text "none")
endif()
if(next)
  message("steps done: ${done_text}; next: ${next}")
else()
  message("steps done: ${done_text}: every step is done")
endif()
