/**
 * @file steps/17-completion-ports/main.c
 * @brief Step 17: the completion loop of step 16 without a buffer per connection: a waiting
 *        receive holds none, and the buffers are the server's, lent while an echo is on its
 *        way and given back to the system when the loop is quiet.
 *
 * In step 16 every connection had a buffer of its own, the kernel's while a receive waited
 * in it: 10,000 idle clients held 10,000 buffers. Here the receive handed to the kernel only
 * waits until the socket has something to read, holding no buffer (Windows: a receive of
 * zero bytes; Linux: a poll); then recv() reads into a buffer lent at that moment, which the
 * kernel never holds. When every buffer is lent, a connection with data waits for one.
 * Memory follows the data in flight, not the number of clients.
 * @see step17
 */
#include "net.h"
#include "options.h"
#include "report.h"
#include "ports.h"

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The most receive buffers there can be (and never more than one per connection). */
#ifndef BUFFER_LIMIT
#    define BUFFER_LIMIT 32768
#endif

/** How long a wait lasts before the server looks at its stop flag again, in milliseconds. */
#define STOP_CHECK_MS 200
/** How long to pause when accept() fails for lack of descriptors or memory. */
#define BACK_OFF_MS 250
/** `--idle-timeout` unless given: close a client when nothing moved for this many seconds. */
#define DEFAULT_IDLE_TIMEOUT 60
/** `--max-clients` unless given. Nothing is scanned per client: an idle client costs its
 *  socket, its record here, and a receive waiting in the kernel. */
#define DEFAULT_MAX_CLIENTS 10000
/** How long the stop waits for the operations still in flight to end, in ms. */
#define DRAIN_MS 5000

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
        /* The loop waits in GetQueuedCompletionStatusEx(), which no signal interrupts:
         * a completion posted to the port ends the wait at once. */
        port_wake();
        return TRUE; /* handled: the main loop ends the program */
    case CTRL_CLOSE_EVENT:
        stop_requested = 1;
        port_wake();
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
/** Reports a failed operation on one client's connection: `recv from 127.0.0.1:50000 failed:
 *  ...`. The error comes with the completion: by the time it arrives, net_last_error() says
 *  nothing about it. */
static void report_client_error(struct port_failure failure, const char *peer)
{
    char what[NET_ADDRESS_STRLEN + 32];
    snprintf(what, sizeof what, "%s %s", failure.call, peer);
    report_error_code(what, failure.code);
}
//! [report-client-error]

/** A link in a circular, doubly linked list: adding and removing take constant time. */
struct link {
    struct link *prev; /**< the node before */
    struct link *next; /**< the node after */
};

/** Makes @p node a list of its own: an empty list head, or a node in no list. */
static void link_init(struct link *node)
{
    node->prev = node->next = node;
}

/** Takes @p node out of whatever list it is in (nothing happens if it is in none). */
static void link_remove(struct link *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    link_init(node);
}

/** Appends @p node at the end of the list @p head. */
static void link_append(struct link *head, struct link *node)
{
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}

//! [connection]
/* What the server keeps per connection. No buffer: a connection borrows one of the server's
 * only while an echo is on its way. An idle connection costs this record and its socket. */
struct connection {
    struct port_operation operation; /**< a completion's operation is its connection */
    SOCKET ClientSocket;             /**< the client's socket, as in the steps before */
    struct link node;                /**< in the server's list, least recently active first */
    long long last_active_ms;        /**< when a byte last moved either way, for --idle-timeout */
    unsigned long long echoed;       /**< bytes echoed in all */
    struct link waiting;             /**< in the list of connections waiting for a buffer */
    char *buffer;                    /**< the buffer lent for the echo, or NULL */
    unsigned length;                 /**< bytes received into it */
    unsigned sent;                   /**< of those, bytes echoed */
    char peer[NET_ADDRESS_STRLEN];   /**< the client address, for reports */
};
//! [connection]

/** The connection whose member @p member is at @p pointer. */
#define CONNECTION_OF(pointer, member)                                                             \
    ((struct connection *)(void *)((char *)(pointer)-offsetof(struct connection, member)))

