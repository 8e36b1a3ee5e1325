# Writes "What changed since the previous step" for a page: the unified diff of two real files,
# as an HTML fragment that the page includes with \htmlinclude.
#   cmake -DDIFF=<diff> -DOLD=<file or empty> -DOLD_LABEL=<name> -DNEW=<file> -DNEW_LABEL=<name>
#         -DOUT=<html> -P diff_to_html.cmake
# With OLD empty (the first step) the diff is against nothing: every line is new.
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/html_escape.cmake)

if(NOT OLD)
  get_filename_component(out_dir "${OUT}" DIRECTORY)
  set(OLD "${out_dir}/empty-file")
  set(OLD_LABEL "/dev/null")
  file(WRITE "${OLD}" "")
endif()
# --label keeps the build machine's paths and the files' times out of the page.
execute_process(
  COMMAND "${DIFF}" -u --label "${OLD_LABEL}" --label "${NEW_LABEL}" "${OLD}" "${NEW}"
  OUTPUT_VARIABLE diff
  ERROR_VARIABLE error
  RESULT_VARIABLE result)
if(result EQUAL 0)
  set(diff "")
elseif(NOT result EQUAL 1)
  message(FATAL_ERROR "diff failed (${result}): ${error}")
endif()

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
