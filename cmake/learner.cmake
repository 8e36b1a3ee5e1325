# The learner's loop, for the workspace build (`cmake --workflow --preset learn`): checking one
# step, and knowing which steps are done without running them all again. Used by
# check_step.cmake (the target stepNN: `cmake --build --preset learn --target step05`), by
# progress.cmake (the target progress) and by tests/lessons/check_starters.cmake.
#
# A check builds the step's program and its tests' programs first, so that no test ever runs
# a program older than its source: code that does not compile fails the check, and the check
# names the compiler's first error. Each check's verdict is kept in <build>/learner/<step>.cmake
# with a key made of the contents of the learner's files and of the tutorial's own files
# (tests, common library, build scripts): as long as the key is the same, the verdict stands,
# and the progress summary need not run the step again.

# tutorial_step_number(<variable> <step>): "05" for "05-accept".
function(tutorial_step_number variable step)
  string(SUBSTRING "${step}" 0 2 number)
  set(${variable} "${number}" PARENT_SCOPE)
endfunction()

# tutorial_step_title(<variable> <repository> <step>): the title of the step's page, from the
# first line of docs/pages/<step>.md ("Step 5: Accept a client").
function(tutorial_step_title variable source_dir step)
  file(STRINGS "${source_dir}/docs/pages/${step}.md" first LIMIT_COUNT 1)
  string(REGEX REPLACE "^# (.*) {#step[0-9]+}$" "\\1" title "${first}")
  set(${variable} "${title}" PARENT_SCOPE)
endfunction()

# tutorial_text_key(<variable> <name> <text>...): one line of a key, for a file's name and text.
function(tutorial_text_key variable name text)
  string(SHA256 hash "${text}")
  set(${variable} "${name} ${hash}\n" PARENT_SCOPE)
endfunction()

# tutorial_files_key(<variable> <folder> <glob>...): a key of the names and contents of the
# files below <folder> that match the globs.
function(tutorial_files_key variable folder)
  set(globs "")
  foreach(glob IN LISTS ARGN)
    list(APPEND globs "${folder}/${glob}")
  endforeach()
  file(GLOB_RECURSE files RELATIVE "${folder}" ${globs})
  list(SORT files)
  set(lines "")
  foreach(file IN LISTS files)
    file(SHA256 "${folder}/${file}" hash)
    string(APPEND lines "${file} ${hash}\n")
  endforeach()
  string(SHA256 key "${lines}")
  set(${variable} "${key}" PARENT_SCOPE)
endfunction()

# tutorial_tools_key(<variable> <repository>): a key of everything besides the learner's files
# that decides a step's verdict: the tests and their harness, the common library, the build
# scripts, and the complete server that the client's tests talk to.
function(tutorial_tools_key variable source_dir)
  tutorial_files_key(key "${source_dir}" "CMakeLists.txt" "tests/*" "common/*" "cmake/*"
    "steps/*.cmake" "steps/10-complete-server/*")
  set(${variable} "${key}" PARENT_SCOPE)
endfunction()

# tutorial_step_key(<variable> <tools key> <workspace> <step>): the key of a step's verdict.
function(tutorial_step_key variable tools_key workspace step)
  tutorial_files_key(files_key "${workspace}/${step}" "*")
  string(SHA256 key "${tools_key} ${files_key}")
  set(${variable} "${key}" PARENT_SCOPE)
endfunction()

# tutorial_build_step(<build> <source> <step> <outcome var> <detail var> <warnings var>
#                     <output var>)
#   Builds what a step's tests run: its program and its tests' programs (the list the tests'
#   configuration wrote to <build>/learner/targets-stepNN.txt). Sets <outcome var> to
#   `absent` (not built on this system), `built` or `does-not-compile`; <detail var> to the
#   compiler's first error, <warnings var> to the number of warnings, <output var> to what the
#   compiler printed (the build tool's progress lines left out).
function(tutorial_build_step build source step outcome_var detail_var warnings_var output_var)
  tutorial_step_number(number "${step}")
  set(list_file "${build}/learner/targets-step${number}.txt")
  set(${detail_var} "" PARENT_SCOPE)
  set(${warnings_var} 0 PARENT_SCOPE)
  set(${output_var} "" PARENT_SCOPE)
  if(NOT EXISTS "${list_file}")
    set(${outcome_var} absent PARENT_SCOPE)
    return()
  endif()
  file(STRINGS "${list_file}" targets)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --config Debug --target ${targets}
    RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
  # What the compiler said, without the build tool's own lines.
  string(REPLACE ";" "\\;" output "${output}")
  string(REPLACE "\n" ";" lines "${output}")
  set(said "")
  set(first_error "")
  set(warnings 0)
  foreach(line IN LISTS lines)
    if(line MATCHES "^\\[ *[0-9]+%\\]|^(g?make|ninja)(\\[[0-9]+\\])?:|^Consolidate compiler|^ninja: |^-- "
       OR line STREQUAL "")
      continue()
    endif()
    string(REPLACE "${source}/" "" line "${line}")
    string(APPEND said "${line}\n")
    if(line MATCHES ": warning[: ]|warning C[0-9]+")
      math(EXPR warnings "${warnings} + 1")
    endif()
    if(NOT first_error AND line MATCHES ": (fatal )?error[: ]|error C[0-9]+|error LNK[0-9]+|undefined reference")
      set(first_error "${line}")
    endif()
  endforeach()
  set(${warnings_var} ${warnings} PARENT_SCOPE)
  set(${output_var} "${said}" PARENT_SCOPE)
  if(failed)
    if(NOT first_error)
      set(first_error "the build failed (its output is above)")
    endif()
    set(${outcome_var} does-not-compile PARENT_SCOPE)
    set(${detail_var} "${first_error}" PARENT_SCOPE)
  else()
    set(${outcome_var} built PARENT_SCOPE)
  endif()
