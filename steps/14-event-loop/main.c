/**
 * @file steps/14-event-loop/main.c
 * @brief Step 14: one thread, many clients: non-blocking sockets and a readiness loop
 *        (`poll()` on POSIX, `WSAPoll()` on Windows) serve every client at once.
 *
 * No call may wait any more: the loop asks the kernel which sockets are ready, does for each
 * what can be done without waiting, and asks again. Each client's progress is kept in a
 * struct. Data is read into one buffer that all clients share and echoed at once; only what
 * the client cannot take yet is kept, in a buffer of its own, and a client that does not read
 * its echo is not read from either. So an idle client costs a few hundred bytes, and a slow
 * one at most one buffer. Silent clients are closed after `--idle-timeout`; at
 * `--max-clients`, or out of descriptors, the loop pauses accepting, not serving. `select()`
 * would do the same job worse: its `fd_set` holds at most `FD_SETSIZE` sockets (64 by
 * default on Windows; on POSIX no descriptor may be numbered `FD_SETSIZE`, 1024, or more),
 * and it must be rebuilt before every call.
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
/** The longest wait in poll() before the server looks at its stop flag again, in ms. */
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
/** How long a client that WSAPoll() keeps reporting as hung up sits out (see the write). */
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
 * buffer: what is received is echoed at once from the shared one, and only what the client
 * could not take yet is kept, in `pending`, allocated for as long as it is needed. */
struct client {
    SOCKET ClientSocket;
    char peer[NET_ADDRESS_STRLEN];
    char *pending;             /* received, not yet echoed: [pending_sent, pending_length) */
    size_t pending_length;     /* bytes in pending; NULL pending when there are none */
    size_t pending_sent;       /* of those, bytes echoed */
    int finished_sending;      /* recv() returned 0: the client shut down its side */
    long long last_active_ms;  /* when a byte last moved either way, for --idle-timeout */
    long long parked_until_ms; /* left out of poll() until then: see the write */
    unsigned long long echoed; /* bytes echoed in all */
};
//! [client-state]

//! [wanted-events]
/** What to wait for on a client: the loop asks only for what it can act on. */
static short wanted_events(const struct client *c)
{
    /* Backpressure: while part of an echo waits, the client is not read from. Its data waits
     * in the kernel's buffers; when those fill up, TCP tells the client to stop sending. The
     * server keeps at most one read's worth per client, however fast the client sends. */
    if (c->pending != NULL)
        return POLLOUT;
    return c->finished_sending ? 0 : POLLIN;
}
//! [wanted-events]

/**
 * Acts on what poll() reported for one client: echoes what waited, reads what came and
 * echoes it, and ends the connection once the client has finished and everything is
 * echoed. Never waits. Returns 1 to keep the client, 0 when it is done (or failed, after a
 * report): close it.
 */
