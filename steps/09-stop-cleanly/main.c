/**
 * @file steps/09-stop-cleanly/main.c
 * @brief Step 9: stop cleanly on Ctrl-C, even while waiting for a client or for its data.
 *
 * A handler turns Ctrl-C into a flag. The server no longer waits in accept() or recv()
 * until something comes: it waits for a connection, and for data, in slices of 200 ms, and
 * looks at the flag in between. Then it closes what is open, says how many clients it
 * served, and exits with 0.
 * @see step09
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/** The receive buffer's size. Any size works: TCP does not keep message boundaries. */
#define DEFAULT_BUFLEN 8192
/** How long a wait lasts before the server looks at its stop flag again, in milliseconds. */
#define STOP_CHECK_MS 200
/** How long to pause when accept() fails for lack of descriptors or memory. */
#define BACK_OFF_MS 250

//! [stop-handler]
/* Set when the user asks the server to stop; read by the loops between two waits. An atomic
 * int, because two kinds of writer must be safe: a POSIX signal handler, which may only touch
 * lock-free atomics (or a volatile sig_atomic_t), and Windows' console handler, which runs in
 * a thread of its own while the main thread reads the flag. */
static atomic_int stop_requested = 0;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler may only use lock-free atomics");

#ifdef _WIN32
/* Windows has no SIGINT for console programs: it calls this handler, in a new thread, for
 * Ctrl-C, Ctrl-Break and closing the console window. */
static BOOL WINAPI on_console_event(DWORD event)
{
    switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
        stop_requested = 1;
        return TRUE; /* handled: the main loop ends the program */
    case CTRL_CLOSE_EVENT:
        stop_requested = 1;
        /* The console window is closing: Windows ends the process as soon as this handler
         * returns (or after about 5 s). So it does not return: main() finishes the clean-up
         * and exits, and that ends this thread too. */
        Sleep(INFINITE);
        return TRUE;
    default:
        return FALSE;
    }
}
#else
static void on_stop_signal(int signum)
{
    (void)signum;
    stop_requested = 1;
}
#endif

/** Makes Ctrl-C (and SIGTERM) set stop_requested instead of killing the process. */
static int install_stop_handler(void)
{
    //! [install-handler]
#ifdef _WIN32
    return SetConsoleCtrlHandler(on_console_event, TRUE) ? 0 : -1;
#else
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: a blocked call returns EINTR and the flag is seen */
    if (sigaction(SIGINT, &action, NULL) != 0 || sigaction(SIGTERM, &action, NULL) != 0)
        return -1;
    return 0;
#endif
    //! [install-handler]
}
//! [stop-handler]

//! [report-client-error]
/** Reports a failed call on one client's connection: `recv from 127.0.0.1:50000 failed: ...` */
static void report_client_error(const char *call, const char *peer)
{
    int err = net_last_error(); /* read it before anything else can change it */
    char what[NET_ADDRESS_STRLEN + 32];
    snprintf(what, sizeof what, "%s %s", call, peer);
    report_error_code(what, err);
}
//! [report-client-error]

//! [wait-for-client]
/**
 * Waits until the client's socket can be read (data, its end of stream, or an error), in
 * slices of STOP_CHECK_MS so that a stop request is seen. Returns 1 when the socket is
 * ready; otherwise reports why it gave up (a stop, a failure) and returns 0.
 */
static int wait_for_client(SOCKET ClientSocket, const char *peer)
{
    for (;;) {
        if (stop_requested) {
            report_message("stopping: closing the connection to %s", peer);
            return 0;
        }
        int ready = net_wait_readable(ClientSocket, STOP_CHECK_MS);
        if (ready == SOCKET_ERROR) {
            report_client_error(NET_WAIT_CALL " on", peer);
            return 0;
        }
        if (ready)
            return 1;
    }
}
//! [wait-for-client]

/**
 * Steps 6 and 7 for one client: echoes until the client has finished sending, then shuts
 * down our direction. Stores the bytes echoed in @p echoed. Returns 0, or -1 after
 * reporting a failure or a stop request. The caller closes the socket.
 */
