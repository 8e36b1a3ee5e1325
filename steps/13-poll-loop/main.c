/**
 * @file steps/13-poll-loop/main.c
 * @brief Step 13: one thread, many clients: one readiness loop (`poll()` on POSIX, `WSAPoll()`
 *        on Windows) waits for every socket at once.
 *
 * No call may wait but that one: the loop asks which sockets are ready, does for each what
 * can be done at once, and asks again. What step 10 kept on serve_client()'s stack is written
 * down per client, in a struct; what a socket does not take at once waits there for room.
 * `select()` would do worse: its `fd_set` holds at most `FD_SETSIZE` sockets (64 by default on
 * Windows; on POSIX no descriptor may be numbered `FD_SETSIZE`, 1024, or more).
 * @see step13
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
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

//! [client-state]
/* What the loop must remember about each client between two readiness reports: in step 10
 * this lived on serve_client()'s stack, and the position in the code said what came next.
 * An event loop returns to poll() after every step, so the state is written down here. */
struct client {
    SOCKET ClientSocket;
    char peer[NET_ADDRESS_STRLEN];
    char recvbuf[DEFAULT_BUFLEN]; /* what was received; [sent, length) is not echoed yet */
    int length;                   /* bytes in recvbuf */
    int sent;                     /* of those, bytes echoed */
    unsigned long long echoed;    /* bytes echoed in all */
};
//! [client-state]

//! [wanted-events]
/** What to wait for on a client: the loop asks only for what it can act on. */
static short wanted_events(const struct client *c)
{
    /* While part of an echo waits in recvbuf, there is nowhere to read to: wait for room to
     * send. What the client sends meanwhile waits in the kernel's buffers. */
    return (short)(c->sent < c->length ? POLLOUT : POLLIN);
}
//! [wanted-events]

/**
 * Steps 6 and 7 for one client, as far as they go without waiting: receives what came (if
 * nothing waits to be echoed), echoes what the socket takes, and ends our direction once the
 * client has finished. Returns 1 to keep the client, 0 once it has been served, -1 after
 * reporting a failure; the caller then closes the socket.
 */
static int serve_ready_client(struct client *c, short revents)
{
    SOCKET ClientSocket = c->ClientSocket;
    const char *peer = c->peer;
    int received = SOCKET_ERROR; /* nothing received yet */
    int result;

    //! [read]
    /* POLLHUP and POLLERR count as readable: recv() then returns 0 or the error. WSAPoll()
     * reports an orderly close as POLLHUP without POLLIN. */
    if (c->sent == c->length && (revents & (POLLIN | POLLHUP | POLLERR))) {
        received = recv(ClientSocket, c->recvbuf, (int)sizeof c->recvbuf, 0);
        if (received > 0) {
            c->length = received;
            c->sent = 0;
        } else if (received == SOCKET_ERROR && !net_would_block(net_last_error())) {
            /* A failure, not the end: the client reset the connection, for instance. */
            report_client_error("recv from", peer);
            return -1;
        }
    }
    //! [read]

    //! [echo]
    /* send() returns how many bytes it took, and that may be fewer than offered: on
     * this non-blocking socket, what fits in its send buffer. The rest waits in recvbuf, and
     * the loop asks poll() for room to send it (POLLOUT): waiting here would stop everybody.
     * MSG_NOSIGNAL: if the client has gone, fail with an error instead of letting
     * SIGPIPE kill the process (POSIX; Winsock never raises signals). */
    if (c->sent < c->length) {
        result = send(ClientSocket, c->recvbuf + c->sent, c->length - c->sent, MSG_NOSIGNAL);
        if (result != SOCKET_ERROR) {
            c->sent += result;
            c->echoed += (unsigned long long)result;
        } else if (!net_would_block(net_last_error())) {
            report_client_error("send to", peer);
            return -1;
        }
    }
    //! [echo]
    /* received == 0: the client shut down its sending side, and everything it sent has been
     * echoed (it is read only when nothing waits). */
    if (received != 0)
        return 1;

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
    /* stdout is not a socket of the loop: if whoever reads it falls behind, this write waits,
     * and so does every client. Servers under real load log less, or from another thread. */
    printf("served %s: echoed %llu bytes\n", peer, c->echoed);
    fflush(stdout);
    return 0;
}

/** Adds a connection to the loop's arrays, growing them if full. Returns 0, or -1 when out of
 *  memory (after a report: the caller closes the socket). */
static int add_client(struct pollfd **fds, struct client ***clients, size_t *count,
                      size_t *capacity, SOCKET ClientSocket, const char *peer)
{
    //! [grow]
    if (*count == *capacity) {
        /* Double the arrays: pollfd entries must be contiguous for poll(). */
        size_t bigger = *capacity * 2;
        struct pollfd *more_fds = realloc(*fds, bigger * sizeof **fds);
        if (more_fds != NULL)
            *fds = more_fds;
        struct client **more_clients =
            more_fds != NULL ? realloc(*clients, bigger * sizeof **clients) : NULL;
        if (more_clients == NULL) {
            report_message("out of memory: closing %s", peer);
            return -1;
        }
        *clients = more_clients;
        *capacity = bigger;
    }
    //! [grow]
    struct client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        report_message("out of memory: closing %s", peer);
        return -1;
    }
    c->ClientSocket = ClientSocket;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    (*clients)[(*count)++] = c;
    return 0;
}