static int serve_ready_client(struct client *c, short revents, long long now, char *readbuf)
{
    int result;

    //! [write]
    /* First what waits from an earlier turn. */
    if (c->pending != NULL) {
        result = send(c->ClientSocket, c->pending + c->pending_sent,
                      (int)(c->pending_length - c->pending_sent), MSG_NOSIGNAL);
        if (result > 0) {
            c->pending_sent += (size_t)result;
            c->echoed += (unsigned long long)result;
            c->last_active_ms = now;
            if (c->pending_sent == c->pending_length) {
                free(c->pending); /* all echoed: the client costs no buffer again */
                c->pending = NULL;
            }
        } else if (!net_would_block(net_last_error())) {
            report_client_error("send to", c->peer);
            return 0;
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
    //! [write]

    //! [read]
    /* POLLHUP and POLLERR count as readable: recv() then returns 0 or the error. WSAPoll()
     * reports an orderly close as POLLHUP without POLLIN. */
    if (c->pending == NULL && !c->finished_sending && (revents & (POLLIN | POLLHUP | POLLERR))) {
        result = recv(c->ClientSocket, readbuf, READ_BUFLEN, 0);
        if (result > 0) {
            c->last_active_ms = now;
            /* Echo at once: send() on a non-blocking socket takes what fits in the socket's
             * buffer and returns. Usually that is everything. */
            int sent = send(c->ClientSocket, readbuf, result, MSG_NOSIGNAL);
            if (sent == SOCKET_ERROR) {
                if (!net_would_block(net_last_error())) {
                    report_client_error("send to", c->peer);
                    return 0;
                }
                sent = 0;
            }
            c->echoed += (unsigned long long)sent;
            if (sent < result) {
                /* The rest waits for room; the shared buffer is the next client's now. */
                c->pending = malloc((size_t)(result - sent));
                if (c->pending == NULL) {
                    report_message("out of memory: closing %s", c->peer);
                    return 0;
                }
                memcpy(c->pending, readbuf + sent, (size_t)(result - sent));
                c->pending_length = (size_t)(result - sent);
                c->pending_sent = 0;
            }
        } else if (result == 0) {
            c->finished_sending = 1;
        } else if (!net_would_block(net_last_error())) {
            report_client_error("recv from", c->peer);
            return 0;
        }
    }
    //! [read]

    //! [finish]
    /* The client has sent everything and has all of it back: step 7's orderly end. */
    if (c->finished_sending && c->pending == NULL) {
        if (shutdown(c->ClientSocket, SD_SEND) == SOCKET_ERROR) {
            report_client_error("shutdown of", c->peer);
            return 0;
        }
        /* stdout is not a socket of the loop: if whoever reads it falls behind, this write
         * waits, and so does every client. Servers under real load log less, or log from
         * another thread. */
        printf("served %s: echoed %llu bytes\n", c->peer, c->echoed);
        fflush(stdout);
        return 0;
    }
    //! [finish]
    return 1;
}

/**
 * Accepts the connections waiting on the non-blocking listener and appends them to the
 * arrays, up to @p room of them. Returns 0, or -1 if the listening socket itself failed
 * (after a report). Sets @p paused_until when out of descriptors.
 */
static int accept_clients(SOCKET ListenSocket, struct pollfd **fds, struct client ***clients,
                          size_t *count, size_t *capacity, unsigned long *accepted,
                          unsigned long room, long long now, long long *paused_until)
{
    struct sockaddr_storage peer;
    socklen_t peer_len;
    SOCKET ClientSocket;

    /* A few at a time: a flood of new connections must not starve the clients already in. */
    for (unsigned long i = 0; i < ACCEPT_BATCH && i < room; i++) {
        //! [accept]
        peer_len = sizeof peer;
        ClientSocket = accept(ListenSocket, (struct sockaddr *)&peer, &peer_len);
        if (ClientSocket == INVALID_SOCKET) {
            int err = net_last_error();
            if (net_would_block(err))
                return 0; /* nobody left in the backlog */
            enum net_accept_failure kind = net_classify_accept_error(err);
            report_error_code("accept", err);
            if (kind == NET_ACCEPT_FATAL)
                return -1;
            if (kind == NET_ACCEPT_BACK_OFF) {
                /* The connection stays queued, so the listener stays readable: polling it
                 * would wake the loop at once, forever. Leave it out for a while instead;
                 * the clients already connected are served meanwhile, and free descriptors
                 * as they leave. */
                *paused_until = now + BACK_OFF_MS;
                return 0;
            }
            continue;
        }
        //! [accept]
        char peer_name[NET_ADDRESS_STRLEN];
        net_format_address((struct sockaddr *)&peer, peer_len, peer_name, sizeof peer_name);
        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR) {
            report_client_error(NET_NONBLOCKING_CALL " on", peer_name);
            closesocket(ClientSocket);
            continue;
        }
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
                report_message("out of memory: closing a new connection");
                closesocket(ClientSocket);
                return 0;
            }
            *clients = more_clients;
            *capacity = bigger;
        }
        //! [grow]
        struct client *c = calloc(1, sizeof *c);
        if (c == NULL) {
            report_message("out of memory: closing a new connection");
            closesocket(ClientSocket);
            return 0;
        }
        c->ClientSocket = ClientSocket;
        memcpy(c->peer, peer_name, sizeof c->peer);
        c->last_active_ms = now;
        (*clients)[*count] = c;
        (*fds)[*count].fd = ClientSocket;
        (*count)++;
        (*accepted)++;
    }
    return 0;
}

