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
  set(expected pass)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/expect_verdict.cmake)
expect_verdict("the page checker" "${failed}" "${output}" "${expected}")
