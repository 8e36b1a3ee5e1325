# Run before the tests of the Windows build (a CTest fixture; see tests/CMakeLists.txt):
#   cmake -DWINE=<wine> -DWINESERVER=<wineserver> -P start_wine.cmake
#
# Starts Wine once, before the tests: the wineserver, kept alive for 30 s after the last
# program ends (`-p30`), so that it stays up from one test to the next instead of starting
# again for each; and Wine's background programs (services.exe, winedevice.exe, ...), which
# wineboot starts. Their output goes nowhere: see wine_run.sh for why that matters.
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
