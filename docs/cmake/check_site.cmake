# Checks the generated site; fails the docs build with every problem found.
#   cmake -DSETTINGS=<docs-settings.cmake> -P check_site.cmake
# - every local link (href="..." and src="..." in the HTML files, and the pages of the tree
#   view's data) leads to a file that exists, and, if it names an anchor (#...), to an anchor
#   that exists in that file; links to other sites (http:, https:, mailto:) are not followed;
# - the tree view lists the step pages in the tutorial's order;
# - no page shows Markdown that did not render: a literal `**` outside code (Doxygen 1.9 leaves
#   it when a bold phrase starts with a code span);
# - every chart (a message-sequence chart, a graph) has an alt text that says something, not
#   the generated file's name;
# - every page reads in one sitting (docs/tools/page_check.c: its prose within its budget, no
#   paragraph over 100 words, no test named in the prose), and no page of the site shows a
#   code marker line (//! [name]).
#   cmake -DSETTINGS=<docs-settings.cmake> -DPAGE_CHECK=<page_check> -P check_site.cmake
cmake_minimum_required(VERSION 3.25)

include("${SETTINGS}")

set(problems "")
set(checked 0)

# anchors_of(<var> <file>): the ids and names of <file>, read once.
function(anchors_of var file)
  string(MAKE_C_IDENTIFIER "anchors_${file}" key)
  get_property(known GLOBAL PROPERTY ${key} SET)
  if(NOT known)
    file(READ "${file}" content)
    string(REGEX MATCHALL "(id|name)=\"[^\"]*\"" found "${content}")
    string(REGEX REPLACE "(id|name)=\"([^\"]*)\"" "\\2" found "${found}")
    set_property(GLOBAL PROPERTY ${key} "${found}")
  endif()
  get_property(found GLOBAL PROPERTY ${key})
  set(${var} "${found}" PARENT_SCOPE)
endfunction()

# check_link(<from-file> <link>): records a problem if a local link is broken.
macro(check_link from link)
  set(target "${link}")
  set(anchor "")
  if(target MATCHES "^([^#]*)#(.*)$")
    set(target "${CMAKE_MATCH_1}")
    set(anchor "${CMAKE_MATCH_2}")
  endif()
  string(REGEX REPLACE "\\?.*$" "" target "${target}")
  get_filename_component(from_dir "${from}" DIRECTORY)
  if(target STREQUAL "")
    set(path "${from}")
  else()
    get_filename_component(path "${target}" ABSOLUTE BASE_DIR "${from_dir}")
  endif()
  file(RELATIVE_PATH shown_from "${HTML_DIR}" "${from}")
  math(EXPR checked "${checked} + 1")
  if(NOT EXISTS "${path}")
    string(APPEND problems "  ${shown_from}: broken link ${link}\n")
  elseif(anchor AND NOT anchor MATCHES "^!" AND path MATCHES "\\.html$")
    anchors_of(anchors "${path}")
    if(NOT anchor IN_LIST anchors)
      string(APPEND problems "  ${shown_from}: ${link}: no anchor \"${anchor}\" there\n")
    endif()
  endif()
endmacro()

# remove_between(<var> <open> <close>): drops from <var> every part from <open> to <close>.
function(remove_between var open close)
  set(text "${${var}}")
  string(LENGTH "${close}" close_length)
  set(kept "")
  string(FIND "${text}" "${open}" start)
  while(NOT start EQUAL -1)
    string(SUBSTRING "${text}" 0 ${start} before)
    string(APPEND kept "${before}")
    string(SUBSTRING "${text}" ${start} -1 text)
    string(FIND "${text}" "${close}" end)
    if(end EQUAL -1)
      set(text "")
      break()
    endif()
    math(EXPR end "${end} + ${close_length}")
    string(SUBSTRING "${text}" ${end} -1 text)
    string(FIND "${text}" "${open}" start)
  endwhile()
  set(${var} "${kept}${text}" PARENT_SCOPE)
endfunction()

