# Takes the marker lines (`//! [name]`) out of the site's code. They say where a quoted block
# starts and ends, for \snippet; a block quoted with another inside it would show the inner
# block's markers, and the source browser shows them all. They are the build's, not the
# reader's. Run after Doxygen; check_site.cmake then fails on any marker line left.
#   cmake -DHTML_DIR=<html folder> -P strip_markers.cmake
cmake_minimum_required(VERSION 3.25)

file(GLOB html_files "${HTML_DIR}/*.html")
foreach(file IN LISTS html_files)
  file(READ "${file}" content)
  string(FIND "${content}" "//! [" at)
  if(at EQUAL -1)
    continue()
  endif()
  # One code line a line of HTML: <div class="line">...<span class="comment">//! [name]</span></div>
  string(REGEX REPLACE "<div class=\"line\">[^\n]*//! \\[[a-z0-9-]+\\][^\n]*</div>\n" "" content
    "${content}")
  file(WRITE "${file}" "${content}")
endforeach()