/** Closes client @p i and moves the last one into its place; the order does not matter. */
static void remove_client(struct pollfd *fds, struct client **clients, size_t *count, size_t i)
{
    closesocket(clients[i]->ClientSocket);
    free(clients[i]->pending);
    free(clients[i]);
    (*count)--;
    fds[i] = fds[*count];
    clients[i] = clients[*count];
}

int main(int argc, char **argv)
{
    struct options opts;
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    SOCKET ListenSocket = INVALID_SOCKET;
    struct sockaddr_storage bound;
    socklen_t bound_len;
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
    while (!stop_requested) {
        long long now = net_now_ms();
        int timeout = STOP_CHECK_MS;
        unsigned long served_now = (unsigned long)(count - 1);

        if (ListenSocket != INVALID_SOCKET && opts.clients != 0 && accepted >= opts.clients) {
            /* --clients N: all N accepted. Refuse the next ones rather than queue them. */
            closesocket(ListenSocket);
            ListenSocket = INVALID_SOCKET;
        }
        if (ListenSocket == INVALID_SOCKET && count == 1)
            break; /* --clients N: all N served */
        if (served_now >= opts.max_clients && !said_full) {
            printf("%lu clients at once: new connections wait until one leaves\n",
                   opts.max_clients);
            fflush(stdout);
        }
        said_full = served_now >= opts.max_clients;

        /* Say, for every socket, what the loop waits for. poll() takes the whole list on
         * every call: the kernel looks at each entry, so a call costs time in proportion
         * to the number of clients, busy or not. A negative descriptor is skipped, by
         * poll() and by WSAPoll() alike. */
        int accepting = ListenSocket != INVALID_SOCKET && !said_full;
        fds[0].fd = ListenSocket;
        fds[0].events = accepting && now >= listener_paused_until ? POLLIN : 0;
        fds[0].revents = 0;
        if (accepting && now < listener_paused_until && listener_paused_until - now < timeout)
            timeout = (int)(listener_paused_until - now);
        for (size_t i = 1; i < count; i++) {
            struct client *c = clients[i];
            fds[i].fd = now < c->parked_until_ms ? INVALID_SOCKET : c->ClientSocket;
            fds[i].events = wanted_events(c);
            fds[i].revents = 0;
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
            int keep = 1;
            /* (An entry left out of poll() has nothing to report; Wine marks it POLLNVAL.) */
            if (fds[i].fd != INVALID_SOCKET && fds[i].revents != 0)
                keep = serve_ready_client(c, fds[i].revents, now, readbuf);
            //! [idle-timeout]
            /* Any byte that moves, either way, resets the timer: a client that trickles one
             * byte now and then is never idle. (A total deadline, or a minimum rate, would
             * close it too: see the exercises.) */
            if (keep && now - c->last_active_ms >= idle_timeout_ms) {
                report_message("closing %s: nothing moved for %lld s", c->peer,
                               idle_timeout_ms / 1000);
                keep = 0;
            }
            //! [idle-timeout]
            if (!keep)
                remove_client(fds, clients, &count, i);
        }

        if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) != 0 && accepting) {
            unsigned long room = opts.max_clients - (unsigned long)(count - 1);
            if (opts.clients != 0 && opts.clients - accepted < room)
                room = opts.clients - accepted;
            if (accept_clients(ListenSocket, &fds, &clients, &count, &capacity, &accepted, room,
                               now, &listener_paused_until) != 0)
                goto cleanup;
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
        remove_client(fds, clients, &count, count - 1);
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
