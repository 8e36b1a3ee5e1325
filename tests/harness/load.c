/**
 * @file load.c
 * @brief Many echo clients at once, on one thread: see harness.h (echo_load_*).
 *
 * The other client helpers block on one socket at a time, so they cannot show that a server
 * serves clients side by side. Here every client is a non-blocking socket, all of them are
 * watched by one poll loop (net_poll(): `poll()` on POSIX, `WSAPoll()` on Windows, neither
 * limited to `FD_SETSIZE` sockets like `select()`), and each checks its echo byte by byte
 * as it arrives. Connections are made blocking, before the loop: on loopback a connection
 * completes as soon as the server's kernel queues it, and `WSAPoll()` before Windows 10 2004
 * would never report a non-blocking `connect()` that failed.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#    include <fcntl.h>
#endif

/** Bytes generated ahead for sending, per client. */
#define CHUNK 4096
/** The most a client sends, and receives, in one turn of the loop: every client moves on a
 *  little in each turn, as separate clients would, instead of one finishing first. */
#define TURN 65536

enum client_state { RUNNING, ECHOED, FAILED };

/** One client of the load. */
struct load_client {
    SOCKET s;
    enum client_state state;
    size_t size;          /**< bytes to send, and to get back */
    size_t sent;          /**< bytes sent so far */
    size_t received;      /**< bytes received (and checked) so far */
    unsigned send_state;  /**< the generator of the bytes to send */
    unsigned check_state; /**< the same generator, for checking what comes back */
    bool shut;            /**< shutdown(SD_SEND) done */
    char pending[CHUNK];  /**< generated and not yet sent: [pending_at, pending_end) */
    size_t pending_at, pending_end;
    char failure[160]; /**< why it failed */
};

struct echo_load {
    struct load_client *clients;
    int count;
    struct pollfd *fds;
    int *index; /**< fds[i] belongs to clients[index[i]] */
};

/** The next byte of a client's payload: xorshift32, as harness_fill_random() makes them. */
static char next_byte(unsigned *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return (char)(*state & 0xff);
}

static void fail_client(struct load_client *c, const char *what, int code)
{
    char text[100];
    if (code != 0)
        snprintf(c->failure, sizeof c->failure, "%s after %lu of %lu bytes echoed: %s (%d): %s",
                 what, (unsigned long)c->received, (unsigned long)c->size, net_error_name(code),
                 code, net_error_text(code, text, sizeof text));
    else
        snprintf(c->failure, sizeof c->failure, "%s after %lu of %lu bytes echoed", what,
                 (unsigned long)c->received, (unsigned long)c->size);
    c->state = FAILED;
    closesocket(c->s);
    c->s = INVALID_SOCKET;
}

struct echo_load *echo_load_start(const char *host, const char *port, int clients, size_t max_size,
                                  unsigned seed)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        harness_fail(__FILE__, __LINE__, "getaddrinfo(%s, %s) failed", host, port);

    struct echo_load *load = calloc(1, sizeof *load);
    if (load == NULL || (load->clients = calloc((size_t)clients, sizeof *load->clients)) == NULL ||
        (load->fds = calloc((size_t)clients, sizeof *load->fds)) == NULL ||
        (load->index = calloc((size_t)clients, sizeof *load->index)) == NULL)
        harness_fail(__FILE__, __LINE__, "out of memory for %d clients", clients);
    load->count = clients;

    unsigned sizes = seed ? seed : 1;
    for (int i = 0; i < clients; i++) {
        struct load_client *c = &load->clients[i];
        /* Every client its own size, from 1 byte to max_size, and its own bytes. */
        (void)next_byte(&sizes);
        c->size = max_size > 1 ? 1 + sizes % max_size : 1;
        c->send_state = c->check_state = seed * 7919u + (unsigned)i + 1;
        c->s = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
        if (c->s == INVALID_SOCKET)
            harness_fail(__FILE__, __LINE__, "socket for client %d of %d failed: %s", i + 1,
                         clients, net_error_name(net_last_error()));
#ifdef _WIN32
        SetHandleInformation((HANDLE)c->s, HANDLE_FLAG_INHERIT, 0);
#else
        fcntl(c->s, F_SETFD, FD_CLOEXEC);
#endif
        if (connect(c->s, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR)
            harness_fail(__FILE__, __LINE__, "connect of client %d of %d failed: %s", i + 1,
                         clients, net_error_name(net_last_error()));
        if (net_set_nonblocking(c->s) == SOCKET_ERROR)
            harness_fail(__FILE__, __LINE__, "cannot make client %d non-blocking", i + 1);
    }
    freeaddrinfo(res);
    return load;
}

