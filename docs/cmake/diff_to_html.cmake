# Writes "What changed since the previous step" for a page: the unified diff of two real steps
# (each C file of their folders), as an HTML fragment that the page includes with \htmlinclude.
#   cmake -DDIFF=<diff> -DSOURCE_DIR=<repository> -DOLD_STEP=<step or empty> -DNEW_STEP=<step>
#         -DOUT=<html> -P diff_to_html.cmake
# With OLD_STEP empty (the first step) the diff is against nothing: every line is new. The
# `//! [marker]` lines are left out (cmake/course_diff.cmake).
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/html_escape.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/course_diff.cmake)

# The marker lines are left out: they are for the quotes, not part of the lesson.
get_filename_component(out_dir "${OUT}" DIRECTORY)
get_filename_component(name "${OUT}" NAME_WE)
course_step_diff("${DIFF}" "${SOURCE_DIR}" "${OLD_STEP}" "${NEW_STEP}" "${out_dir}/${name}-work" diff)

set(html "<div class=\"diff\"><pre>")
if(diff STREQUAL "")
  string(APPEND html "(no change: the two files are the same)\n")
endif()
html_lines(lines "${diff}")
foreach(line IN LISTS lines)
  html_restore(line "${line}")
  if(line MATCHES "^(---|\\+\\+\\+) ")
    set(class "diff-file")
  elseif(line MATCHES "^@@")
    set(class "diff-hunk")
  elseif(line MATCHES "^\\+")
    set(class "diff-add")
  elseif(line MATCHES "^-")
    set(class "diff-del")
  else()
    set(class "")
  endif()
  if(class)
    string(APPEND html "<span class=\"${class}\">${line}</span>\n")
  else()
    string(APPEND html "${line}\n")
  endif()
endforeach()
string(APPEND html "</pre></div>\n")
file(WRITE "${OUT}" "${html}")
