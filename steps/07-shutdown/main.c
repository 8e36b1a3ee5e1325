/**
 * @file steps/07-shutdown/main.c
 * @brief Step 7: end the conversation cleanly with shutdown(SD_SEND).
 *
 * A TCP connection has two directions, and each side ends its own. shutdown(SD_SEND) sends
 * a FIN after the last byte already queued: the client reads the whole echo, then end of
 * stream. It also reports what a close would hide, such as a connection the client reset.
 * @see step07
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

/** The receive buffer's size. Any size works: TCP does not keep message boundaries. */
#define DEFAULT_BUFLEN 8192

int main(int argc, char **argv)
{
    struct options opts;
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    SOCKET ListenSocket = INVALID_SOCKET;
    SOCKET ClientSocket = INVALID_SOCKET;
    struct sockaddr_storage bound;
    socklen_t bound_len;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char address[NET_ADDRESS_STRLEN];
    char recvbuf[DEFAULT_BUFLEN];
    int received;
    int sent;
    int result;
    unsigned long long total = 0;
    int on = 1;
    int rc;
    int status = NET_EXIT_FAILURE;

    if (!options_parse(argc, argv, OPTIONS_ADDRESS,
                       "Accepts one TCP connection, echoes it, and shuts it down cleanly.", &opts))
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

    //! [address-reuse]
    /* Can a restarted server bind its port at once, and who else may bind it meanwhile?
     * POSIX: connections of the previous run that wait out TIME_WAIT keep the port taken,
     * unless the new socket sets SO_REUSEADDR. The option never lets a second socket listen
     * on the same address and port (Linux refuses even a specific address beside a wildcard
     * one; the BSDs and macOS allow that pair).
     * Windows: nothing to set. The default lets a restarted server bind at once, and no
     * other socket can bind this address and port unless we allowed it with SO_REUSEADDR,
     * which there means "anyone may take over this port". SO_EXCLUSIVEADDRUSE would also
     * refuse a specific-address bind beside a wildcard one, at a price: a restart must then
     * wait until the old connections are gone. */
#ifndef _WIN32
    if (setsockopt(ListenSocket, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, (int)sizeof on) ==
        SOCKET_ERROR) {
        report_socket_error("setsockopt");
        goto cleanup;
    }
#endif
    //! [address-reuse]

    //! [v6only]
    /* May an IPv6 socket also accept IPv4 clients (as ::ffff:127.0.0.1)? Linux says yes by
     * default, Windows no. Say it explicitly: IPv6 only, the same everywhere. */
    if (res->ai_family == AF_INET6 &&
        setsockopt(ListenSocket, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&on, (int)sizeof on) ==
            SOCKET_ERROR) {
        report_socket_error("setsockopt");
        goto cleanup;
    }
    //! [v6only]

    //! [bind]
    if (bind(ListenSocket, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR) {
        report_socket_error("bind");
        goto cleanup;
    }
    //! [bind]

    //! [getsockname]
    /* With port 0 the system chose a free port; getsockname() tells which. */
    bound_len = sizeof bound;
    if (getsockname(ListenSocket, (struct sockaddr *)&bound, &bound_len) == SOCKET_ERROR) {
        report_socket_error("getsockname");
        goto cleanup;
    }
    net_format_address((struct sockaddr *)&bound, bound_len, address, sizeof address);
    //! [getsockname]

    //! [listen]
    /* The socket becomes passive: the kernel now completes TCP handshakes on its own and
     * queues the connections, up to the backlog, until accept() takes them. A client's
     * connect() succeeds as soon as it is queued. SOMAXCONN asks for a long queue: on
     * Windows it means "the most the system allows"; on POSIX it is a number from the
     * header (4096 on Linux since 5.4), and the kernel caps it to its own limit. */
    if (listen(ListenSocket, SOMAXCONN) == SOCKET_ERROR) {
        report_socket_error("listen");
        goto cleanup;
    }
    printf("listening on %s\n", address);
    fflush(stdout); /* stdout into a pipe is buffered; whoever waits for this line must see it */
    //! [listen]

    //! [accept]
    /* accept() waits until a connection is queued, then takes it off the queue and returns a
     * new socket connected to that client, filling in the client's address. (Microsoft's
     * sample passes NULL, NULL: fine when who connected does not matter. A server that logs,
     * or decides by address, asks for it here; getpeername() can ask later.) */
    peer_len = sizeof peer;
    ClientSocket = accept(ListenSocket, (struct sockaddr *)&peer, &peer_len);
    if (ClientSocket == INVALID_SOCKET) {
        report_socket_error("accept");
        goto cleanup;
    }
    printf("accepted connection from %s\n",
           net_format_address((struct sockaddr *)&peer, peer_len, address, sizeof address));
    fflush(stdout);
    //! [accept]

    //! [close-listener]
    /* One client is all this server serves, so it stops listening: from now on a client's
     * connect() is refused. Step 8 keeps the listener and accepts the next client. */
    closesocket(ListenSocket);
    ListenSocket = INVALID_SOCKET;
    printf("stopped listening: the next client is refused\n");
    fflush(stdout);
    //! [close-listener]

    //! [echo-loop]
    do {
        received = recv(ClientSocket, recvbuf, (int)sizeof recvbuf, 0);
        if (received > 0) {
            //! [send-all]
            /* send() returns how many bytes it took, and that may be fewer than offered:
             * a non-blocking socket takes only what fits in its send buffer, a blocking one
             * stops early when a signal interrupts it, and the API allows it at any time.
             * So loop until every byte is on its way.
             * MSG_NOSIGNAL: if the client has gone, fail with an error instead of letting
             * SIGPIPE kill the process (POSIX; Winsock never raises signals). */
            for (sent = 0; sent < received; sent += result) {
                result = send(ClientSocket, recvbuf + sent, received - sent, MSG_NOSIGNAL);
                if (result == SOCKET_ERROR) {
                    report_socket_error("send");
                    goto cleanup;
                }
            }
            //! [send-all]
            total += (unsigned long long)received;
        } else if (received == SOCKET_ERROR) {
            /* A failure, not the end: the client reset the connection, for instance. */
            report_socket_error("recv");
            goto cleanup;
        }
        /* received == 0: the client shut down its sending side and everything it sent has
         * been read. That ends the loop. */
    } while (received > 0);
    printf("received and echoed %llu bytes; the client has finished sending\n", total);
    //! [echo-loop]

    //! [half-close]
    /* Our direction ends too: the FIN follows the last echoed byte, so the client reads
     * everything and then the end of the stream (recv() returns 0 there). Here closesocket()
     * would send the same FIN, since nothing is left unread, but it would say nothing if the
     * client had reset the connection meanwhile: shutdown() fails then, and we know. (With
     * unread data, closesocket() sends a reset instead on Linux, Windows and macOS, and a
     * client may lose its echo; FreeBSD, OpenBSD and NetBSD discard the data and send FIN.) */
    if (shutdown(ClientSocket, SD_SEND) == SOCKET_ERROR) {
        report_socket_error("shutdown");
        goto cleanup;
    }
    //! [half-close]

    status = NET_EXIT_OK;

cleanup:
    //! [cleanup]
    /* Release in the reverse order of acquisition; each guard skips what was never taken. */
    if (ClientSocket != INVALID_SOCKET)
        closesocket(ClientSocket);
    if (ListenSocket != INVALID_SOCKET)
        closesocket(ListenSocket);
    if (res != NULL)
        freeaddrinfo(res);
    net_cleanup();
    //! [cleanup]
    return status;
}