/** Everything the loop works with. */
struct server {
    struct port *port;           /**< the completion port or io_uring */
    struct link connections;     /**< the open connections, least recently active first */
    struct link waiting;         /**< connections with data waiting and no buffer, in order */
    char *spare;                 /**< the buffers free, each holding the next one's address */
    unsigned long buffers;       /**< buffers made, lent or spare */
    unsigned long open;          /**< connections open */
    unsigned long closing;       /**< closed with an operation in flight: not freed yet */
    unsigned long accepted;      /**< connections accepted in all */
    unsigned accepts_posted;     /**< accepts in flight */
    int listening;               /**< the listening socket is open */
    int probing;                 /**< after a pause: post one accept until one succeeds */
    long long paused_until_ms;   /**< no accept posted until then */
    long long idle_timeout_ms;   /**< --idle-timeout */
    unsigned long max_clients;   /**< --max-clients */
    unsigned long clients_limit; /**< --clients, or 0 */
};

//! [touch]
/** Notes that bytes moved on @p c: it goes to the end of the list. */
static void touch(struct server *server, struct connection *c, long long now)
{
    c->last_active_ms = now;
    link_remove(&c->node);
    link_append(&server->connections, &c->node);
}
//! [touch]

static void start_receive(struct server *server, struct connection *c);

//! [lend-buffer]
/* The buffers are the server's: one is lent to a connection from its data's arrival until
 * its echo is sent, so their number follows the data in flight, not the clients. */
static char *lend_buffer(struct server *server)
{
    char *buffer = server->spare;
    if (buffer != NULL) {
        memcpy(&server->spare, buffer, sizeof server->spare);
    } else if (server->buffers < server->max_clients && server->buffers < BUFFER_LIMIT) {
        buffer = port_buffer_new();
        if (buffer != NULL)
            server->buffers++;
    }
    return buffer; /* NULL: every buffer is lent */
}

/** Takes @p c's buffer back; the connection that has waited longest for one receives again.
 *  (Another may take that buffer first: then that one finds none, and waits again.) */
static void give_back_buffer(struct server *server, struct connection *c)
{
    memcpy(c->buffer, &server->spare, sizeof server->spare);
    server->spare = c->buffer;
    c->buffer = NULL;
    if (server->waiting.next != &server->waiting) {
        struct connection *next = CONNECTION_OF(server->waiting.next, waiting);
        link_remove(&next->waiting);
        start_receive(server, next);
    }
}
//! [lend-buffer]

//! [trim-buffers]
/* The spare buffers are nobody's, not even the kernel's: recv() copies into a buffer and
 * returns. When the loop is quiet, their memory goes back to the system, so that what a
 * burst of traffic needed is not the server's for good. */
static void trim_buffers(struct server *server)
{
    while (server->spare != NULL) {
        char *buffer = server->spare;
        memcpy(&server->spare, buffer, sizeof server->spare);
        port_buffer_free(buffer);
        server->buffers--;
    }
}
//! [trim-buffers]

/** Frees a connection; only when no operation of it is in flight. */
static void free_connection(struct server *server, struct connection *c)
{
    if (c->buffer != NULL)
        give_back_buffer(server, c);
    free(c);
}

//! [close-in-flight]
/* Closes a connection. Its socket goes at once; its memory only when no operation of it is
 * in flight: the kernel still holds the address of its operation record and of its buffer,
 * and will write there. Closing the socket makes that operation complete, cancelled, soon;
 * its completion frees the connection (on_completion()). */
static void close_connection(struct server *server, struct connection *c)
{
    link_remove(&c->node);
    link_remove(&c->waiting);
    server->open--;
    port_close_socket(server->port, &c->operation, c->ClientSocket);
    c->ClientSocket = INVALID_SOCKET;
    if (c->operation.in_flight)
        server->closing++;
    else
        free_connection(server, c);
}
//! [close-in-flight]

/** Posts the receive that waits for @p c's next bytes, holding no buffer while it waits. */
static void start_receive(struct server *server, struct connection *c)
{
    struct port_failure failure = port_post_receive(server->port, &c->operation, c->ClientSocket);
    if (failure.call != NULL) {
        report_client_error(failure, c->peer);
        close_connection(server, c);
    }
}

/** Posts the send of what @p c's buffer holds and has not echoed yet. */
static void continue_echo(struct server *server, struct connection *c)
{
    struct port_failure failure = port_post_send(server->port, &c->operation, c->ClientSocket,
                                                 c->buffer + c->sent, c->length - c->sent);
    if (failure.call != NULL) {
        report_client_error(failure, c->peer);
        close_connection(server, c);
    }
}

/** Stops accepting for good: --clients reached, or the server stops. */
static void stop_listening(struct server *server)
{
    if (server->listening) {
        port_close_listener(server->port);
        server->listening = 0;
    }
}

