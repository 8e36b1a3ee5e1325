/**
 * @file steps/14-event-loop/main.c
 * @brief Step 14: the poll loop made fit to be left running: backpressure, one buffer for
 *        every client, an idle timeout, a client limit, and no spinning.
 *
 * Step 13's loop served every client at once, but anyone could wear it down: each client held
 * a buffer of its own, silent ones stayed for ever, and out of descriptors the whole loop
 * slept. Here data is read into one buffer that all clients share and echoed at once; only
 * what a client cannot take yet is copied into a buffer of its own, and a client whose echo
 * waits is not read from. So an idle client costs a few hundred bytes, and a slow one at most
 * one read. Silent clients are closed after `--idle-timeout`; at `--max-clients`, or out of
 * descriptors, the loop pauses accepting, not serving; and nothing makes it spin.
 *
 * What comes next: `poll()` still hands the kernel the whole list on every call, and the
 * loop scans all of it, so each turn costs time in proportion to the clients, idle or not.
 * Linux's `epoll` and the BSDs' and macOS's `kqueue` keep the list in the kernel and return
 * only the sockets that are ready. Windows goes further with I/O completion ports: the
 * program hands over whole operations (`AcceptEx()`, `WSARecv()`, `WSASend()` with
 * `OVERLAPPED`) and is told when they are done, so no readiness is polled at all; Linux has
 * the same model in io_uring. Step 17 uses both; libuv wraps epoll, kqueue and completion
 * ports, and the benchmark's page compares them.
 * @see step14
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The size of the receive buffer that every client shares: one recv() reads at most this. */
#define READ_BUFLEN 65536
/** How long a wait lasts before the server looks at its stop flag again, in milliseconds. */
#define STOP_CHECK_MS 200
/** How long to stop accepting when accept() fails for lack of descriptors or memory. */
#define BACK_OFF_MS 250
/** How many connections to accept in one turn of the loop. */
#define ACCEPT_BATCH 64
/** `--idle-timeout` unless given: close a client when nothing moved for this many seconds. */
#define DEFAULT_IDLE_TIMEOUT 60
/** `--max-clients` unless given. poll() looks at every client on every call: past a few
 *  thousand, each turn of the loop costs more than the work it does (see step 17). */
#define DEFAULT_MAX_CLIENTS 1000
/** How long a client that WSAPoll() keeps reporting as hung up sits out (see the echo). */
#define PARK_MS 20

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
 * An event loop returns to poll() after every step, so the state is written down here. No
 * buffer of its own but while part of an echo waits: see the keep. */
struct client {
    SOCKET ClientSocket;
    char peer[NET_ADDRESS_STRLEN];
    char *pending;             /* NULL, or a copy of what waits to be echoed: see the keep */
    int length;                /* bytes received; [sent, length) is not echoed yet */
    int sent;                  /* of those, bytes echoed */
    long long last_active_ms;  /* when a byte last moved either way, for --idle-timeout */
    long long parked_until_ms; /* left out of poll() until then: see the echo */
    unsigned long long echoed; /* bytes echoed in all */
};
//! [client-state]

//! [wanted-events]
/** What to wait for on a client: the loop asks only for what it can act on. */
static short wanted_events(const struct client *c)
{
    /* Backpressure: while part of an echo waits, the client is not read from, though the
     * shared buffer would have room. Its data waits in the kernel's buffers; when those fill
     * up, TCP tells the client to stop sending. The server keeps at most one read's worth
     * per client, however fast the client sends. */
    return (short)(c->sent < c->length ? POLLOUT : POLLIN);
}
//! [wanted-events]

/**
 * Steps 6 and 7 for one client, as far as they go without waiting: receives what came (if
 * nothing waits to be echoed), echoes what the socket takes, and ends our direction once the
 * client has finished. Returns 1 to keep the client, 0 once it has been served, -1 after
 * reporting a failure; the caller then closes the socket.
 */