/** Closes client @p i and moves the last one into its place; the order does not matter. */
static void remove_client(struct client **clients, size_t *count, size_t i)
{
    closesocket(clients[i]->ClientSocket);
    free(clients[i]);
    clients[i] = clients[--*count];
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
    /* Entry 0 of both arrays is the listening socket (clients[0] stays NULL); entries 1 to
     * count - 1 are the clients, fds[i] belonging to clients[i]. */
    struct pollfd *fds = NULL;
    struct client **clients = NULL;
    size_t count = 1;
    size_t capacity = 16;
    unsigned long accepted = 0;
    int on = 1;
    int rc;
    int status = NET_EXIT_FAILURE;

    if (!options_parse(argc, argv, OPTIONS_ADDRESS | OPTIONS_CLIENTS,
                       "Echo server: serves many clients at once from one thread until Ctrl-C.",
                       &opts))
        return opts.exit_status;

    if (install_stop_handler() != 0) {
        report_message("cannot install the Ctrl-C handler");
        return NET_EXIT_FAILURE;
    }
    //! [sigpipe]
    /* The server's own output may be a pipe whose reader has gone (`server | head -n 1`):
     * writing to it would raise SIGPIPE and end the server, clients and all. Ignored, the
     * write just fails, and a lost log line is not worth a client. */
    if (net_ignore_sigpipe() != 0) {
        report_message("cannot ignore SIGPIPE");
        return NET_EXIT_FAILURE;
    }
    //! [sigpipe]

    //! [startup]
    if (net_startup() != 0)
        return NET_EXIT_FAILURE; /* already reported */
    //! [startup]

    fds = malloc(capacity * sizeof *fds);
    clients = malloc(capacity * sizeof *clients);
    if (fds == NULL || clients == NULL) {
        report_message("out of memory");
        goto cleanup;
    }

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

    //! [nonblocking-listener]
    /* Between the wait that reports a connection and the accept() that takes it, another
     * thread or process that shares this listening socket may take that connection first. A
     * blocking accept() would then wait for the next client; on Windows nothing interrupts
     * it, and Ctrl-C would be seen only then. Non-blocking, accept() fails at once with
     * "would block", and the loop goes back to its wait. */
    if (net_set_nonblocking(ListenSocket) == SOCKET_ERROR) {
        report_socket_error(NET_NONBLOCKING_CALL);
        goto cleanup;
    }
    //! [nonblocking-listener]

    fds[0].fd = ListenSocket;
    clients[0] = NULL;

    //! [event-loop]
    /* Until Ctrl-C, or until --clients N have been accepted and served. */
    while (!stop_requested && (opts.clients == 0 || accepted < opts.clients || count > 1)) {
        /* Say, for every socket, what the loop waits for. poll() takes the whole list on
         * every call: the kernel looks at each entry, so a call costs time in proportion
         * to the number of clients, busy or not. */
        int accepting = opts.clients == 0 || accepted < opts.clients;
        fds[0].events = (short)(accepting ? POLLIN : 0);
        for (size_t i = 1; i < count; i++) {
            fds[i].fd = clients[i]->ClientSocket;
            fds[i].events = wanted_events(clients[i]);
        }

        //! [poll]
        int ready = net_poll(fds, count, STOP_CHECK_MS);
        if (ready == SOCKET_ERROR) {
            report_socket_error(NET_POLL_CALL);
            goto cleanup;
        }
        //! [poll]

        /* From the last client down: removing client i moves the last one into its place,
         * and that one has been looked at already. */
        for (size_t i = count - 1; i >= 1; i--) {
            if (fds[i].revents != 0 && serve_ready_client(clients[i], fds[i].revents) != 1)
                remove_client(clients, &count, i);
        }

        /* A new connection: one per turn, so that a flood cannot starve the clients in. */
        if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) == 0 || !accepting)
            continue;
        peer_len = sizeof peer;
        ClientSocket = accept(ListenSocket, (struct sockaddr *)&peer, &peer_len);
        if (ClientSocket == INVALID_SOCKET) {
            /* Most failures concern that one connection (the client gave up before it was
             * accepted) or pass (out of descriptors until another client leaves): only a
             * broken listening socket ends the server. */
            int err = net_last_error();
            if (net_would_block(err))
                continue; /* gone between the wait and accept(), or interrupted (EINTR) */
            enum net_accept_failure kind = net_classify_accept_error(err);
            report_error_code("accept", err);
            if (kind == NET_ACCEPT_FATAL)
                goto cleanup;
            /* Every client waits during this pause too: step 14 pauses only the accepting. */
            if (kind == NET_ACCEPT_BACK_OFF)
                net_sleep_ms(BACK_OFF_MS); /* it stays queued; retrying at once would spin */
            continue;
        }
        accepted++;
        net_format_address((struct sockaddr *)&peer, peer_len, address, sizeof address);
        /* Non-blocking, so that no call on it waits: see serve_ready_client(). An accepted socket
         * takes its listener's mode on Windows and the BSDs, but not on Linux: so, always. */
        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR)
            report_client_error(NET_NONBLOCKING_CALL " on", address);
        else if (add_client(&fds, &clients, &count, &capacity, ClientSocket, address) == 0)
            ClientSocket = INVALID_SOCKET; /* the loop's now: remove_client() closes it */
        if (ClientSocket != INVALID_SOCKET)
            closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
    }
    //! [event-loop]

    if (stop_requested && count > 1)
        report_message("stopping: closing %lu connection%s", (unsigned long)(count - 1),
                       count == 2 ? "" : "s");
    printf("shut down after %lu client%s\n", accepted, accepted == 1 ? "" : "s");

    status = NET_EXIT_OK;

cleanup:
    while (count > 1)
        remove_client(clients, &count, count - 1);
    free(clients);
    free(fds);
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
