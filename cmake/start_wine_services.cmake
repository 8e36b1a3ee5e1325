# Run before the tests of the Windows build (a CTest fixture; see tests/CMakeLists.txt):
#   cmake -DWINE=<wine> -DWINESERVER=<wineserver> -P start_wine_services.cmake
#
# Wine starts its background programs (services.exe, winedevice.exe, rpcss.exe, ...) with
# the first program it runs, and they keep that program's standard error open (seen with
# Wine 8: their descriptor 2 was the pipe of one of the first tests). Under CTest that is a
# pipe CTest reads to its end, so a first test looked hung until its timeout although it had
# passed and exited. This starts them first, from a program whose output goes nowhere, and
# keeps the wineserver alive for 30 s after the last program ends (`-p30`), so that it stays
# up, with them, from one test to the next.
if(WINESERVER)
  # Fails harmlessly (exit 2) when a wineserver already runs: then that one is used.
  execute_process(COMMAND ${WINESERVER} -p30 INPUT_FILE /dev/null OUTPUT_FILE /dev/null
    ERROR_FILE /dev/null)
endif()
execute_process(COMMAND ${WINE} wineboot INPUT_FILE /dev/null OUTPUT_FILE /dev/null
  ERROR_FILE /dev/null RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "Wine did not start: `${WINE} wineboot` says ${result}")
endif()