static int serve_ready_client(struct client *c, short revents, long long now, char *readbuf)
{
    SOCKET ClientSocket = c->ClientSocket;
    const char *peer = c->peer;
    int received = SOCKET_ERROR; /* nothing received yet */
    int result;

    //! [read]
    /* POLLHUP and POLLERR count as readable: recv() then returns 0 or the error. WSAPoll()
     * reports an orderly close as POLLHUP without POLLIN. */
    if (c->sent == c->length && (revents & (POLLIN | POLLHUP | POLLERR))) {
        received = recv(ClientSocket, readbuf, READ_BUFLEN, 0);
        if (received > 0) {
            c->length = received;
            c->sent = 0;
            c->last_active_ms = now;
        } else if (received == SOCKET_ERROR && !net_would_block(net_last_error())) {
            /* A failure, not the end: the client reset the connection, for instance. */
            report_client_error("recv from", peer);
            return -1;
        }
    }
    //! [read]

    //! [echo]
    /* send() returns how many bytes it took, and that may be fewer than offered: on
     * this non-blocking socket, what fits in its send buffer. The rest waits (see the keep), and
     * the loop asks poll() for room to send it (POLLOUT): waiting here would stop everybody.
     * MSG_NOSIGNAL: if the client has gone, fail with an error instead of letting
     * SIGPIPE kill the process (POSIX; Winsock never raises signals). */
    if (c->sent < c->length) {
        const char *data = c->pending != NULL ? c->pending : readbuf;
        result = send(ClientSocket, data + c->sent, c->length - c->sent, MSG_NOSIGNAL);
        if (result != SOCKET_ERROR) {
            c->sent += result;
            c->echoed += (unsigned long long)result;
            c->last_active_ms = now;
        } else if (!net_would_block(net_last_error())) {
            report_client_error("send to", peer);
            return -1;
        } else if ((revents & POLLHUP) && !(revents & POLLOUT)) {
            /* WSAPoll() goes on reporting POLLHUP once the client has shut down its side,
             * whatever we ask for (seen under Wine): waiting for room to send to a client
             * that sent, shut down and stopped reading would return at once, again and
             * again (under Wine, about 1500 turns of the loop a second; about 40 with
             * this). Such a client sits out of poll() for a moment instead. Linux's poll()
             * reports POLLHUP only once both directions are closed. */
            c->parked_until_ms = now + PARK_MS;
        }
    }
    //! [echo]

    //! [keep]
    /* All echoed: a copy is freed, and the client costs no buffer again. Not all: what is
     * left must leave the shared buffer, which the next client's recv() overwrites. */
    if (c->sent == c->length) {
        free(c->pending);
        c->pending = NULL;
    } else if (c->pending == NULL) {
        char *rest = malloc((size_t)(c->length - c->sent));
        if (rest == NULL) {
            report_message("out of memory: closing %s", peer);
            return -1;
        }
        memcpy(rest, readbuf + c->sent, (size_t)(c->length - c->sent));
        c->pending = rest;
        c->length -= c->sent;
        c->sent = 0;
    }
    //! [keep]
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
                      size_t *capacity, SOCKET ClientSocket, const char *peer, long long now)
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
    c->last_active_ms = now;
    (*clients)[(*count)++] = c;
    return 0;
}

/** Closes client @p i and moves the last one into its place; the order does not matter. */
static void remove_client(struct client **clients, size_t *count, size_t i)
{
    closesocket(clients[i]->ClientSocket);
    free(clients[i]->pending);
    free(clients[i]);
    clients[i] = clients[--*count];
}