# This language's pages (a translation's are in a folder of their own, checked on their own).
file(GLOB html_files "${HTML_DIR}/*.html" "${HTML_DIR}/benchmark/*.html")
foreach(file IN LISTS html_files)
  file(READ "${file}" content)
  file(RELATIVE_PATH shown "${HTML_DIR}" "${file}")
  # Markdown left unrendered, outside code: code fragments, <pre> and <code> may hold `**`.
  get_filename_component(page_name "${file}" NAME_WE)
  if(page_name MATCHES "^step[0-9][0-9]$" OR page_name IN_LIST TOPICS OR page_name STREQUAL "index")
    set(text "${content}")
    foreach(pair "<div class=\"fragment\">|</div><!-- fragment -->" "<pre>|</pre>"
                 "<code>|</code>" "<script|</script>")
      string(REPLACE "|" ";" pair "${pair}")
      list(GET pair 0 open)
      list(GET pair 1 close)
      remove_between(text "${open}" "${close}")
    endforeach()
    string(FIND "${text}" "**" at)
    if(NOT at EQUAL -1)
      math(EXPR from "${at} - 40")
      if(from LESS 0)
        set(from 0)
      endif()
      string(SUBSTRING "${text}" ${from} 80 where)
      string(REPLACE "\n" " " where "${where}")
      string(APPEND problems "  ${shown}: a literal ** (Markdown that did not render): \"${where}\"\n")
    endif()
  endif()
  # Charts with the generated file's name as their alt text.
  string(REGEX MATCHALL "<img [^>]*alt=\"[^\"]*\"" images "${content}")
  foreach(image IN LISTS images)
    if(image MATCHES "alt=\"(msc_inline_mscgraph_[0-9]+|inline_[a-z]*graph_[0-9]+)\"")
      string(APPEND problems "  ${shown}: a chart whose alt text is \"${CMAKE_MATCH_1}\": give it a caption\n")
    endif()
  endforeach()
  # The language switch leads to the other language's site: check_languages.cmake checks it.
  string(REGEX REPLACE "<div class=\"language-switch\">[^\n]*</div>" "" content "${content}")
  string(REGEX MATCHALL "(href|src)=\"[^\"]*\"" links "${content}")
  list(REMOVE_DUPLICATES links)
  foreach(link IN LISTS links)
    string(REGEX REPLACE "^(href|src)=\"(.*)\"$" "\\2" link "${link}")
    string(REPLACE "&amp;" "&" link "${link}")
    if(link MATCHES "^(https?|mailto|ftp|javascript):" OR link STREQUAL "" OR link STREQUAL "#")
      continue()
    endif()
    check_link("${file}" "${link}")
  endforeach()
endforeach()

# The tree view's pages, and their order.
file(GLOB navtree_files "${HTML_DIR}/navtreedata.js" "${HTML_DIR}/navtreeindex*.js")
set(tree_pages "")
foreach(file IN LISTS navtree_files)
  file(READ "${file}" content)
  string(REGEX MATCHALL "\"[A-Za-z0-9_.-]+\\.html(#[A-Za-z0-9_-]+)?\"" links "${content}")
  list(REMOVE_DUPLICATES links)
  foreach(link IN LISTS links)
    string(REPLACE "\"" "" link "${link}")
    check_link("${file}" "${link}")
  endforeach()
  if(file MATCHES "navtreedata\\.js$")
    string(REGEX MATCHALL "\"step[0-9][0-9]\\.html\"" tree_pages "${content}")
    string(REPLACE "\"" "" tree_pages "${tree_pages}")
    list(REMOVE_DUPLICATES tree_pages)
  endif()
endforeach()
set(wanted_pages "")
foreach(step IN LISTS STEPS)
  string(SUBSTRING "${step}" 0 2 number)
  list(APPEND wanted_pages "step${number}.html")
endforeach()
if(NOT tree_pages STREQUAL wanted_pages)
  string(APPEND problems "  the tree view lists the steps as \"${tree_pages}\", not \"${wanted_pages}\"\n")
endif()

# The page's title is its largest heading: the sizes tutorial.css gives the title, the
# sections (<h1>) and their subsections (<h2>), in that order, each smaller than the one before.
file(READ "${SOURCE_DIR}/docs/tutorial.css" css)
set(sizes "")
foreach(selector "div.headertitle div.title" "div.contents h1" "div.contents h2")
  string(REPLACE "." "\\." pattern "${selector}")
  if(css MATCHES "${pattern} {[^}]*font-size: ([0-9]+)%;")
    list(APPEND sizes ${CMAKE_MATCH_1})
  else()
    string(APPEND problems "  docs/tutorial.css gives \"${selector}\" no font-size in %\n")
    list(APPEND sizes 0)
  endif()
endforeach()
list(GET sizes 0 title_size)
list(GET sizes 1 h1_size)
list(GET sizes 2 h2_size)
if(NOT title_size GREATER h1_size OR NOT h1_size GREATER h2_size)
  string(APPEND problems "  docs/tutorial.css: the title (${title_size}%) must be larger than the sections (${h1_size}%), and they than their parts (${h2_size}%)\n")
endif()

# The pages' prose, and the code's marker lines on every page.
set(budgets "")
foreach(entry IN LISTS PAGE_BUDGETS)
  list(APPEND budgets "${HTML_DIR}/${entry}")
endforeach()
list(GET SECTIONS 0 teaches_heading)
execute_process(COMMAND "${PAGE_CHECK}" --teaches-heading "${teaches_heading}"
    --teaches-limit ${TEACHES_LIMIT}
    --paragraph-limit ${PARAGRAPH_LIMIT} ${budgets}
  RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
message("${output}")
if(failed)
  string(APPEND problems "  pages that do not read in one sitting: see the table above\n")
endif()
execute_process(COMMAND "${PAGE_CHECK}" --markers ${html_files}
  RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(failed)
  string(APPEND problems "${output}")
endif()

list(LENGTH html_files pages)
if(problems)
  message(FATAL_ERROR "docs: the site has problems:\n${problems}")
endif()
message(STATUS "docs: ${checked} local links in ${pages} HTML files lead where they should")
