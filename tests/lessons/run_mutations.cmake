# The lesson-mutation check: proves that each step's lesson is tested, by taking the lesson
# out of a copy of the sources and running the step's tests against that copy.
#
#   cmake -DSOURCE_DIR=<repository> -DWORK_DIR=<scratch folder> -DPLATFORM=native|windows
#         [-DTOOLCHAIN=<toolchain file>] [-DGENERATOR=<generator>] [-DONLY=<lesson name>[;...]]
#         -P run_mutations.cmake
#
# (`cmake --build --preset default --target lesson-mutations` runs it for the native build,
# `cmake --build --preset windows --target lesson-mutations` for the Windows one, under Wine.)
#
# For each lesson of lessons.cmake made for this PLATFORM: replace its FIND text by its
# REPLACE text in the copy (the text must occur exactly once), rebuild, and run the test the
# step's page cites. If that test fails, the lesson is proven: "killed". If it passes, every
# test of the step's label runs: a failure there is still a kill, but the check fails, since
# the page cites the wrong test; no failure at all means the lesson's lines can go with every
# test green: "survived", and the check fails. A mutation that does not compile is "broken":
# the mutation is wrong, and the check fails. The copy is restored after each mutation.
cmake_minimum_required(VERSION 3.25)

foreach(required SOURCE_DIR WORK_DIR PLATFORM)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "run_mutations.cmake needs -D${required}=...")
  endif()
endforeach()

# lessons.cmake calls lesson() once per mutation; lesson_list.cmake collects them.
include("${SOURCE_DIR}/tests/lessons/lesson_list.cmake")
tutorial_read_lessons("${SOURCE_DIR}")
get_property(lesson_names GLOBAL PROPERTY lesson_names)

# A copy of the sources, configured and built once; each mutation then rebuilds what changed.
set(copy "${WORK_DIR}/src")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${copy}")
file(MAKE_DIRECTORY "${copy}")
file(GLOB top RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*")
foreach(entry IN LISTS top)
  if(NOT entry MATCHES "^(build|workspace|\\.git)$")
    file(COPY "${SOURCE_DIR}/${entry}" DESTINATION "${copy}")
  endif()
endforeach()
set(configure "${CMAKE_COMMAND}" -S "${copy}" -B "${build}" -D CMAKE_BUILD_TYPE=Debug
  -D TUTORIAL_WARNINGS_AS_ERRORS=OFF)
if(GENERATOR)
  list(APPEND configure -G "${GENERATOR}")
endif()
if(TOOLCHAIN)
  list(APPEND configure -D "CMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}")
endif()
execute_process(COMMAND ${configure} RESULT_VARIABLE failed OUTPUT_QUIET)
if(failed)
  message(FATAL_ERROR "lesson mutations: configuring the copy failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --config Debug --parallel 2
  RESULT_VARIABLE failed OUTPUT_QUIET)
if(failed)
  message(FATAL_ERROR "lesson mutations: the unchanged copy does not build")
endif()

# A test that a mutation breaks usually fails by waiting for what never comes: its waits give
# up after HARNESS_DEADLINE_MS. 15 s (the tests' default, for slow machines) would make every
# killed lesson cost that much; the check waits less, and first proves that the unchanged copy
# passes every cited test with that deadline, so that a failure below is the mutation's doing.
if(PLATFORM STREQUAL "windows")
  set(ENV{HARNESS_DEADLINE_MS} 8000) # Wine starts programs slowly
else()
  set(ENV{HARNESS_DEADLINE_MS} 4000)
endif()
# The lessons this run takes: of this platform, those ONLY names (all without it), and of
# those, this part's share.
set(chosen "")
set(index 0)
foreach(name IN LISTS lesson_names)
  get_property(platform GLOBAL PROPERTY lesson_${name}_PLATFORM)
  if(NOT platform STREQUAL PLATFORM OR (ONLY AND NOT name IN_LIST ONLY))
    continue()
  endif()
  if(PARTS)
    math(EXPR mine "${index} % ${PARTS} + 1")
    math(EXPR index "${index} + 1")
    if(NOT mine EQUAL PART)
      continue()
    endif()
  endif()
  list(APPEND chosen ${name})
endforeach()
set(cited "")
foreach(name IN LISTS chosen)
  get_property(test GLOBAL PROPERTY lesson_${name}_TEST)
  list(APPEND cited ${test})
endforeach()
list(REMOVE_DUPLICATES cited)
list(JOIN cited "|" cited_regex)
execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -C Debug
  -R "^(${cited_regex})$" -j 4 --timeout 120 --output-on-failure
  RESULT_VARIABLE baseline_failed OUTPUT_VARIABLE baseline_output ERROR_VARIABLE baseline_output)
if(baseline_failed)
  message(FATAL_ERROR "lesson mutations: the unchanged copy fails tests that lessons cite, "
    "with HARNESS_DEADLINE_MS=$ENV{HARNESS_DEADLINE_MS}; a mutation could not be told from it:\n"
    "${baseline_output}")
endif()

