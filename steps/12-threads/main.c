/**
 * @file steps/12-threads/main.c
 * @brief Step 12: one thread per client: the complete server hands each accepted connection
 *        to a thread of its own, so that a slow or silent client no longer holds up the others.
 *
 * The main thread only accepts; each client thread runs step 10's echo loop, written as
 * plainly as before: wait, receive, send. The cost is a thread (a stack, a kernel object)
 * per connection, so at `--max-clients` the main thread stops accepting and new connections
 * wait in the kernel's backlog; a silent client holds its thread for `--idle-timeout` at
 * most. On Ctrl-C the threads close their clients, and the main thread joins every one of
 * them before it exits.
 * @see step12
 */
#include "net.h"
#include "options.h"
#include "report.h"
#include "thread.h"

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
/** `--idle-timeout` unless given: close a client when nothing moved for this many seconds. */
#define DEFAULT_IDLE_TIMEOUT 60
/** How many clients are served at once unless `--max-clients` says otherwise. */
#define DEFAULT_MAX_CLIENTS 64

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
/* In this step every thread reads stop_requested: the client threads look at it between two
 * waits, as step 10's loop did. Being atomic, it needs no lock. The signal handler itself
 * always runs in the main thread: thread_start() blocks signals in the threads it starts, so
 * that a signal never interrupts a client thread's call. */

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

/* One accepted client, and the thread that serves it. */
struct client {
    SOCKET ClientSocket;           /* the connection; the client's thread closes it */
    char peer[NET_ADDRESS_STRLEN]; /* the client's address, for messages */
    struct thread thread;          /* the thread that serves it */
    struct client *next;           /* in shared.finished, once the thread is done */
};

//! [shared-state]
/* What the main thread and the client threads share besides stop_requested. A field that one
 * thread writes while another reads it must be guarded by a lock: without it, the reader may
 * see a stale or half-written value, and the compiler may even keep it in a register forever.
 * Every field below is only touched with shared.lock held. */
static struct {
    struct thread_mutex lock;
    struct thread_cond changed; /* broadcast when a client thread finishes */
    unsigned long active;       /* client threads started and not yet finished */
    struct client *finished;    /* finished threads, waiting for the main thread to join */
} shared;
//! [shared-state]

//! [wait-for-client]
/**
 * Waits until the client's socket can be read (or, with @p to_send, written), for at most
 * @p idle_timeout_ms, in slices of STOP_CHECK_MS so that a stop request is seen. Returns 1
 * when the socket is ready; otherwise reports why it gave up (a stop, the client's silence, a
 * failure) and returns 0.
 */
