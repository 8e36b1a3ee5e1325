# Cross-compiles for 64-bit Windows with MinGW-w64, and runs the results under Wine:
#   cmake --workflow --preset windows
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# Static runtime: the .exe files run under Wine (or on Windows) without MinGW's DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# CTest runs every test program (and the harness runs every step program) under Wine,
# through wine_run.sh, which keeps Wine's background programs off CTest's pipes.
find_program(WINE_EXECUTABLE NAMES wine64 wine REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR sh ${CMAKE_CURRENT_LIST_DIR}/wine_run.sh ${WINE_EXECUTABLE})