# The programs a step's tests run: the step's own, and any variant built from its sources
# (the step's name, then a suffix: 17-completion-ports-4-buffers). A mutation rebuilds those.
function(step_programs variable step)
  file(GLOB programs RELATIVE "${build}/bin" "${build}/bin/${step}" "${build}/bin/${step}.exe"
    "${build}/bin/${step}-*" "${build}/bin/Debug/${step}*")
  list(TRANSFORM programs REPLACE "^Debug/" "")
  list(TRANSFORM programs REPLACE "\\.exe$" "")
  list(REMOVE_DUPLICATES programs)
  set(${variable} "${programs}" PARENT_SCOPE)
endfunction()

# The report has a line per lesson; the lessons not killed are also kept apart, to be named
# again in the last lines, which are what a log cut to its end still shows.
set(report "")
set(not_killed_report "")
set(bad 0)
function(not_killed text)
  set(report "${report}${text}" PARENT_SCOPE)
  set(not_killed_report "${not_killed_report}${text}" PARENT_SCOPE)
  math(EXPR bad "${bad} + 1")
  set(bad ${bad} PARENT_SCOPE)
endfunction()
set(count 0)
string(TIMESTAMP started "%H:%M:%S")
foreach(name IN LISTS chosen)
  foreach(field IN LISTS TUTORIAL_LESSON_FIELDS)
    get_property(lesson_${field} GLOBAL PROPERTY lesson_${name}_${field})
  endforeach()
  math(EXPR count "${count} + 1")
  string(SUBSTRING "${lesson_STEP}" 0 2 number)
  set(label "step${number}")
  set(target "${copy}/${lesson_FILE}")
  file(READ "${target}" original)

  # Each text must be there exactly once: a lesson whose text moved must be updated.
  set(mutated "${original}")
  set(why "")
  foreach(pair "FIND;REPLACE" "FIND2;REPLACE2")
    list(GET pair 0 find_key)
    list(GET pair 1 replace_key)
    if("${lesson_${find_key}}" STREQUAL "")
      continue()
    endif()
    string(FIND "${mutated}" "${lesson_${find_key}}" first)
    string(FIND "${mutated}" "${lesson_${find_key}}" last REVERSE)
    if(first EQUAL -1)
      set(why "its ${find_key} text is not in ${lesson_FILE}")
    elseif(NOT first EQUAL last)
      set(why "its ${find_key} text is in ${lesson_FILE} more than once")
    else()
      string(REPLACE "${lesson_${find_key}}" "${lesson_${replace_key}}" mutated "${mutated}")
    endif()
  endforeach()
  if(why)
    not_killed("BROKEN    ${name}: ${why}\n")
    continue()
  endif()
  file(WRITE "${target}" "${mutated}")

  step_programs(programs ${lesson_STEP})
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --config Debug --parallel 2
      --target ${programs}
    RESULT_VARIABLE build_failed OUTPUT_VARIABLE build_output ERROR_VARIABLE build_output)
  if(build_failed)
    not_killed("BROKEN    ${name}: the mutated copy does not compile\n")
  else()
    # First the test the page cites; then, if it passed, the whole label.
    execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -C Debug
      -R "^${lesson_TEST}$" --timeout 120 --output-on-failure
      RESULT_VARIABLE cited_failed OUTPUT_VARIABLE cited_output ERROR_VARIABLE cited_output)
    if(NOT cited_output MATCHES "Test +#[0-9]+: ${lesson_TEST} ")
      not_killed("BROKEN    ${name}: no test is named ${lesson_TEST}\n")
    elseif(cited_failed)
      string(APPEND report "killed    ${name} (${lesson_STEP}): ${lesson_WHAT}\n            -> ${lesson_TEST} fails\n")
    else()
      execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -C Debug
        -L "^${label}$" -j 4 --timeout 120
        RESULT_VARIABLE label_failed OUTPUT_VARIABLE label_output ERROR_VARIABLE label_output)
      if(label_failed)
        string(REGEX MATCHALL "[0-9]+ - [A-Za-z0-9_]+ \\(Failed\\)" failed_tests "${label_output}")
        not_killed("MISCITED  ${name} (${lesson_STEP}): ${lesson_WHAT}\n            -> ${lesson_TEST} passes; killed by: ${failed_tests}\n")
      else()
        not_killed("SURVIVED  ${name} (${lesson_STEP}): ${lesson_WHAT}\n            -> every test of ${label} passes\n")
      endif()
    endif()
  endif()
  file(WRITE "${target}" "${original}")
  # The step's programs as they were: another step's tests may run them (the client's run the
  # complete server).
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --config Debug --parallel 2
      --target ${programs}
    OUTPUT_QUIET ERROR_QUIET)
endforeach()
# Leave the copy built as it was, for the next run.
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --config Debug --parallel 2
  OUTPUT_QUIET ERROR_QUIET)

string(TIMESTAMP ended "%H:%M:%S")
message("${report}")
if(PARTS)
  set(PLATFORM "${PLATFORM}, part ${PART} of ${PARTS}")
endif()
message("lesson mutations (${PLATFORM}): from ${started} to ${ended}")
if(count EQUAL 0)
  message(FATAL_ERROR "lesson mutations: no lesson is listed for ${PLATFORM}")
endif()
math(EXPR good "${count} - ${bad}")
if(bad)
  message(FATAL_ERROR "lesson mutations (${PLATFORM}): ${good} of ${count} killed by the test their page cites; ${bad} not:\n${not_killed_report}")
endif()
message("lesson mutations (${PLATFORM}): ${good} of ${count} killed by the test their page cites")
