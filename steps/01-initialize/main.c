/**
 * @file steps/01-initialize/main.c
 * @brief Step 1: start the socket library, and clean it up.
 *
 * On Windows no socket call works until WSAStartup() has loaded Winsock and agreed on a
 * version, and every successful WSAStartup() is balanced by WSACleanup(). POSIX systems have
 * sockets built in, so the same program runs there with nothing to start.
 * @see step01
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    struct options opts;

    if (!options_parse(argc, argv, OPTIONS_NONE,
                       "Starts the socket library, says what it negotiated, and cleans up.", &opts))
        return opts.exit_status;

    //! [startup]
    if (net_startup() != 0)
        return NET_EXIT_FAILURE; /* already reported */
    //! [startup]

    //! [describe]
    printf("%s\n", net_library_description());
    //! [describe]

    //! [cleanup]
    net_cleanup();
    //! [cleanup]
    return NET_EXIT_OK;
}