static int serve_client(SOCKET ClientSocket, const char *peer, unsigned long long *echoed)
{
    char recvbuf[DEFAULT_BUFLEN];
    int received;
    int sent;
    int result;

    *echoed = 0;
    //! [echo-loop]
    do {
        /* Wait in slices, so that Ctrl-C is noticed even while this client is silent. */
        if (!wait_for_client(ClientSocket, peer))
            return -1;
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
                    report_client_error("send to", peer);
                    return -1;
                }
            }
            //! [send-all]
            *echoed += (unsigned long long)received;
        } else if (received == SOCKET_ERROR) {
            /* A failure, not the end: the client reset the connection, for instance. */
            report_client_error("recv from", peer);
            return -1;
        }
        /* received == 0: the client shut down its sending side and everything it sent has
         * been read. That ends the loop. */
    } while (received > 0);
    //! [echo-loop]

    //! [half-close]
    /* Our direction ends too: the FIN follows the last echoed byte, so the client reads
     * everything and then the end of the stream (recv() returns 0 there). Here closesocket()
     * would send the same FIN, since nothing is left unread, but it would say nothing if the
     * client had reset the connection meanwhile: shutdown() fails then, and we know. (With
     * unread data, closesocket() sends a reset instead on Linux, Windows and macOS, and a
     * client may lose its echo; FreeBSD, OpenBSD and NetBSD discard the data and send FIN.) */
    if (shutdown(ClientSocket, SD_SEND) == SOCKET_ERROR) {
        report_client_error("shutdown of", peer);
        return -1;
    }
    //! [half-close]
    return 0;
}

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
    unsigned long accepted = 0;
    unsigned long long echoed;
    int on = 1;
    int rc;
    int status = NET_EXIT_FAILURE;

    if (!options_parse(argc, argv, OPTIONS_ADDRESS | OPTIONS_CLIENTS,
                       "Echo server: serves clients one after another until Ctrl-C.", &opts))
        return opts.exit_status;

    if (install_stop_handler() != 0) {
        report_message("cannot install the Ctrl-C handler");
        return NET_EXIT_FAILURE;
    }

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

    //! [accept-loop]
    /* One client after another, until --clients N have been served or Ctrl-C. */
    while (!stop_requested && (opts.clients == 0 || accepted < opts.clients)) {
        /* Wait for a connection in slices, looking at the stop flag between them: a blocked
         * accept() cannot be told to give up on every platform. */
        int ready = net_wait_readable(ListenSocket, STOP_CHECK_MS);
        if (ready == SOCKET_ERROR) {
            report_socket_error(NET_WAIT_CALL);
            goto cleanup;
        }
        if (ready == 0)
            continue;
        peer_len = sizeof peer;
        ClientSocket = accept(ListenSocket, (struct sockaddr *)&peer, &peer_len);
        if (ClientSocket == INVALID_SOCKET) {
            /* Most failures concern that one connection (the client gave up before it was
             * accepted) or pass (out of descriptors until another client leaves): only a
             * broken listening socket ends the server. */
            int err = net_last_error();
            if (net_would_block(err))
                continue; /* interrupted (EINTR): look at the stop flag again */
            enum net_accept_failure kind = net_classify_accept_error(err);
            report_error_code("accept", err);
            if (kind == NET_ACCEPT_FATAL)
                goto cleanup;
            if (kind == NET_ACCEPT_BACK_OFF)
                net_sleep_ms(BACK_OFF_MS); /* it stays queued; retrying at once would spin */
            continue;
        }
        accepted++;
        net_format_address((struct sockaddr *)&peer, peer_len, address, sizeof address);
        if (serve_client(ClientSocket, address, &echoed) == 0)
            printf("served %s: echoed %llu bytes\n", address, echoed);
        fflush(stdout);
        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
    }
    printf("shut down after %lu client%s\n", accepted, accepted == 1 ? "" : "s");
    //! [accept-loop]

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
