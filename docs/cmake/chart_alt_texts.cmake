# Gives each chart of the site its caption as alt text. Doxygen 1.9 writes a chart's file name
# (alt="msc_inline_mscgraph_7") however the page captions it (\msc "What the chart shows"),
# and a reader who cannot see the image hears that name. Run after Doxygen, before
# check_site.cmake, which then fails on any chart still without a caption.
#   cmake -DHTML_DIR=<html folder> -P chart_alt_texts.cmake
cmake_minimum_required(VERSION 3.25)

file(GLOB html_files "${HTML_DIR}/*.html")
foreach(file IN LISTS html_files)
  file(READ "${file}" content)
  if(NOT content MATCHES "alt=\"(msc_inline_mscgraph|inline_dotgraph)_[0-9]+\"")
    continue()
  endif()
  set(changed FALSE)
  # <img src="NAME.svg" alt="NAME" border="0"/>\n<div class="caption">\nCAPTION</div>
  string(REGEX MATCHALL "alt=\"[a-z_]+graph_[0-9]+\"[^>]*>[ \n]*<div class=\"caption\">[ \n]*[^<]*</div>"
    charts "${content}")
  foreach(chart IN LISTS charts)
    string(REGEX MATCH "alt=\"([a-z_]+graph_[0-9]+)\"" ignored "${chart}")
    set(name "${CMAKE_MATCH_1}")
    string(REGEX MATCH "<div class=\"caption\">[ \n]*([^<]*)</div>" ignored "${chart}")
    string(STRIP "${CMAKE_MATCH_1}" caption)
    string(REPLACE "\"" "&quot;" caption "${caption}")
    string(REPLACE "alt=\"${name}\"" "alt=\"${caption}\"" content "${content}")
    set(changed TRUE)
  endforeach()
  if(changed)
    file(WRITE "${file}" "${content}")
  endif()
endforeach()