/** What to do after an accept failed: report it, then go on, pause, or give up (-1). */
static int accept_failed(struct server *server, struct port_failure failure, long long now)
{
    enum net_accept_failure kind = net_classify_accept_error(failure.code);
    /* Accepts posted together run out of descriptors together: the first failure reports
     * and starts the pause, the others of the same moment add nothing to it. */
    if (kind == NET_ACCEPT_BACK_OFF && now < server->paused_until_ms)
        return 0;
    report_error_code(failure.call, failure.code);
    if (kind == NET_ACCEPT_FATAL)
        return -1;
    if (kind == NET_ACCEPT_BACK_OFF) {
        //! [back-off]
        /* Out of descriptors or memory. Posting again at once would fail again at once:
         * pause, and meanwhile withdraw the accepts in flight, which would only fail in turn
         * as clients arrive (on Linux each needs a new descriptor; on Windows each holds
         * one). Afterwards a single accept probes; when it succeeds the others follow. */
        server->paused_until_ms = now + BACK_OFF_MS;
        server->probing = 1;
        port_cancel_accepts(server->port);
        //! [back-off]
    }
    /* NET_ACCEPT_SKIP: that client is gone (on Windows, WSAECONNRESET and the like); the
     * other accepts stay, and this one is posted again at once. */
    return 0;
}

//! [post-accepts]
/* Accepts are posted ahead of the clients: when one connects, an accept is already waiting
 * for it and completes at once. Every accept in flight is a client that may come, so the
 * limits count them: an accept not posted is a client not taken, who waits in the backlog. */
static int post_accepts(struct server *server, long long now)
{
    unsigned wanted = server->probing ? 1 : PORT_MAX_ACCEPTS;
    if (!server->listening || now < server->paused_until_ms)
        return 0;
    while (server->accepts_posted < wanted &&
           server->open + server->accepts_posted < server->max_clients &&
           (server->clients_limit == 0 ||
            server->accepted + server->accepts_posted < server->clients_limit)) {
        struct port_failure failure = port_post_accept(server->port);
        if (failure.call != NULL)
            return accept_failed(server, failure, now);
        server->accepts_posted++;
    }
    return 0;
}
//! [post-accepts]

/** An accept completed: a new connection starts with a receive. -1 if the server must stop. */
static int on_accept(struct server *server, struct port_completion *done, long long now)
{
    server->accepts_posted--;
    if (done->cancelled)
        return 0;
    if (done->failure.call != NULL)
        return accept_failed(server, done->failure, now);
    server->probing = 0;
    if (!server->listening) {
        /* Accepted just before the listener closed, as the server stops: not served. */
        closesocket(done->accepted);
        return 0;
    }
    struct connection *c = calloc(1, sizeof *c);
    if (c == NULL) {
        report_message("out of memory: closing a new connection");
        closesocket(done->accepted);
        return 0;
    }
    c->ClientSocket = done->accepted;
    link_init(&c->node);
    link_init(&c->waiting);
    touch(server, c, now);
    net_format_address((struct sockaddr *)&done->peer, (size_t)done->peer_len, c->peer,
                       sizeof c->peer);
    server->open++;
    server->accepted++;
    if (server->clients_limit != 0 && server->accepted == server->clients_limit)
        stop_listening(server); /* --clients N: the last one is in */
    start_receive(server, c);
    return 0;
}

//! [read-into-a-buffer]
/** The receive says @p c has something to read: data, the end of the stream, or an error.
 *  Reads it into a buffer lent now; with every buffer lent, peeks at one byte instead: data
 *  then waits in the kernel for a buffer, but the end of the stream or an error needs none,
 *  and a client that closes is seen closing at once. Fills @p done as the receive of step 16
 *  did, or returns 0 when there is nothing to do yet. */
