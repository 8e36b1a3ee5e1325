/**
 * @file steps/08-complete-server/main.c
 * @brief Step 8: the complete server: steps 1 to 7 in one program that serves clients one
 *        after another, and stops cleanly when told to.
 *
 * The listening socket stays open: after each client the server accepts the next. One
 * client's failure (a reset, a client that vanished) ends that client only; a failed
 * accept() is retried, after a pause when the process is out of descriptors; Ctrl-C stops
 * the server in an orderly way. It still serves one client at a time: steps 10 and 11 serve
 * many at once.
 * @see step08
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/** The receive buffer's size. Any size works: TCP does not keep message boundaries. */
#define DEFAULT_BUFLEN 8192
/** How long a wait lasts before the server looks at its stop flag again, in milliseconds. */
#define STOP_CHECK_MS 200
/** How long to pause when accept() fails for lack of descriptors or memory. */
#define BACK_OFF_MS 250

//! [stop-handler]
/* Set when the user asks the server to stop; read by the loops between two waits.
 * volatile sig_atomic_t is the type a POSIX signal handler may write. On Windows the
 * handler runs in a thread of its own; a flag that is only ever set to 1 is safe there. */
static volatile sig_atomic_t stop_requested = 0;

#ifdef _WIN32
/* Windows has no SIGINT for console programs: it calls this handler, in a new thread, for
 * Ctrl-C, Ctrl-Break and closing the console window. */
static BOOL WINAPI on_console_event(DWORD event)
{
    switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
        stop_requested = 1;
        /* Handled: the main loop ends the program. (When the console window closes, Windows
         * ends the process shortly after this returns, whatever it says.) */
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
}
//! [stop-handler]

/**
 * Steps 2 to 4: resolves the host and port, creates the socket, binds and listens, and
 * prints `listening on ADDRESS`. Returns the listening socket, or INVALID_SOCKET after
 * reporting what failed.
 */
static SOCKET open_listener(const char *host, const char *port)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    SOCKET ListenSocket = INVALID_SOCKET;
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;
    char address[NET_ADDRESS_STRLEN];
    int on = 1;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        report_gai_error("getaddrinfo", rc);
        return INVALID_SOCKET;
    }

    ListenSocket = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (ListenSocket == INVALID_SOCKET) {
        report_socket_error("socket");
        goto fail;
    }
#ifdef _WIN32
    rc = setsockopt(ListenSocket, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on,
                    (int)sizeof on);
#else
    rc = setsockopt(ListenSocket, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, (int)sizeof on);
#endif
    if (rc == SOCKET_ERROR) {
        report_socket_error("setsockopt");
        goto fail;
    }
    if (res->ai_family == AF_INET6 &&
        setsockopt(ListenSocket, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&on, (int)sizeof on) ==
            SOCKET_ERROR) {
        report_socket_error("setsockopt");
        goto fail;
    }
    if (bind(ListenSocket, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR) {
        report_socket_error("bind");
        goto fail;
    }
    if (getsockname(ListenSocket, (struct sockaddr *)&bound, &bound_len) == SOCKET_ERROR) {
        report_socket_error("getsockname");
        goto fail;
    }
    if (listen(ListenSocket, SOMAXCONN) == SOCKET_ERROR) {
        report_socket_error("listen");
        goto fail;
    }
    freeaddrinfo(res);
    printf("listening on %s\n",
           net_format_address((struct sockaddr *)&bound, bound_len, address, sizeof address));
    fflush(stdout);
    return ListenSocket;

fail:
    if (ListenSocket != INVALID_SOCKET)
        closesocket(ListenSocket);
    freeaddrinfo(res);
    return INVALID_SOCKET;
}

