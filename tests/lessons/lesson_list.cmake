# Reads tests/lessons/lessons.cmake: one lesson() call per lesson of a step. Shared by the
# lesson-mutation check (run_mutations.cmake), the tests (tests/CMakeLists.txt: a failing
# test names the lesson it proves) and the docs (each page's "Proven by" table).
#
#   include(tests/lessons/lesson_list.cmake)
#   tutorial_read_lessons(<repository>)
#
# Afterwards the global property `lesson_names` lists the lessons in the file's order, and
# `lesson_<name>_<FIELD>` holds each field: STEP, TEST, PLATFORM (native or windows), LESSON
# (the lesson in a sentence, for a learner), LESSON_PT (the same in Brazilian Portuguese, for
# the Portuguese site), WHAT (what the mutation takes away), FILE (the
# file the mutation edits, relative to the repository), FIND, REPLACE, FIND2, REPLACE2.

set(TUTORIAL_LESSON_FIELDS STEP TEST PLATFORM LESSON LESSON_PT WHAT FILE FIND REPLACE FIND2
  REPLACE2)

function(lesson name)
  get_property(known GLOBAL PROPERTY lesson_names)
  if(name IN_LIST known)
    message(FATAL_ERROR "lesson ${name}: the name is used twice")
  endif()
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "${TUTORIAL_LESSON_FIELDS}" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "lesson ${name}: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  foreach(required STEP TEST LESSON WHAT FIND)
    if(NOT DEFINED arg_${required})
      message(FATAL_ERROR "lesson ${name}: ${required} is missing")
    endif()
  endforeach()
  if(NOT arg_PLATFORM)
    set(arg_PLATFORM native)
  endif()
  if(NOT arg_FILE)
    set(arg_FILE "steps/${arg_STEP}/main.c")
  endif()
  foreach(field IN LISTS TUTORIAL_LESSON_FIELDS)
    set_property(GLOBAL PROPERTY lesson_${name}_${field} "${arg_${field}}")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY lesson_names ${name})
endfunction()

function(tutorial_read_lessons source_dir)
  get_property(read GLOBAL PROPERTY tutorial_lessons_read)
  if(NOT read)
    set_property(GLOBAL PROPERTY tutorial_lessons_read TRUE)
    include("${source_dir}/tests/lessons/lessons.cmake")
  endif()
endfunction()
