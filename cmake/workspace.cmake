# The learner's workspace: a copy of every step in which the step's lesson is left to write.
#
# tutorial_make_workspace(<steps folder> <workspace folder> <keys folder> <step>...) makes,
# for each step, <workspace>/<step>/ from <steps>/<step>/: the files copied, except that in
# each block that steps/exercises.cmake names, the lines between the block's two `//! [name]`
# markers give way to a TODO comment that states the task, where to read about it and how to
# check it (and to the KEEP code, if any, and a line that marks the USES names used, so that
# the starter compiles without a warning). A file that exists already is never touched: it is
# the learner's work. To start a step over, delete its folder (or its main.c) and configure
# again.
#
# It also writes <keys folder>/starter-<step>.sha256, the key of each step's starter
# (cmake/learner.cmake), so that the learner's progress knows an untouched step without
# building it.
#
# Used by the top-level CMakeLists.txt when TUTORIAL_WORKSPACE is ON (the `learn` presets),
# and by tests/lessons/check_starters.cmake.

set(TUTORIAL_WORKSPACE_SOURCE "${CMAKE_CURRENT_LIST_DIR}/..")

include("${CMAKE_CURRENT_LIST_DIR}/learner.cmake")

# Collects the exercises of steps/exercises.cmake.
function(tutorial_exercise step block todo)
  cmake_parse_arguments(PARSE_ARGV 3 arg "" "FILE;KEEP;TODO_PT" "USES")
  if(NOT arg_FILE)
    set(arg_FILE main.c)
  endif()
  set_property(GLOBAL APPEND PROPERTY tutorial_exercises_${step} "${block}")
  set_property(GLOBAL PROPERTY tutorial_exercise_${step}_${block}_todo "${todo}")
  set_property(GLOBAL PROPERTY tutorial_exercise_${step}_${block}_todo_pt-BR "${arg_TODO_PT}")
  set_property(GLOBAL PROPERTY tutorial_exercise_${step}_${block}_file "${arg_FILE}")
  set_property(GLOBAL PROPERTY tutorial_exercise_${step}_${block}_keep "${arg_KEEP}")
  set_property(GLOBAL PROPERTY tutorial_exercise_${step}_${block}_uses "${arg_USES}")
endfunction()

# The TODOs speak the language TUTORIAL_LANGUAGE names (en unless set; pt-BR: Brazilian
# Portuguese), and point to the step's page in that language.
if(NOT TUTORIAL_LANGUAGE)
  set(TUTORIAL_LANGUAGE en)
endif()

# tutorial_exercise_todo(<variable> <step> <block>): an exercise's task in TUTORIAL_LANGUAGE.
function(tutorial_exercise_todo variable step block)
  if(TUTORIAL_LANGUAGE STREQUAL "en")
    get_property(todo GLOBAL PROPERTY tutorial_exercise_${step}_${block}_todo)
  else()
    get_property(todo GLOBAL PROPERTY tutorial_exercise_${step}_${block}_todo_${TUTORIAL_LANGUAGE})
    if(todo STREQUAL "")
      message(FATAL_ERROR "steps/exercises.cmake: the exercise ${block} of ${step} has no text in "
        "${TUTORIAL_LANGUAGE} (TODO_PT)")
    endif()
  endif()
  set(${variable} "${todo}" PARENT_SCOPE)
endfunction()

# Wraps @p text at about 96 columns into a C comment indented by @p indent, followed by where
# the step's page is and the command that checks the step.
function(tutorial_todo_comment out indent number step text)
  tutorial_check_command(check "${step}")
  # Semicolons separate CMake's list items: they travel as @SEMICOLON@ until the end.
  string(REPLACE ";" "@SEMICOLON@" text "${text}")
  if(TUTORIAL_LANGUAGE STREQUAL "en")
    tutorial_step_title(title "${TUTORIAL_WORKSPACE_SOURCE}" "${step}")
    set(paragraphs "TODO (step ${number}): ${text}"
      "Read: \"${title}\", section \"Write it yourself\": build/default/docs/html/step${number}.html (cmake --workflow --preset docs makes the site)."
      "Check: ${check}")
  else()
    tutorial_step_title(title "${TUTORIAL_WORKSPACE_SOURCE}" "${TUTORIAL_LANGUAGE}/${step}")
    set(paragraphs "TODO (passo ${number}): ${text}"
      "Leia: \"${title}\", seção \"Escreva você mesmo\": build/default/docs/html/${TUTORIAL_LANGUAGE}/step${number}.html (cmake --workflow --preset docs gera o site)."
      "Verifique: ${check}")
  endif()
  set(lines "")
  foreach(paragraph IN LISTS paragraphs)
    string(REPLACE " " ";" words "${paragraph}")
    if(lines)
      set(line "${indent} *")
    else()
      set(line "${indent}/*")
    endif()
    foreach(word IN LISTS words)
      string(LENGTH "${line} ${word}" length)
      if(length GREATER 96)
        list(APPEND lines "${line}")
        set(line "${indent} *")
      endif()
      string(APPEND line " ${word}")
    endforeach()
    list(APPEND lines "${line}")
  endforeach()
  list(JOIN lines "\n" comment)
  string(APPEND comment " */")
  string(REPLACE "@SEMICOLON@" ";" comment "${comment}")
  set(${out} "${comment}" PARENT_SCOPE)
