#!/bin/sh
# Runs a Windows test program under Wine for CTest: the tests' CMAKE_CROSSCOMPILING_EMULATOR,
# set by cmake/mingw-w64-x86_64.cmake.
#   sh wine_run.sh WINE PROGRAM [ARGUMENTS...]
#
# Wine starts background programs of its own (services.exe, winedevice.exe, rpcss.exe, ...)
# when it first needs them, from whichever program it runs at that moment, and they keep
# that program's standard output and error open. CTest reads a test's output to its end, so
# a test whose pipes such a program holds seemed to hang, although it had passed and exited
# (seen with Wine 8, for as long as the background program lived). So the program's output
# goes to files, which nobody waits for, and is copied out once Wine has exited; the exit
# status is the program's.
#
# Now and then (a few times in some thousands of starts here, with Wine 8) Wine itself exits
# with status 1 within some 15 ms, printing nothing, before the program has run at all. The test
# harness creates the file HARNESS_STARTED_FILE names as the first thing it does: when that
# file is missing, the test did not run, and it is reported as skipped, saying so. It is not
# run again. A program that did start and failed is a failure, as always.
wine=$1
shift
dir=$(mktemp -d) || exit 1
HARNESS_STARTED_FILE="Z:$dir/started" # the same file, named as a Windows program sees it
export HARNESS_STARTED_FILE
"$wine" "$@" </dev/null >"$dir/out" 2>"$dir/err"
status=$?
cat "$dir/out"
cat "$dir/err" >&2
if [ "$status" -ne 0 ] && [ ! -e "$dir/started" ]; then
    echo "SKIPPED: Wine exited with status $status before the test program started (a failure" \
        "of Wine's, not of the test; not run again)"
    status=77
fi
rm -rf "$dir"
exit "$status"
