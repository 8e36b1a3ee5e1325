# Writes, for each step, the part of its page "Write it yourself" that comes from
# steps/exercises.cmake: the workspace file and the TODOs its starter holds, as an HTML
# fragment the page includes. The texts are the starters' own, so page and starter agree.
#   cmake -DSETTINGS=<docs-settings.cmake> -DOUT_DIR=<dir> -P workspace_html.cmake
cmake_minimum_required(VERSION 3.25)
include("${SETTINGS}")
include("${SOURCE_DIR}/cmake/workspace.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/html_escape.cmake")
include("${SOURCE_DIR}/steps/exercises.cmake")

file(MAKE_DIRECTORY "${OUT_DIR}")
foreach(step IN LISTS STEPS)
  get_property(blocks GLOBAL PROPERTY tutorial_exercises_${step})
  set(html "<div class=\"workspace\"><p>In <code>workspace/${step}/</code>, the lines you write:</p>\n<ul>\n")
  foreach(block IN LISTS blocks)
    get_property(todo GLOBAL PROPERTY tutorial_exercise_${step}_${block}_todo)
    get_property(file GLOBAL PROPERTY tutorial_exercise_${step}_${block}_file)
    html_escape(todo "${todo}")
    # `code` in a TODO becomes <code>code</code>.
    string(REGEX REPLACE "`([^`]*)`" "<code>\\1</code>" todo "${todo}")
    string(APPEND html "<li><code>${file}</code>, between the two <code>//! [${block}]</code> lines: ${todo}</li>\n")
  endforeach()
  string(APPEND html "</ul></div>\n")
  file(WRITE "${OUT_DIR}/${step}.html" "${html}")
endforeach()
