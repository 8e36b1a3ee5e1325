# Puts on every page of one language's site a link to the same page in the other languages:
# under the project's name, in the header every page has. Run once every language's site is
# built, so that it knows which pages each has.
#   cmake -DSETTINGS=<docs-settings-LANGUAGE.cmake> -P language_links.cmake
# The English site is docs/html/, each translation docs/html/<language>/; a page has the
# same file name in each. A page that the other language does not have (a translation's
# glossary of terms; Doxygen's page of a folder, named after the folder's path) leads to the
# other language's main page. check_languages.cmake checks the links.
cmake_minimum_required(VERSION 3.25)
include("${SETTINGS}")

# How each language calls itself, in the switch.
set(name_en "English")
set(name_pt-BR "Português (Brasil)")

file(GLOB html_files "${HTML_DIR}/*.html")
foreach(file IN LISTS html_files)
  get_filename_component(page "${file}" NAME)
  set(links "")
  foreach(other IN LISTS LANGUAGES)
    if(other STREQUAL LANGUAGE)
      continue()
    endif()
    # From English to a translation: into its folder; from a translation: up, and on.
    if(LANGUAGE STREQUAL "en")
      set(root "${other}/")
    elseif(other STREQUAL "en")
      set(root "../")
    else()
      set(root "../${other}/")
    endif()
    set(target "${page}")
    get_filename_component(other_dir "${HTML_DIR}/${root}" ABSOLUTE)
    if(NOT EXISTS "${other_dir}/${page}")
      set(target "index.html") # a page the other language does not have
    endif()
    string(APPEND links "<a href=\"${root}${target}\" hreflang=\"${other}\" lang=\"${other}\">${name_${other}}</a>")
  endforeach()
  file(READ "${file}" content)
  # A switch put there before (the other language's site was built again, not this one's).
  string(REGEX REPLACE "\n   <div class=\"language-switch\">[^\n]*</div>" "" content "${content}")
  string(FIND "${content}" "<div id=\"projectbrief\">" at)
  if(at EQUAL -1)
    continue() # not a page with the site's header (a frame, a search result)
  endif()
  string(REGEX REPLACE "(<div id=\"projectbrief\">[^<]*</div>)"
    "\\1\n   <div class=\"language-switch\">${links}</div>" content "${content}")
  file(WRITE "${file}" "${content}")
endforeach()
