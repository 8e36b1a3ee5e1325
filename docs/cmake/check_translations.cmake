# Checks that a translation keeps up with the English pages; fails the docs build with every
# problem found. Nothing of the English site is checked here (LANGUAGE en: nothing to do).
#   cmake -DSETTINGS=<docs-settings-LANGUAGE.cmake> -P check_translations.cmake
#   cmake -DENGLISH_DIR=<dir> -DPAGES_DIR=<dir> -DNAMES=<name;...> -P check_translations.cmake
#     (the second form, for the tests of this check: the pages of two folders)
#
# - every English page (each page of the site, and the main page's template) has its
#   translation, in docs/pages/<language>/ with the same file name;
# - a translated page keeps its English page's generated and quoted parts, the same and in the
#   same order: the code it quotes (\snippet, \include and \dontinclude with their \skip,
#   \until and \line), what it includes (\htmlinclude: transcripts, diffs, "Proven by", the
#   workspace), its transcript blocks (<!-- transcript NAME ... -->, word for word: the same
#   commands run), the body of its charts (\msc, \dot; a caption may be translated), the
#   anchors of its sections ({#...}), the tests it names (`stepNN_...`) and its number of
#   sections;
# - its second line says which version of the English page it translates:
#   <!-- translates docs/pages/NAME.md SHA -->, SHA being the first 16 hex digits of the
#   English file's SHA-256. When the English page has changed since, a warning says so (the
#   translation may be out of date) but the build goes on: the parts above are what must
#   agree.
cmake_minimum_required(VERSION 3.25)

if(SETTINGS)
  include("${SETTINGS}")
  if(LANGUAGE STREQUAL "en")
    return()
  endif()
  set(ENGLISH_DIR "${SOURCE_DIR}/docs/pages")
  set(NAMES ${STEPS} ${TOPICS})
endif()
list(APPEND NAMES mainpage.md.in)

set(problems "")
set(warnings "")

# parts_of(<variable> <text>): the generated and quoted parts of a page, one per list item, in
# order, each as "KIND: TEXT".
# blocks_between(<variable> <text> <open> <close>): the parts of <text> from each <open> to the
# <close> after it, both included.
function(blocks_between variable text open close)
  set(found "")
  string(LENGTH "${close}" close_length)
  string(FIND "${text}" "${open}" start)
  while(NOT start EQUAL -1)
    string(SUBSTRING "${text}" ${start} -1 text)
    string(FIND "${text}" "${close}" end)
    if(end EQUAL -1)
      break()
    endif()
    math(EXPR end "${end} + ${close_length}")
    string(SUBSTRING "${text}" 0 ${end} block)
    # Named by its first word after <open> (a transcript's name), and its hash: a list item
    # may not hold every character a block has.
    string(LENGTH "${open}" open_length)
    string(SUBSTRING "${block}" ${open_length} -1 rest)
    set(first_word "")
    string(REGEX MATCH "^[a-z0-9-]+" first_word "${rest}") # (an empty match is an error)
    string(SHA256 hash "${block}")
    string(SUBSTRING "${hash}" 0 16 hash)
    list(APPEND found "${first_word} ${hash}")
    string(SUBSTRING "${text}" ${end} -1 text)
    string(FIND "${text}" "${open}" start)
  endwhile()
  set(${variable} "${found}" PARENT_SCOPE)
endfunction()

function(parts_of variable text)
  set(parts "")
  # Chart bodies, from the line after the one that opens them (its caption may be translated).
  foreach(kind IN ITEMS msc dot)
    string(REGEX REPLACE "\\\\${kind}[^\n]*\n" "@CHART_${kind}@" charts_text "${text}")
    blocks_between(bodies "${charts_text}" "@CHART_${kind}@" "\\end${kind}")
    foreach(body IN LISTS bodies)
      list(APPEND parts "${kind} chart ${body}")
    endforeach()
  endforeach()
  # Transcript blocks, word for word.
  blocks_between(blocks "${text}" "<!-- transcript " "-->")
  foreach(block IN LISTS blocks)
    list(APPEND parts "transcript ${block}")
  endforeach()
  # Quoted code, included files, section anchors, named tests.
  string(REGEX MATCHALL "\\\\(snippet|include|dontinclude|skip|until|line|htmlinclude)({[a-z,]*})? [^\n]*" quotes "${text}")
  foreach(quote IN LISTS quotes)
    string(STRIP "${quote}" quote)
    list(APPEND parts "${quote}")
  endforeach()
  string(REGEX MATCHALL "\n##+ [^\n]*" headings "${text}")
  list(LENGTH headings count)
  list(APPEND parts "sections: ${count}")
  string(REGEX MATCHALL "{#[a-z0-9_]+}" anchors "${text}")
  list(JOIN anchors " " anchors)
  list(APPEND parts "anchors: ${anchors}")
  string(REGEX MATCHALL "step[0-9][0-9][a-z]*_[a-z0-9_]+" tests "${text}")
  list(REMOVE_DUPLICATES tests)
  list(SORT tests)
  list(JOIN tests " " tests)
  list(APPEND parts "tests: ${tests}")
  set(${variable} "${parts}" PARENT_SCOPE)
endfunction()

foreach(name IN LISTS NAMES)
  if(name MATCHES "\\.md\\.in$")
    set(file_name "${name}")
  else()
    set(file_name "${name}.md")
  endif()
  set(english "${ENGLISH_DIR}/${file_name}")
  set(translated "${PAGES_DIR}/${file_name}")
  if(NOT EXISTS "${english}")
    continue()
  endif()
  if(NOT EXISTS "${translated}")
    string(APPEND problems "  ${file_name}: no translation (${translated})\n")
    continue()
  endif()
  file(READ "${english}" english_text)
  file(READ "${translated}" translated_text)
  parts_of(english_parts "${english_text}")
  parts_of(translated_parts "${translated_text}")
  if(NOT english_parts STREQUAL translated_parts)
    # Name the first part that differs.
    list(LENGTH english_parts english_count)
    list(LENGTH translated_parts translated_count)
    set(first "")
    set(index 0)
    while(index LESS english_count OR index LESS translated_count)
      set(e "(nothing)")
      set(t "(nothing)")
      if(index LESS english_count)
        list(GET english_parts ${index} e)
      endif()
      if(index LESS translated_count)
        list(GET translated_parts ${index} t)
      endif()
      if(NOT e STREQUAL t)
        set(first "English: ${e}\n      translation: ${t}")
        break()
      endif()
      math(EXPR index "${index} + 1")
    endwhile()
    string(APPEND problems "  ${file_name}: the translation's generated or quoted parts differ from the English page's; the first:\n      ${first}\n")
  endif()
  # Which version of the English page it translates.
  file(SHA256 "${english}" english_hash)
  string(SUBSTRING "${english_hash}" 0 16 english_hash)
  if(NOT translated_text MATCHES "^[^\n]*\n<!-- translates docs/pages/${file_name} ([0-9a-f]+) -->")
    string(APPEND problems "  ${file_name}: its second line must say which version of the English page it translates: <!-- translates docs/pages/${file_name} ${english_hash} -->\n")
  elseif(NOT CMAKE_MATCH_1 STREQUAL english_hash)
    string(APPEND warnings "  ${file_name}: the English page has changed since this translation (it translates ${CMAKE_MATCH_1}; the English page is now ${english_hash})\n")
  endif()
endforeach()

if(warnings)
  message("warning: translations that may be out of date (not a failure: their generated parts agree):\n${warnings}")
endif()
if(problems)
  message(FATAL_ERROR "docs: the translation needs fixing:\n${problems}")
endif()