/** Reports a failed call on one client's connection: `recv from 127.0.0.1:50000 failed: ...` */
static void report_client_error(const char *call, const char *peer)
{
    int err = net_last_error(); /* read it before anything else can change it */
    char what[NET_ADDRESS_STRLEN + 32];
    snprintf(what, sizeof what, "%s %s", call, peer);
    report_error_code(what, err);
}

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
    for (;;) {
        /* Wait in slices, so that Ctrl-C is noticed even while this client is silent. */
        int ready = net_wait_readable(ClientSocket, STOP_CHECK_MS);
        if (stop_requested) {
            report_message("stopping: closing the connection to %s", peer);
            return -1;
        }
        if (ready == SOCKET_ERROR) {
            report_client_error("waiting for", peer);
            return -1;
        }
        if (ready == 0)
            continue;

        received = recv(ClientSocket, recvbuf, (int)sizeof recvbuf, 0);
        if (received == 0)
            break; /* the client finished sending: orderly end of stream */
        if (received == SOCKET_ERROR) {
            report_client_error("recv from", peer);
            return -1;
        }
        /* MSG_NOSIGNAL: a client that has gone makes send() fail with EPIPE instead of
         * raising SIGPIPE, whose default action would kill the whole server. */
        for (sent = 0; sent < received; sent += result) {
            result = send(ClientSocket, recvbuf + sent, received - sent, MSG_NOSIGNAL);
            if (result == SOCKET_ERROR) {
                report_client_error("send to", peer);
                return -1;
            }
        }
        *echoed += (unsigned long long)received;
    }
    //! [echo-loop]

    if (shutdown(ClientSocket, SD_SEND) == SOCKET_ERROR) {
        report_client_error("shutdown of", peer);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options opts;
    SOCKET ListenSocket = INVALID_SOCKET;
    SOCKET ClientSocket;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char peer_name[NET_ADDRESS_STRLEN];
    unsigned long accepted = 0;
    unsigned long long echoed;
    int status = NET_EXIT_FAILURE;

    if (!options_parse(argc, argv, OPTIONS_ADDRESS | OPTIONS_CLIENTS,
                       "Echo server: serves clients one after another until Ctrl-C.", &opts))
        return opts.exit_status;

    if (install_stop_handler() != 0) {
        report_message("cannot install the Ctrl-C handler");
        return NET_EXIT_FAILURE;
    }
    if (net_startup() != 0)
        return NET_EXIT_FAILURE; /* already reported */

    ListenSocket = open_listener(opts.host, opts.port);
    if (ListenSocket == INVALID_SOCKET)
        goto cleanup;

    //! [accept-loop]
    while (!stop_requested && (opts.clients == 0 || accepted < opts.clients)) {
        /* Wait for a connection in slices, looking at the stop flag between them: a blocked
         * accept() cannot be told to give up on every platform. */
        int ready = net_wait_readable(ListenSocket, STOP_CHECK_MS);
        if (ready == SOCKET_ERROR) {
            report_socket_error("net_wait_readable");
            goto cleanup;
        }
        if (ready == 0)
            continue;

        peer_len = sizeof peer;
        ClientSocket = accept(ListenSocket, (struct sockaddr *)&peer, &peer_len);
        if (ClientSocket == INVALID_SOCKET) {
            int err = net_last_error();
            enum net_accept_failure kind = net_classify_accept_error(err);
            report_error_code("accept", err);
            if (kind == NET_ACCEPT_FATAL)
                goto cleanup;
            if (kind == NET_ACCEPT_BACK_OFF)
                net_sleep_ms(
                    BACK_OFF_MS); /* the connection stays queued; retrying at once would spin */
            continue;
        }
        accepted++;
        net_format_address((struct sockaddr *)&peer, peer_len, peer_name, sizeof peer_name);
        if (serve_client(ClientSocket, peer_name, &echoed) == 0)
            printf("served %s: echoed %llu bytes\n", peer_name, echoed);
        fflush(stdout);
        closesocket(ClientSocket);
    }
    //! [accept-loop]

    printf("shut down after %lu client%s\n", accepted, accepted == 1 ? "" : "s");
    status = NET_EXIT_OK;

cleanup:
    if (ListenSocket != INVALID_SOCKET)
        closesocket(ListenSocket);
    net_cleanup();
    return status;
}
