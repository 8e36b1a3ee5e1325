# Run before the tests of the Windows build (a CTest fixture; see tests/CMakeLists.txt):
#   cmake -DWINE=<wine> -DWINESERVER=<wineserver> -P start_wine_services.cmake
#
# Wine starts its background programs (services.exe, winedevice.exe, rpcss.exe, ...) with
# the first program it runs, and they inherit that program's standard output and error. Under
# CTest those are pipes that CTest reads to their end, so the first tests would look hung
# until their timeout although they had passed: the services keep the pipes open. This starts
# the services first, from a program whose output goes nowhere, and keeps the wineserver alive
# for a while after the last program ends (`-p30`), so that it stays up between the tests.
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
