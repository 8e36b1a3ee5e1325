# Writes the table of Windows error names and the short texts common/report.c prints for them
# when Windows has no message of its own (under Wine, for most Winsock codes).
#   cmake -DREPORT_C=<common/report.c> -DOUT=<html> -P windows_errors.cmake
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/html_escape.cmake)

file(READ "${REPORT_C}" source)
# The Windows table is the first one, between "#ifdef _WIN32" and "#else".
if(NOT source MATCHES "#ifdef _WIN32\nstatic const struct error_entry socket_errors\\[\\] = {([^}]*)}")
  message(FATAL_ERROR "${REPORT_C}: the Windows error table was not found")
endif()
set(table "${CMAKE_MATCH_1}")
string(REGEX MATCHALL "ERROR_ENTRY\\(([A-Z_]+), \"([^\"]*)\"\\)" entries "${table}")
list(LENGTH entries count)
if(count LESS 10)
  message(FATAL_ERROR "${REPORT_C}: only ${count} Windows errors found; has the table's format changed?")
endif()
set(html "<table class=\"doxtable errors\">\n<tr><th>Name</th><th>Text when Windows has none</th></tr>\n")
foreach(entry IN LISTS entries)
  string(REGEX MATCH "ERROR_ENTRY\\(([A-Z_]+), \"([^\"]*)\"\\)" _ "${entry}")
  html_escape(text "${CMAKE_MATCH_2}")
  string(APPEND html "<tr><td><code>${CMAKE_MATCH_1}</code></td><td>${text}</td></tr>\n")
endforeach()
string(APPEND html "</table>\n")
file(WRITE "${OUT}" "${html}")