int main(int argc, char **argv)
{
    struct options opts;
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    SOCKET ListenSocket = INVALID_SOCKET;
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
    static char readbuf[READ_BUFLEN]; /* shared by every client: see serve_ready_client() */
    unsigned long accepted = 0;
    long long idle_timeout_ms;
    long long listener_paused_until = 0;
    int said_full = 0;
    int on = 1;
    int rc;
    int status = NET_EXIT_FAILURE;

    opts.max_clients = DEFAULT_MAX_CLIENTS;
    opts.idle_timeout = DEFAULT_IDLE_TIMEOUT;
    if (!options_parse(
            argc, argv,
            OPTIONS_ADDRESS | OPTIONS_CLIENTS | OPTIONS_MAX_CLIENTS | OPTIONS_IDLE_TIMEOUT,
            "Echo server: serves many clients at once from one thread until Ctrl-C.", &opts))
        return opts.exit_status;
    idle_timeout_ms = 1000LL * (long long)opts.idle_timeout;

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
        long long now = net_now_ms();
        int timeout = STOP_CHECK_MS;
        unsigned long served_now = (unsigned long)(count - 1);

        //! [close-listener]
        if (ListenSocket != INVALID_SOCKET && opts.clients != 0 && accepted >= opts.clients) {
            /* --clients N: all N accepted. Refuse the next ones rather than queue them. */
            closesocket(ListenSocket);
            ListenSocket = INVALID_SOCKET;
        }
        //! [close-listener]
        //! [client-limit]
        if (served_now >= opts.max_clients && !said_full) {
            printf("%lu clients at once: new connections wait until one leaves\n",
                   opts.max_clients);
            fflush(stdout);
        }
        said_full = served_now >= opts.max_clients;
        //! [client-limit]

        /* Say, for every socket, what the loop waits for. poll() takes the whole list on
         * every call: the kernel looks at each entry, so a call costs time in proportion
         * to the number of clients, busy or not. A negative descriptor is skipped, by
         * poll() and by WSAPoll() alike. */
        int accepting = ListenSocket != INVALID_SOCKET && !said_full;
        fds[0].fd = ListenSocket;
        fds[0].events = (short)(accepting && now >= listener_paused_until ? POLLIN : 0);
        if (accepting && now < listener_paused_until && listener_paused_until - now < timeout)
            timeout = (int)(listener_paused_until - now);
        for (size_t i = 1; i < count; i++) {
            struct client *c = clients[i];
            fds[i].fd = now < c->parked_until_ms ? INVALID_SOCKET : c->ClientSocket;
            fds[i].events = wanted_events(c);
            if (now < c->parked_until_ms && timeout > PARK_MS)
                timeout = PARK_MS;
        }

        //! [poll]
        int ready = net_poll(fds, count, timeout);
        if (ready == SOCKET_ERROR) {
            report_socket_error(NET_POLL_CALL);
            goto cleanup;
        }
        //! [poll]

        /* From the last client down: removing client i moves the last one into its place,
         * and that one has been looked at already. */
        now = net_now_ms();
        for (size_t i = count - 1; i >= 1; i--) {
            struct client *c = clients[i];
            int result = 1;
            /* (An entry left out of poll() has nothing to report; Wine marks it POLLNVAL.) */
            if (fds[i].fd != INVALID_SOCKET && fds[i].revents != 0)
                result = serve_ready_client(c, fds[i].revents, now, readbuf);
            //! [idle-timeout]
            /* Any byte that moves, either way, resets the timer: a client that trickles one
             * byte now and then is never idle. (A total deadline, or a minimum rate, would
             * close it too: see the exercises.) */
            if (result == 1 && now - c->last_active_ms >= idle_timeout_ms) {
                report_message("closing %s: nothing moved for %lld s", c->peer,
                               idle_timeout_ms / 1000);
                result = -1;
            }
            //! [idle-timeout]
            if (result != 1)
                remove_client(clients, &count, i);
        }

        /* New connections, up to ACCEPT_BATCH a turn: a flood of them must neither starve the
         * clients already in nor wait a turn of the whole loop each. */
        if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) == 0 || !accepting)
            continue;
        for (int i = 0; i < ACCEPT_BATCH && count - 1 < opts.max_clients &&
                        (opts.clients == 0 || accepted < opts.clients);
             i++) {
            peer_len = sizeof peer;
            SOCKET ClientSocket = accept(ListenSocket, (struct sockaddr *)&peer, &peer_len);
            if (ClientSocket == INVALID_SOCKET) {
                /* Most failures concern that one connection (the client gave up before it was
                 * accepted) or pass (out of descriptors until another client leaves): only a
                 * broken listening socket ends the server. */
                int err = net_last_error();
                if (net_would_block(err))
                    break; /* none left in the backlog, or gone, or interrupted (EINTR) */
                enum net_accept_failure kind = net_classify_accept_error(err);
                report_error_code("accept", err);
                if (kind == NET_ACCEPT_FATAL)
                    goto cleanup;
                //! [listener-pause]
                /* The connection stays queued, so the listener stays readable: polling it would
                 * wake the loop at once, for ever. Leave it out for a while instead (a sleep
                 * would stop every client); the clients already in are served meanwhile, and
                 * free descriptors as they leave. */
                if (kind == NET_ACCEPT_BACK_OFF) {
                    listener_paused_until = now + BACK_OFF_MS;
                    break;
                }
                //! [listener-pause]
                continue;
            }
            accepted++;
            net_format_address((struct sockaddr *)&peer, peer_len, address, sizeof address);
            /* Non-blocking, so that no call on it waits: see serve_ready_client(). An
             * accepted socket takes its listener's mode on Windows and the BSDs, but not on
             * Linux: so, always. */
            if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR)
                report_client_error(NET_NONBLOCKING_CALL " on", address);
            else if (add_client(&fds, &clients, &count, &capacity, ClientSocket, address, now) == 0)
                continue; /* the loop's now: remove_client() closes it */
            closesocket(ClientSocket);
        }
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
    if (ListenSocket != INVALID_SOCKET)
        closesocket(ListenSocket);
    if (res != NULL)
        freeaddrinfo(res);
    net_cleanup();
    //! [cleanup]
    return status;
}
