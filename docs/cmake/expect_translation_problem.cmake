# A test of the translations' drift check: runs it on a made-up English page and its made-up
# translation (CASE/en/, CASE/pt-BR/), and expects it to refuse them, its report holding the
# text CASE/expect.txt gives, or, when that text is "pass", to accept them.
#   cmake -DCASE=<folder> -P expect_translation_problem.cmake
cmake_minimum_required(VERSION 3.25)
file(STRINGS "${CASE}/expect.txt" expected LIMIT_COUNT 1)
execute_process(COMMAND "${CMAKE_COMMAND}" -DENGLISH_DIR=${CASE}/en -DPAGES_DIR=${CASE}/pt-BR
    -DNAMES=01-initialize -P ${CMAKE_CURRENT_LIST_DIR}/check_translations.cmake
  RESULT_VARIABLE failed OUTPUT_VARIABLE output ERROR_VARIABLE output)
include(${CMAKE_CURRENT_LIST_DIR}/expect_verdict.cmake)
expect_verdict("the drift check" "${failed}" "${output}" "${expected}")