/** Sends what the client's socket takes now, up to TURN bytes; shuts down sending after the
 *  last byte. */
static void send_some(struct load_client *c)
{
    size_t turn_end = c->sent + TURN;
    while (c->sent < c->size) {
        if (c->sent >= turn_end)
            return;
        if (c->pending_at == c->pending_end) {
            size_t n = c->size - c->sent < CHUNK ? c->size - c->sent : CHUNK;
            for (size_t i = 0; i < n; i++)
                c->pending[i] = next_byte(&c->send_state);
            c->pending_at = 0;
            c->pending_end = n;
        }
        int n = send(c->s, c->pending + c->pending_at, (int)(c->pending_end - c->pending_at),
                     MSG_NOSIGNAL);
        if (n == SOCKET_ERROR) {
            int code = net_last_error();
            if (!net_would_block(code))
                fail_client(c, "send failed", code);
            return;
        }
        c->pending_at += (size_t)n;
        c->sent += (size_t)n;
    }
    if (!c->shut) {
        /* All sent: the server reads end of stream, finishes its echo and closes. */
        if (shutdown(c->s, SD_SEND) == SOCKET_ERROR) {
            fail_client(c, "shutdown failed", net_last_error());
            return;
        }
        c->shut = true;
    }
}

/** Receives what has arrived, up to TURN bytes, and checks it against the bytes sent. */
static void receive_some(struct load_client *c)
{
    char buf[16384];
    for (size_t turn = 0; turn < TURN; turn += sizeof buf) {
        int n = recv(c->s, buf, (int)sizeof buf, 0);
        if (n == SOCKET_ERROR) {
            int code = net_last_error();
            if (!net_would_block(code))
                fail_client(c, "recv failed", code);
            return;
        }
        if (n == 0) {
            if (c->received == c->size && c->shut) {
                c->state = ECHOED;
                closesocket(c->s);
                c->s = INVALID_SOCKET;
            } else {
                fail_client(c, "the server closed the connection", 0);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            if (c->received == c->size) {
                fail_client(c, "more bytes came back than were sent", 0);
                return;
            }
            if (buf[i] != next_byte(&c->check_state)) {
                fail_client(c, "a byte came back changed", 0);
                return;
            }
            c->received++;
        }
    }
}

int echo_load_run(struct echo_load *load, int timeout_ms)
{
    long long deadline = harness_now_ms() + timeout_ms;
    for (;;) {
        size_t n = 0;
        for (int i = 0; i < load->count; i++) {
            struct load_client *c = &load->clients[i];
            if (c->state != RUNNING)
                continue;
            load->fds[n].fd = c->s;
            load->fds[n].events = (short)(POLLIN | (c->sent < c->size ? POLLOUT : 0));
            load->fds[n].revents = 0;
            load->index[n++] = i;
        }
        long long left = deadline - harness_now_ms();
        if (n == 0 || left <= 0)
            return (int)n;
        /* Keep the servers' output pipes flowing: a server blocked in printf() serves nobody. */
        child_pump_all();
        int ready = net_poll(load->fds, n, left > 100 ? 100 : (int)left);
        if (ready == SOCKET_ERROR)
            harness_fail(__FILE__, __LINE__, "net_poll over %lu clients failed: %s",
                         (unsigned long)n, net_error_name(net_last_error()));
        for (size_t k = 0; k < n; k++) {
            struct load_client *c = &load->clients[load->index[k]];
            short revents = load->fds[k].revents;
            if (revents & (POLLOUT | POLLERR | POLLHUP))
                send_some(c);
            if (c->state == RUNNING && (revents & (POLLIN | POLLERR | POLLHUP)))
                receive_some(c);
        }
    }
}

/** Counts the clients in @p state. */
static int count_in(const struct echo_load *load, enum client_state state)
{
    int count = 0;
    for (int i = 0; i < load->count; i++)
        count += load->clients[i].state == state;
    return count;
}

int echo_load_echoed(const struct echo_load *load)
{
    return count_in(load, ECHOED);
}

int echo_load_failed(const struct echo_load *load)
{
    return count_in(load, FAILED);
}

int echo_load_receiving(const struct echo_load *load)
{
    int count = 0;
    for (int i = 0; i < load->count; i++)
        count += load->clients[i].received > 0;
    return count;
}

void echo_load_expect_all_echoed(struct echo_load *load, int timeout_ms)
{
    int running = echo_load_run(load, timeout_ms);
    for (int i = 0; i < load->count; i++) {
        if (load->clients[i].state == FAILED)
            harness_fail(__FILE__, __LINE__, "client %d of %d (%lu bytes): %s (%d failed in all)",
                         i + 1, load->count, (unsigned long)load->clients[i].size,
                         load->clients[i].failure, echo_load_failed(load));
    }
    for (int i = 0; running > 0 && i < load->count; i++) {
        const struct load_client *c = &load->clients[i];
        if (c->state == RUNNING)
            harness_fail(__FILE__, __LINE__,
                         "%d of %d clients had not got their echo back within %d ms; client %d "
                         "for one had sent %lu of %lu bytes%s and received %lu",
                         running, load->count, timeout_ms, i + 1, (unsigned long)c->sent,
                         (unsigned long)c->size, c->shut ? " (and shut down)" : "",
                         (unsigned long)c->received);
    }
}

void echo_load_free(struct echo_load *load)
{
    if (load == NULL)
        return;
    for (int i = 0; i < load->count; i++) {
        if (load->clients[i].s != INVALID_SOCKET)
            closesocket(load->clients[i].s);
    }
    free(load->clients);
    free(load->fds);
    free(load->index);
    free(load);
}

void client_echo_many(const char *host, const char *port, int clients, size_t max_size,
                      unsigned seed, int timeout_ms)
{
    struct echo_load *load = echo_load_start(host, port, clients, max_size, seed);
    echo_load_expect_all_echoed(load, timeout_ms);
    echo_load_free(load);
}

void server_count_around_2000_clients(const struct server *server, const char *what,
                                      int (*count)(struct child *), int *before, int *after)
{
    /* The first round is not counted: whatever a server (or ThreadSanitizer's runtime, which
     * starts a thread of its own with the first client thread) sets up with its first
     * clients is not a leak. */
    client_echo_many(server->host, server->port, 10, 2000, 99, HARNESS_DEADLINE_MS);
    child_await(server->process, false, "served ", 10, HARNESS_DEADLINE_MS);
    *before = child_settled(server->process, count);
    /* Reading what the server prints (child_await()) keeps its stdout pipe from filling up,
     * which would block it. */
    for (int round = 0; round < 10; round++) {
        client_echo_many(server->host, server->port, 200, 2000, 100 + (unsigned)round,
                         HARNESS_DEADLINE_MS * 2);
        child_await(server->process, false, "served ", 10 + 200 * (round + 1), HARNESS_DEADLINE_MS);
    }
    *after = child_settled(server->process, count);
    printf("%s: %d before, %d after 2000 connections\n", what, *before, *after);
}

void server_connect_idle_clients(const struct server *server, SOCKET *sockets, int count,
                                 int descriptors)
{
    for (int i = 0; i < count; i++)
        sockets[i] = client_connect(server->host, server->port);
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (child_open_descriptors(server->process) < descriptors + count) {
        if (harness_now_ms() >= deadline)
            harness_fail(__FILE__, __LINE__, "the server accepted fewer than %d clients in %d ms",
                         count, HARNESS_DEADLINE_MS);
        net_sleep_ms(10);
    }
}