endfunction()

# tutorial_run_step_tests(<build folder> <step number> <result variable> [ALL])
#   Runs step NN's tests (label stepNN) in a build and sets <result variable> to `absent`
#   (the step is not built there), `passed`, or the name of the first test that failed,
#   whatever its failure (an assertion, a timeout, a crash), or `failed` if CTest's output
#   names none. Without ALL it stops at the first failure and prints nothing (the progress
#   summary, the starter check); with ALL it runs every test and shows what failing tests
#   printed (a learner's check).
function(tutorial_run_step_tests build number result)
  set(command "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -C Debug -L "^step${number}$" -j 4
    --timeout 120)
  if("ALL" IN_LIST ARGN)
    execute_process(COMMAND ${command} --output-on-failure RESULT_VARIABLE failed)
    set(output "")
    if(failed AND EXISTS "${build}/Testing/Temporary/LastTestsFailed.log")
      file(STRINGS "${build}/Testing/Temporary/LastTestsFailed.log" failures)
      list(GET failures 0 first)
      string(REGEX REPLACE "^[0-9]+:" "" first "${first}")
      set(output "The following tests FAILED:\n 1 - ${first} (Failed)")
    endif()
  else()
    execute_process(COMMAND ${command} --stop-on-failure
      RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
  endif()
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

# tutorial_check_step(<build> <repository> <workspace> <tools key> <step> [ALL])
#   Checks one step of the workspace, builds it and runs its tests (ALL: as
#   tutorial_run_step_tests says), keeps the verdict under its key, and sets in the caller:
#   learner_outcome (absent, does-not-compile, passed or failed), learner_detail (the
#   compiler's first error, or the first failing test), learner_warnings (the compiler's
#   warnings) and learner_compiler_output.
function(tutorial_check_step build source workspace tools_key step)
  tutorial_step_number(number "${step}")
  tutorial_step_key(key "${tools_key}" "${workspace}" "${step}")
  tutorial_build_step("${build}" "${source}" "${step}" outcome detail warnings output)
  if(outcome STREQUAL "built")
    tutorial_run_step_tests("${build}" ${number} tests ${ARGN})
    if(tests STREQUAL "passed" OR tests STREQUAL "absent")
      set(outcome "${tests}")
    else()
      set(outcome failed)
      set(detail "${tests}")
    endif()
  endif()
  if(NOT outcome STREQUAL "absent")
    file(WRITE "${build}/learner/${step}.cmake"
      "set(kept_key \"${key}\")\nset(kept_outcome \"${outcome}\")\n"
      "set(kept_detail [==[${detail}]==])\nset(kept_warnings ${warnings})\n")
  endif()
  set(learner_outcome "${outcome}" PARENT_SCOPE)
  set(learner_detail "${detail}" PARENT_SCOPE)
  set(learner_warnings "${warnings}" PARENT_SCOPE)
  set(learner_compiler_output "${output}" PARENT_SCOPE)
endfunction()

# tutorial_kept_verdict(<build> <workspace> <tools key> <step>)
#   Sets kept_outcome in the caller to the verdict kept for the step if the step's files and
#   the tutorial's are the same as when it was checked, `not-started` if the step's files are
#   its starter's, untouched, and to nothing otherwise; and kept_detail, kept_warnings.
function(tutorial_kept_verdict build workspace tools_key step)
  set(kept_outcome "" PARENT_SCOPE)
  set(kept_detail "" PARENT_SCOPE)
  set(kept_warnings 0 PARENT_SCOPE)
  tutorial_files_key(files_key "${workspace}/${step}" "*")
  set(starter "${build}/learner/starter-${step}.sha256")
  if(EXISTS "${starter}")
    file(READ "${starter}" starter_key)
    if(starter_key STREQUAL files_key)
      set(kept_outcome not-started PARENT_SCOPE)
      return()
    endif()
  endif()
  set(verdict "${build}/learner/${step}.cmake")
  if(EXISTS "${verdict}")
    include("${verdict}")
    tutorial_step_key(key "${tools_key}" "${workspace}" "${step}")
    if(key STREQUAL kept_key)
      set(kept_outcome "${kept_outcome}" PARENT_SCOPE)
      set(kept_detail "${kept_detail}" PARENT_SCOPE)
      set(kept_warnings "${kept_warnings}" PARENT_SCOPE)
    endif()
  endif()
endfunction()

# tutorial_check_command(<variable> <step>): what a learner types to check a step.
function(tutorial_check_command variable step)
  tutorial_step_number(number "${step}")
  set(${variable} "cmake --build --preset learn --target step${number}" PARENT_SCOPE)
endfunction()