static int wait_for_client(SOCKET ClientSocket, int to_send, const char *peer,
                           long long idle_timeout_ms)
{
    long long deadline = net_now_ms() + idle_timeout_ms;
    for (;;) {
        if (stop_requested) {
            report_message("stopping: closing the connection to %s", peer);
            return 0;
        }
        long long left = deadline - net_now_ms();
        if (left <= 0) {
            report_message("closing %s: nothing moved for %lld s", peer, idle_timeout_ms / 1000);
            return 0;
        }
        int slice = left < STOP_CHECK_MS ? (int)left : STOP_CHECK_MS;
        int ready = to_send ? net_wait_writable(ClientSocket, slice)
                            : net_wait_readable(ClientSocket, slice);
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
 * down our direction. The socket is non-blocking, so no call waits but wait_for_client().
 * Stores the bytes echoed in @p echoed. Returns 0, or -1 after reporting a failure, a stop
 * request or a silent client. The caller closes the socket.
 */
static int serve_client(SOCKET ClientSocket, const char *peer, long long idle_timeout_ms,
                        unsigned long long *echoed)
{
    char recvbuf[DEFAULT_BUFLEN];
    int received;
    int sent;
    int result;

    *echoed = 0;
    //! [echo-loop]
    do {
        /* Wait in slices, so that Ctrl-C is noticed even while this client is silent. */
        if (!wait_for_client(ClientSocket, 0, peer, idle_timeout_ms))
            return -1;
        received = recv(ClientSocket, recvbuf, (int)sizeof recvbuf, 0);
        if (received > 0) {
            //! [send-all]
            /* send() returns how many bytes it took, and that may be fewer than offered: on
             * this non-blocking socket, what fits in its send buffer. So loop until every
             * byte is on its way, waiting for room in between.
             * MSG_NOSIGNAL: if the client has gone, fail with an error instead of letting
             * SIGPIPE kill the process (POSIX; Winsock never raises signals). */
            for (sent = 0; sent < received; sent += result) {
                result = send(ClientSocket, recvbuf + sent, received - sent, MSG_NOSIGNAL);
                if (result != SOCKET_ERROR)
                    continue;
                if (!net_would_block(net_last_error())) {
                    report_client_error("send to", peer);
                    return -1;
                }
                //! [wait-for-room]
                /* The buffers are full: the client is not reading its echo. A blocking send()
                 * would wait here until it does, and no stop flag could end that wait (a
                 * signal may cut it short, but the loop would send again; Windows' console
                 * handler runs in another thread and cannot interrupt it at all).
                 * Non-blocking, the room to send is waited for like data, in slices, with
                 * the same idle timeout. */
                if (!wait_for_client(ClientSocket, 1, peer, idle_timeout_ms))
                    return -1;
                result = 0; /* nothing sent this time round */
                //! [wait-for-room]
            }
            //! [send-all]
            *echoed += (unsigned long long)received;
        } else if (received == SOCKET_ERROR && !net_would_block(net_last_error())) {
            /* A failure, not the end: the client reset the connection, for instance. */
            report_client_error("recv from", peer);
            return -1;
        }
        /* received == 0: the client shut down its sending side and everything it sent has
         * been read. That ends the loop. (SOCKET_ERROR and "would block": readable a moment
         * ago, not now; wait again.) */
    } while (received != 0);
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

//! [client-thread]
/** A client thread: serves its client, closes the connection, and reports that it is done. */
static long long idle_timeout_ms; /* --idle-timeout, for every client thread */

static void client_thread(void *arg)
{
    struct client *client = arg;
    unsigned long long echoed;

    if (serve_client(client->ClientSocket, client->peer, idle_timeout_ms, &echoed) == 0)
        printf("served %s: echoed %llu bytes\n", client->peer, echoed);
    fflush(stdout);
    closesocket(client->ClientSocket);

    /* A thread cannot join itself: it hands itself to the main thread, which joins it and
     * frees its memory. After the unlock, `client` may already be freed: hands off. */
    thread_mutex_lock(&shared.lock);
    client->next = shared.finished;
    shared.finished = client;
    shared.active--;
    thread_cond_broadcast(&shared.changed);
    thread_mutex_unlock(&shared.lock);
}
//! [client-thread]

//! [join]
/** Joins the client threads that have finished, and frees what each one had. */
static void join_finished_threads(void)
{
    thread_mutex_lock(&shared.lock);
    struct client *done = shared.finished;
    shared.finished = NULL;
    thread_mutex_unlock(&shared.lock);
    /* Outside the lock: a join may wait a moment for the thread to return. */
    while (done != NULL) {
        struct client *next = done->next;
        thread_join(&done->thread);
        free(done);
        done = next;
    }
}

/**
 * Waits until every client thread has finished, and joins them all. With @p tell_them the
 * threads are asked to close their clients at once, as after Ctrl-C.
 */
static void wait_for_client_threads(int tell_them)
{
    if (tell_them)
        stop_requested = 1;
    thread_mutex_lock(&shared.lock);
    while (shared.active > 0)
        thread_cond_wait_ms(&shared.changed, &shared.lock, STOP_CHECK_MS);
    thread_mutex_unlock(&shared.lock);
    join_finished_threads();
}
//! [join]

/**
 * Waits while @p max clients are being served. Returns 1 if there is a place for one more,
 * 0 if the caller should look at its stop flag and call again.
 */
static int wait_under_limit(unsigned long max)
{
    static int said_so = 0;
    int under;
    //! [client-limit]
    /* At the limit the main thread stops calling accept(): new connections wait in the
     * kernel's backlog (the client's connect() has already succeeded; its data waits in the
     * socket's buffers). A thread for each of them would cost memory without limit. */
    thread_mutex_lock(&shared.lock);
    if (shared.active >= max) {
        if (!said_so) {
            printf("%lu clients at once: new connections wait until one leaves\n", max);
            fflush(stdout);
            said_so = 1;
        }
        thread_cond_wait_ms(&shared.changed, &shared.lock, STOP_CHECK_MS);
    }
    under = shared.active < max;
    thread_mutex_unlock(&shared.lock);
    //! [client-limit]
    if (under)
        said_so = 0;
    return under;
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
    struct client *client;
    unsigned long accepted = 0;
    int threads_ready = 0;
    int on = 1;
    int rc;
    int status = NET_EXIT_FAILURE;

    opts.max_clients = DEFAULT_MAX_CLIENTS;
    opts.idle_timeout = DEFAULT_IDLE_TIMEOUT;
    if (!options_parse(
            argc, argv,
            OPTIONS_ADDRESS | OPTIONS_CLIENTS | OPTIONS_MAX_CLIENTS | OPTIONS_IDLE_TIMEOUT,
            "Echo server: serves each client in a thread of its own until Ctrl-C.", &opts))
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

    if (thread_mutex_init(&shared.lock) != 0) {
        report_message("cannot create a mutex");
        goto cleanup;
    }
    if (thread_cond_init(&shared.changed) != 0) {
        report_message("cannot create a condition variable");
        thread_mutex_destroy(&shared.lock);
        goto cleanup;
    }
    threads_ready = 1;

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

    //! [accept-loop]
    /* Clients come in until --clients N have been accepted or Ctrl-C; each gets a thread. */
    while (!stop_requested && (opts.clients == 0 || accepted < opts.clients)) {
        join_finished_threads();
        if (!wait_under_limit(opts.max_clients))
            continue;
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
                continue; /* gone between the wait and accept(), or interrupted (EINTR) */
            enum net_accept_failure kind = net_classify_accept_error(err);
            report_error_code("accept", err);
            if (kind == NET_ACCEPT_FATAL)
                goto cleanup;
            if (kind == NET_ACCEPT_BACK_OFF)
                net_sleep_ms(BACK_OFF_MS); /* it stays queued; retrying at once would spin */
            continue;
        }
        net_format_address((struct sockaddr *)&peer, peer_len, address, sizeof address);
        /* Non-blocking, so that no call of the client's thread waits: see serve_client(). */
        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR) {
            report_client_error(NET_NONBLOCKING_CALL " on", address);
            closesocket(ClientSocket);
            ClientSocket = INVALID_SOCKET;
            continue;
        }

        //! [hand-off]
        /* The client's state lives on the heap: main()'s variables change with the next
         * accept(), while the thread still needs its own. */
        client = malloc(sizeof *client);
        if (client == NULL) {
            report_message("out of memory: closing a new connection");
            closesocket(ClientSocket);
            ClientSocket = INVALID_SOCKET;
            continue;
        }
        client->ClientSocket = ClientSocket;
        ClientSocket = INVALID_SOCKET; /* the thread closes it from now on */
        memcpy(client->peer, address, sizeof client->peer);
        thread_mutex_lock(&shared.lock);
        shared.active++; /* before the thread starts: it may finish at once */
        thread_mutex_unlock(&shared.lock);
        rc = thread_start(&client->thread, client_thread, client);
        if (rc != 0) {
            /* Out of threads or memory: like EMFILE, this passes when clients leave. */
            report_message("cannot start a thread for %s (error %d): closing it", client->peer, rc);
            thread_mutex_lock(&shared.lock);
            shared.active--;
            thread_mutex_unlock(&shared.lock);
            closesocket(client->ClientSocket);
            free(client);
            net_sleep_ms(BACK_OFF_MS);
            continue;
        }
        accepted++; /* counted once its thread serves it */
        //! [hand-off]
    }
    //! [accept-loop]

    //! [shutdown]
    /* No new connections from now on: the kernel refuses them instead of queueing them for
     * a server that will never accept them. Then wait for the clients already accepted
     * (after Ctrl-C, their threads close them within STOP_CHECK_MS) and join every thread. */
    closesocket(ListenSocket);
    ListenSocket = INVALID_SOCKET;
    wait_for_client_threads(0);
    printf("shut down after %lu client%s\n", accepted, accepted == 1 ? "" : "s");
    //! [shutdown]

    status = NET_EXIT_OK;

cleanup:
    if (threads_ready) {
        /* On an error path too, no thread may outlive main(): stop them and join them. */
        wait_for_client_threads(1);
        thread_cond_destroy(&shared.changed);
        thread_mutex_destroy(&shared.lock);
    }
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