static int read_into_a_buffer(struct server *server, struct connection *c,
                              struct port_completion *done)
{
    char byte;
    c->buffer = lend_buffer(server);
    int got = c->buffer != NULL ? recv(c->ClientSocket, c->buffer, PORT_BUFFER_SIZE, MSG_DONTWAIT)
                                : recv(c->ClientSocket, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    int err = net_last_error();
    done->bytes = got > 0 ? (size_t)got : 0;
    if (got > 0 && c->buffer != NULL)
        return 1;
    if (c->buffer != NULL)
        give_back_buffer(server, c);
    if (got > 0) {
        link_append(&server->waiting, &c->waiting); /* until give_back_buffer() */
    } else if (got < 0 && net_would_block(err)) {
        start_receive(server, c); /* nothing there after all */
    } else {
        done->failure.call = got < 0 ? "recv from" : NULL; /* 0: the end of the stream */
        done->failure.code = err;
        return 1;
    }
    return 0;
}
//! [read-into-a-buffer]

/** A receive completed: echo what came, or end the connection. */
static void on_receive(struct server *server, struct connection *c, struct port_completion *done,
                       long long now)
{
    if (done->failure.call == NULL && !read_into_a_buffer(server, c, done))
        return;
    if (done->failure.call != NULL) {
        /* e.g. `recv from 127.0.0.1:50000 failed: ECONNRESET`: the client reset. */
        report_client_error(done->failure, c->peer);
        close_connection(server, c);
    } else if (done->bytes == 0) {
        //! [finish]
        /* The end of the stream, and everything before it is echoed (the receive was posted
         * only then): step 7's orderly end. */
        if (shutdown(c->ClientSocket, SD_SEND) == SOCKET_ERROR) {
            struct port_failure failure = {"shutdown of", net_last_error()};
            report_client_error(failure, c->peer);
        } else {
            printf("served %s: echoed %llu bytes\n", c->peer, c->echoed);
            fflush(stdout);
        }
        close_connection(server, c);
        //! [finish]
    } else {
        c->length = (unsigned)done->bytes;
        c->sent = 0;
        touch(server, c, now);
        continue_echo(server, c);
    }
}

/** A send completed: send the rest, or give the buffer back and receive again. */
static void on_send(struct server *server, struct connection *c, struct port_completion *done,
                    long long now)
{
    if (done->failure.call != NULL) {
        report_client_error(done->failure, c->peer);
        close_connection(server, c);
        return;
    }
    c->sent += (unsigned)done->bytes;
    c->echoed += done->bytes;
    if (done->bytes > 0)
        touch(server, c, now);
    //! [backpressure]
    /* Backpressure: the next receive is posted only when this echo is sent in full. A client
     * that does not read leaves its send in flight; nothing more is read from it, its data
     * waits in the kernel, and TCP stops it when those buffers are full. */
    if (c->sent < c->length) {
        continue_echo(server, c); /* a partial send: the rest */
        return;
    }
    give_back_buffer(server, c);
    start_receive(server, c);
    //! [backpressure]
}

/** Acts on one completion. Returns -1 if the server must stop. */
static int on_completion(struct server *server, struct port_completion *done, long long now)
{
    if (done->kind == PORT_ACCEPT)
        return on_accept(server, done, now);

    struct connection *c = CONNECTION_OF(done->operation, operation);
    if (c->operation.closing) {
        /* The last operation of a closed connection: the kernel is done with its memory. */
        server->closing--;
        free_connection(server, c);
        return 0;
    }
    if (done->kind == PORT_RECEIVE)
        on_receive(server, c, done, now);
    else
        on_send(server, c, done, now);
    return 0;
}

/** How long the next wait may last: until the stop check, the end of a pause, or the next
 *  idle deadline, whichever comes first. */
static int next_timeout(const struct server *server, long long now)
{
    long long timeout = STOP_CHECK_MS;
    if (server->listening && now < server->paused_until_ms &&
        server->paused_until_ms - now < timeout)
        timeout = server->paused_until_ms - now;
    if (server->connections.next != &server->connections) {
        const struct connection *oldest = CONNECTION_OF(server->connections.next, node);
        long long idle_deadline = oldest->last_active_ms + server->idle_timeout_ms - now;
        if (idle_deadline < timeout)
            timeout = idle_deadline < 0 ? 0 : idle_deadline;
    }
    return (int)timeout;
}

//! [idle-timeout]
/* The list is in order of last activity: the first connection is the one that has been
 * silent longest. Only it needs a look; when it is not due, none is. Each turn costs time in
 * proportion to the connections that time out, not to all of them. */
static void close_idle_connections(struct server *server, long long now)
{
    while (server->connections.next != &server->connections) {
        struct connection *oldest = CONNECTION_OF(server->connections.next, node);
        if (now - oldest->last_active_ms < server->idle_timeout_ms)
            break;
        report_message("closing %s: nothing moved for %lld s", oldest->peer,
                       server->idle_timeout_ms / 1000);
        close_connection(server, oldest);
    }
}
//! [idle-timeout]

/** Closes every connection and the listener, then waits until every operation in flight has
 *  completed, so that all memory can be freed. Returns nonzero if that happened. */
static int close_everything(struct server *server)
{
    struct port_completion completions[PORT_WAIT_BATCH];

    stop_listening(server);
    while (server->connections.next != &server->connections)
        close_connection(server, CONNECTION_OF(server->connections.next, node));

    //! [drain]
    /* The completions of what was in flight come back cancelled (or, for what finished just
     * before, with their results); each frees what it held. */
    long long deadline = net_now_ms() + DRAIN_MS;
    while (server->closing + server->accepts_posted > 0 && net_now_ms() < deadline) {
        int count = port_wait(server->port, completions, PORT_WAIT_BATCH, STOP_CHECK_MS);
        if (count < 0)
            break;
        for (int i = 0; i < count; i++)
            on_completion(server, &completions[i], net_now_ms());
    }
    //! [drain]
    if (server->closing + server->accepts_posted > 0) {
        report_message("%lu operations did not complete; their memory stays allocated",
                       server->closing + server->accepts_posted);
        return 0;
    }
    return 1;
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
    struct server server;
    struct port_completion completions[PORT_WAIT_BATCH];
    int all_completed = 1;
    int said_full = 0;
    int on = 1;
    int rc;
    int status = NET_EXIT_FAILURE;

    opts.max_clients = DEFAULT_MAX_CLIENTS;
    opts.idle_timeout = DEFAULT_IDLE_TIMEOUT;
    if (!options_parse(argc, argv,
                       OPTIONS_ADDRESS | OPTIONS_CLIENTS | OPTIONS_MAX_CLIENTS |
                           OPTIONS_IDLE_TIMEOUT,
                       "Echo server on a completion port (Windows) or an io_uring (Linux): "
                       "serves many clients from one thread until Ctrl-C.",
                       &opts))
        return opts.exit_status;
    memset(&server, 0, sizeof server);
    link_init(&server.connections);
    link_init(&server.waiting);
    server.idle_timeout_ms = 1000LL * (long long)opts.idle_timeout;
    server.max_clients = opts.max_clients;
    server.clients_limit = opts.clients;

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

    //! [open-port]
    /* The port comes before the listener: where this system cannot give one (Linux without
     * io_uring, or forbidden to use it), say so before announcing an address. */
    server.port = port_open(server.max_clients);
    if (server.port == NULL)
        goto cleanup; /* already reported */
    //! [open-port]

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

    //! [listen-on-port]
    if (port_listen(server.port, ListenSocket) != 0)
        goto cleanup;              /* already reported */
    ListenSocket = INVALID_SOCKET; /* the port's now: it closes it */
    server.listening = 1;
    //! [listen-on-port]

    //! [completion-loop]
    while (!stop_requested) {
        long long now = net_now_ms();
        if (!server.listening && server.open == 0)
            break; /* --clients N: all N served */
        if (server.open >= server.max_clients && !said_full) {
            printf("%lu clients at once: new connections wait until one leaves\n",
                   server.max_clients);
            fflush(stdout);
        }
        said_full = server.open >= server.max_clients;
        if (post_accepts(&server, now) != 0)
            goto cleanup;

        /* One call hands the kernel everything posted since the last turn and takes what has
         * completed. Nothing is scanned: a turn costs time in proportion to the operations
         * that completed, however many clients are connected. */
        int count =
            port_wait(server.port, completions, PORT_WAIT_BATCH, next_timeout(&server, now));
        if (count < 0)
            goto cleanup;
        if (count == 0)
            trim_buffers(&server); /* a quiet turn */
        now = net_now_ms();
        for (int i = 0; i < count; i++) {
            if (on_completion(&server, &completions[i], now) != 0)
                goto cleanup;
        }
        close_idle_connections(&server, now);
    }
    //! [completion-loop]

    if (stop_requested && server.open > 0)
        report_message("stopping: closing %lu connection%s", server.open,
                       server.open == 1 ? "" : "s");
    all_completed = close_everything(&server);
    printf("shut down after %lu client%s\n", server.accepted, server.accepted == 1 ? "" : "s");
    status = NET_EXIT_OK;

cleanup:
    if (server.port != NULL) {
        if (status != NET_EXIT_OK)
            all_completed = close_everything(&server);
        port_free(server.port, all_completed);
    }
    trim_buffers(&server);
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
