# Helpers to turn text (a diff, a table) into HTML from a CMake script.

# html_escape(<out-var> <text>): <text> with &, <, > and " written as HTML entities.
function(html_escape out text)
  string(REPLACE "&" "&amp;" text "${text}")
  string(REPLACE "<" "&lt;" text "${text}")
  string(REPLACE ">" "&gt;" text "${text}")
  string(REPLACE "\"" "&quot;" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# html_lines(<out-var> <text>): the lines of <text> as a CMake list; html_restore() each one. A CMake list
# is split at ';', does not split inside [...], and a '\' escapes the next ';'. C code has all of
# them, so they travel as control characters while the text is split, and come back after.
function(html_lines out text)
  string(ASCII 1 semicolon)
  string(ASCII 2 open)
  string(ASCII 3 close)
  string(ASCII 4 backslash)
  string(REPLACE "\\" "${backslash}" text "${text}")
  string(REPLACE ";" "${semicolon}" text "${text}")
  string(REPLACE "[" "${open}" text "${text}")
  string(REPLACE "]" "${close}" text "${text}")
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

# html_restore(<out-var> <line>): a line of html_lines(), its characters back, HTML-escaped.
function(html_restore out line)
  string(ASCII 1 semicolon)
  string(ASCII 2 open)
  string(ASCII 3 close)
  string(ASCII 4 backslash)
  string(REPLACE "${semicolon}" ";" line "${line}")
  string(REPLACE "${open}" "[" line "${line}")
  string(REPLACE "${close}" "]" line "${line}")
  string(REPLACE "${backslash}" "\\" line "${line}")
  html_escape(line "${line}")
  set(${out} "${line}" PARENT_SCOPE)
endfunction()
