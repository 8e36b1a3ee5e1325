# A test of the page checker: runs it on one made-up page and expects it to refuse the page
# (or, with -DEXPECT=pass, to accept it). The page's first line, an HTML comment, says which
# text the checker's report must contain.
#   cmake -DPAGE_CHECK=<page_check> -DCASE=<case.html> [-DEXPECT=pass] -P expect_page_problem.cmake
cmake_minimum_required(VERSION 3.25)
file(STRINGS "${CASE}" first LIMIT_COUNT 1)
string(REGEX REPLACE "^<!-- expect: (.*) -->$" "\\1" expected "${first}")
set(budget 2000)
set(teaches 250)
if(CASE MATCHES "over-budget")
  set(budget 60)
elseif(CASE MATCHES "long-teaching-section")
  set(teaches 50)
endif()
execute_process(COMMAND "${PAGE_CHECK}" --teaches-limit ${teaches} --paragraph-limit 100 "${CASE}=${budget}"
  RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(EXPECT STREQUAL "pass")
  if(failed)
    message(FATAL_ERROR "the checker refused a page within every rule:\n${output}")
  endif()
elseif(NOT failed)
  message(FATAL_ERROR "the checker accepted a page it should refuse (${expected}):\n${output}")
else()
  string(FIND "${output}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the checker refused the page, but not saying \"${expected}\":\n${output}")
  endif()
endif()
message("${output}")
