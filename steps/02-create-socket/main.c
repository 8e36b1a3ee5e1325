/**
 * @file steps/02-create-socket/main.c
 * @brief Step 2: resolve the server's address, and create a socket for it.
 *
 * getaddrinfo() turns a host and a port given as text into socket addresses, so one program
 * serves IPv4 and IPv6 alike. socket() then creates an endpoint of the address's family:
 * a handle with no address and no connection yet.
 * @see step02
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    struct options opts;
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    SOCKET ListenSocket = INVALID_SOCKET;
    int rc;
    int status = NET_EXIT_FAILURE;

    if (!options_parse(argc, argv, OPTIONS_ADDRESS,
                       "Resolves an address and creates a TCP socket for it.", &opts))
        return opts.exit_status;

    //! [startup]
    if (net_startup() != 0)
        return NET_EXIT_FAILURE; /* already reported */
    //! [startup]

    //! [resolve]
    /* getaddrinfo() turns the host and port text into socket addresses, IPv4 or IPv6 alike.
     * AI_PASSIVE asks for an address to bind to; with a NULL host that would be every
     * interface, but we always pass one (127.0.0.1 by default), so nothing is exposed. */
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(opts.host, opts.port, &hints, &res);
    if (rc != 0) {
        report_gai_error("getaddrinfo", rc);
        goto cleanup;
    }
    //! [resolve]

    //! [socket]
    /* Use the first address: a numeric host such as 127.0.0.1 or ::1 yields exactly one. */
    ListenSocket = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (ListenSocket == INVALID_SOCKET) {
        report_socket_error("socket");
        goto cleanup;
    }
    //! [socket]

    printf("created socket: family %s, type %s, protocol %s\n", net_family_name(res->ai_family),
           net_socktype_name(res->ai_socktype), net_protocol_name(res->ai_protocol));
    status = NET_EXIT_OK;

cleanup:
    //! [cleanup]
    /* Release in the reverse order of acquisition; each guard skips what was never taken. */
    if (ListenSocket != INVALID_SOCKET)
        closesocket(ListenSocket);
    if (res != NULL)
        freeaddrinfo(res);
    net_cleanup();
    //! [cleanup]
    return status;
}