endfunction()

# The starter of one file: @p source with the named blocks replaced.
function(tutorial_starter_text out source step blocks)
  file(READ "${source}" text)
  string(SUBSTRING "${step}" 0 2 number)
  foreach(block IN LISTS blocks)
    tutorial_exercise_todo(todo ${step} ${block})
    get_property(keep GLOBAL PROPERTY tutorial_exercise_${step}_${block}_keep)
    get_property(uses GLOBAL PROPERTY tutorial_exercise_${step}_${block}_uses)
    set(tag "//! [${block}]")
    string(FIND "${text}" "${tag}" first)
    if(first EQUAL -1)
      message(FATAL_ERROR "workspace: ${source} has no block ${block} (steps/exercises.cmake)")
    endif()
    string(LENGTH "${tag}" tag_length)
    math(EXPR body_start "${first} + ${tag_length}")
    string(SUBSTRING "${text}" ${body_start} -1 rest)
    string(FIND "${rest}" "${tag}" second)
    if(second EQUAL -1)
      message(FATAL_ERROR "workspace: ${source}: block ${block} is not closed")
    endif()
    # The indentation of the opening marker's line, for the TODO.
    string(SUBSTRING "${text}" 0 ${first} before_tag)
    string(FIND "${before_tag}" "\n" line_start REVERSE)
    math(EXPR line_start "${line_start} + 1")
    math(EXPR indent_length "${first} - ${line_start}")
    string(SUBSTRING "${text}" ${line_start} ${indent_length} indent)
    tutorial_todo_comment(comment "${indent}" ${number} ${step} "${todo}")
    set(replacement "\n${comment}\n")
    # What the missing lines used: marked used, so that the starter compiles without a warning.
    if(uses)
      list(TRANSFORM uses PREPEND "(void)")
      list(JOIN uses "; " used)
      string(APPEND replacement "${indent}${used}; /* used by the lines you write */\n")
    endif()
    if(NOT keep STREQUAL "")
      string(REPLACE "\\n" "\n" keep "${keep}")
      string(APPEND replacement "${keep}\n")
    endif()
    string(APPEND replacement "${indent}")
    string(SUBSTRING "${text}" 0 ${body_start} before)
    math(EXPR after_start "${body_start} + ${second}")
    string(SUBSTRING "${text}" ${after_start} -1 after)
    set(text "${before}${replacement}${after}")
  endforeach()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# tutorial_make_workspace(<steps folder> <workspace folder> <keys folder> <step>...)
function(tutorial_make_workspace steps_dir workspace_dir keys_dir)
  include("${TUTORIAL_WORKSPACE_SOURCE}/steps/exercises.cmake")
  set(made "")
  foreach(step IN LISTS ARGN)
    get_property(blocks GLOBAL PROPERTY tutorial_exercises_${step})
    if(NOT blocks)
      message(FATAL_ERROR "workspace: steps/exercises.cmake has no exercise for ${step}")
    endif()
    file(GLOB files RELATIVE "${steps_dir}/${step}" "${steps_dir}/${step}/*")
    list(SORT files)
    set(key_lines "")
    foreach(file IN LISTS files)
      set(file_blocks "")
      foreach(block IN LISTS blocks)
        get_property(block_file GLOBAL PROPERTY tutorial_exercise_${step}_${block}_file)
        if(block_file STREQUAL file)
          list(APPEND file_blocks ${block})
        endif()
      endforeach()
      if(file_blocks)
        tutorial_starter_text(text "${steps_dir}/${step}/${file}" ${step} "${file_blocks}")
      else()
        file(READ "${steps_dir}/${step}/${file}" text)
      endif()
      string(SHA256 hash "${text}")
      string(APPEND key_lines "${file} ${hash}\n")
      set(destination "${workspace_dir}/${step}/${file}")
      if(EXISTS "${destination}")
        continue() # the learner's: never overwritten
      endif()
      file(WRITE "${destination}" "${text}")
      if(file_blocks)
        list(APPEND made "${step}/${file}")
      endif()
    endforeach()
    # The same key as tutorial_files_key() makes of the folder (cmake/learner.cmake).
    string(SHA256 key "${key_lines}")
    file(WRITE "${keys_dir}/starter-${step}.sha256" "${key}")
  endforeach()
  set(TUTORIAL_WORKSPACE_MADE "${made}" PARENT_SCOPE)
endfunction()
