# tutorial_run_step_tests(<build folder> <step number> <result variable>)
#   Runs step NN's tests (label stepNN) in a build, stopping at the first failure, and sets
#   <result variable> to `absent` (the step is not built there), `passed`, or the name of
#   the first test that failed, whatever its failure (an assertion, a timeout, a crash), or
#   `failed` if CTest's output names none.
#   Shared by the learner's progress (progress.cmake) and the starter check.
function(tutorial_run_step_tests build number result)
  execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -C Debug
    -L "^step${number}$" --stop-on-failure -j 4 --timeout 60
    RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(output MATCHES "No tests were found")
    set(${result} absent PARENT_SCOPE)
  elseif(NOT failed)
    set(${result} passed PARENT_SCOPE)
  else()
    # CTest lists them after "The following tests FAILED:", as `NN - name (reason)`; skipped
    # tests are listed before it, under "did not run", and are no failure.
    string(REGEX REPLACE ".*The following tests FAILED:" "" failures "${output}")
    if(failures MATCHES "[0-9]+ - (step[0-9]+_[A-Za-z0-9_]+) \\(")
      set(${result} "${CMAKE_MATCH_1}" PARENT_SCOPE)
    else()
      set(${result} failed PARENT_SCOPE)
    endif()
  endif()
endfunction()
