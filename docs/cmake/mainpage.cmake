# Writes the main page from docs/pages/mainpage.md.in (a translation: docs/pages/LANGUAGE/),
# putting in the list of steps: one line per documented step, made from the @brief of its
# main.c ("Step 3: bind the socket ..."), or in a translation from its page's title.
#   cmake -DSETTINGS=<docs-settings.cmake> -DTEMPLATE=<mainpage.md.in> -DOUT=<md> -P mainpage.cmake
cmake_minimum_required(VERSION 3.25)

include("${SETTINGS}")

set(TUTORIAL_STEP_LIST "")
foreach(step IN LISTS STEPS)
  string(SUBSTRING "${step}" 0 2 number)
  if(NOT LANGUAGE STREQUAL "en")
    # A translation: the step's line is its translated page's title, without "Passo N: ".
    set(text "")
    if(EXISTS "${PAGES_DIR}/${step}.md")
      file(STRINGS "${PAGES_DIR}/${step}.md" title LIMIT_COUNT 1)
      string(REGEX REPLACE "^# [^:]*: (.*) {#step[0-9]+}$" "\\1" text "${title}")
    endif()
    string(APPEND TUTORIAL_STEP_LIST "- \\ref step${number} \"${step}\": ${text}\n")
    continue()
  endif()
  file(READ "${SOURCE_DIR}/steps/${step}/main.c" source)
  # The brief runs from "@brief" to the first empty comment line or the next tag.
  if(NOT source MATCHES "@brief ([^@]*)")
    message(FATAL_ERROR "steps/${step}/main.c: no @brief")
  endif()
  string(REGEX REPLACE "\n \\*[ \t]*\n.*" "" brief "${CMAKE_MATCH_1}")
  string(REGEX REPLACE "\n \\*/.*" "" brief "${brief}")
  string(REGEX REPLACE "[ \t]*\n[ \t]*\\*[ \t]*" " " brief "${brief}")
  string(STRIP "${brief}" brief)
  if(NOT brief MATCHES "^Step [0-9]+: (.*)$")
    message(FATAL_ERROR "steps/${step}/main.c: the @brief should read \"Step N: ...\", not \"${brief}\"")
  endif()
  set(text "${CMAKE_MATCH_1}")
  string(APPEND TUTORIAL_STEP_LIST "- \\ref step${number} \"${step}\": ${text}\n")
endforeach()
configure_file("${TEMPLATE}" "${OUT}" @ONLY)
# configure_file() leaves an unchanged file as it was, older than what it depends on; touch it,
# or the build would run this script (and all that depends on the main page) every time.
file(TOUCH "${OUT}")
