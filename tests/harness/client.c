/**
 * @file client.c
 * @brief The harness's TCP client and server helpers: see harness.h.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#    define _GNU_SOURCE /* for struct tcp_info, which strict POSIX leaves out */
#endif
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#    include <fcntl.h>
#    include <poll.h>
#endif

/** Keeps a socket out of the step programs the harness starts later: a child that inherited
 *  it would keep the connection open after the test closes it. */
static void do_not_inherit(SOCKET s)
{
#ifdef _WIN32
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
#else
    fcntl(s, F_SETFD, FD_CLOEXEC);
#endif
}

/** Formats the socket error that just happened, for a failure message. */
static const char *error_text(int code)
{
    static char text[300];
    char message[200];
    snprintf(text, sizeof text, "%s (%d): %s", net_error_name(code), code,
             net_error_text(code, message, sizeof message));
    return text;
}

/** Connects a socket to the first address of host:port, from @p local if not NULL (a local
 *  address to bind first); returns INVALID_SOCKET and the error. */
SOCKET client_try_connect_from(const char *host, const char *port, const char *local, int *error)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "getaddrinfo(%s, %s) failed: %d", host, port, rc);
    SOCKET s = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (s == INVALID_SOCKET)
        harness_fail(__FILE__, __LINE__, "socket failed: %s", error_text(net_last_error()));
    do_not_inherit(s);
    *error = 0;
    if (local != NULL) {
        struct addrinfo *from = NULL;
        hints.ai_family = res->ai_family;
        if (getaddrinfo(local, "0", &hints, &from) != 0)
            harness_fail(__FILE__, __LINE__, "getaddrinfo(%s) failed", local);
        if (bind(s, from->ai_addr, (int)from->ai_addrlen) == SOCKET_ERROR)
            harness_fail(__FILE__, __LINE__, "binding the client to %s failed: %s", local,
                         error_text(net_last_error()));
        freeaddrinfo(from);
    }
    if (connect(s, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR) {
        *error = net_last_error();
        closesocket(s);
        s = INVALID_SOCKET;
    }
    freeaddrinfo(res);
    return s;
}

/** Connects from no particular address. */
static SOCKET try_connect(const char *host, const char *port, int *error)
{
    return client_try_connect_from(host, port, NULL, error);
}

SOCKET client_connect_from(const char *host, const char *port, const char *local)
{
    int error = 0;
    SOCKET s = client_try_connect_from(host, port, local, &error);
    if (s == INVALID_SOCKET)
        harness_fail(__FILE__, __LINE__, "connect to %s port %s from %s failed: %s", host, port,
                     local, error_text(error));
    return s;
}

void server_expect_served_at(const char *file, int line, const struct server *server, size_t bytes)
{
    char suffix[64];
    const char *served =
        child_expect_line_at(file, line, server->process, "served ", HARNESS_DEADLINE_MS, NULL);
    snprintf(suffix, sizeof suffix, ": echoed %lu bytes", (unsigned long)bytes);
    size_t length = strlen(served);
    if (length > strlen(suffix) && strcmp(served + length - strlen(suffix), suffix) == 0)
        return;
    static struct harness_message message;
    harness_message_add(&message, "the server's line about its client does not count the bytes the "
                                  "client sent\n  seen:     ");
    harness_message_add_quoted(&message, served, length);
    harness_message_add(&message, "\n  expected: \"served ADDRESS%s\"", suffix);
    harness_fail(file, line, "%s", message.text);
}

void server_expect_exit_after_at(const char *file, int line, struct server *server,
                                 unsigned long clients)
{
    char expected[64];
    snprintf(expected, sizeof expected, "shut down after %lu client%s\n", clients,
             clients == 1 ? "" : "s");
    child_expect_exit_at(file, line, server->process, 0, HARNESS_DEADLINE_MS);
    harness_assert_str(file, line, "child_stdout(server)", "expected",
                       child_stdout(server->process), expected, HARNESS_STR_CONTAINS);
    child_free(server->process);
}

void server_expect_idle_close_at(const char *file, int line, const struct server *server,
                                 SOCKET silent, long long connected_ms)
{
    client_expect_end_of_stream_at(file, line, silent, HARNESS_DEADLINE_MS);
    long long closed_after_ms = harness_now_ms() - connected_ms;
    printf("the silent client was closed after %lld ms\n", closed_after_ms);
    HARNESS_ASSERT_CMP(file, line, closed_after_ms, >=, 1000, "closed_after_ms >= 1000");
    harness_assert_str(file, line, "child_stderr(server)", "\": nothing moved for 1 s\\n\"",
                       child_stderr(server->process), ": nothing moved for 1 s\n",
                       HARNESS_STR_CONTAINS);
}

void server_stop_at(const char *file, int line, struct server *server)
{
    child_interrupt(server->process);
    child_expect_exit_at(file, line, server->process, 0, HARNESS_DEADLINE_MS);
    harness_assert_str(file, line, "child_stdout(server)", "\"shut down after \"",
                       child_stdout(server->process), "shut down after ", HARNESS_STR_CONTAINS);
    child_free(server->process);
}

SOCKET client_connect(const char *host, const char *port)
{
    int error = 0;
    SOCKET s = try_connect(host, port, &error);
    if (s == INVALID_SOCKET)
        harness_fail(__FILE__, __LINE__, "connect to %s port %s failed: %s%s", host, port,
                     error_text(error),
                     error == ERROR_CODE(ECONNREFUSED)
                         ? ": nothing listens on that port. Has the program called listen(), "
                           "and does it still hold its listening socket?"
                         : "");
    return s;
}

int client_connect_error(const char *host, const char *port)
{
    int error = 0;
    SOCKET s = try_connect(host, port, &error);
    if (s != INVALID_SOCKET)
        closesocket(s);
    return error;
}

/** Fails unless @p error, what a connection to host:port met, is ECONNREFUSED. */
static void expect_refusal(const char *file, int line, const char *host, const char *port,
                           int error)
{
    if (error == ERROR_CODE(ECONNREFUSED))
        return;
    if (error == 0)
        harness_fail(file, line,
                     "a new client connected to %s port %s; expected its connect() refused "
                     "(%s): a socket still listens on that port",
                     host, port, ERROR_NAME(ECONNREFUSED));
    harness_fail(file, line,
                 "a new client's connect() to %s port %s failed with %s; expected it refused "
                 "(%s)",
                 host, port, error_text(error), ERROR_NAME(ECONNREFUSED));
}

void client_expect_refused_at(const char *file, int line, const char *host, const char *port)
{
    expect_refusal(file, line, host, port, client_connect_error(host, port));
}

void client_send_all(SOCKET s, const void *data, size_t length)
{
    const char *p = data;
    while (length > 0) {
        int chunk = length > 65536 ? 65536 : (int)length;
        int sent = send(s, p, chunk, MSG_NOSIGNAL);
        if (sent == SOCKET_ERROR)
            harness_fail(__FILE__, __LINE__, "send failed: %s", error_text(net_last_error()));
        p += sent;
        length -= (size_t)sent;
    }
}

/**
 * client_recv_until_closed(), failing at @p file and @p line after the timeout, and saying
 * there what was @p expected of the program.
 */
static int recv_until_closed(const char *file, int line, SOCKET s, char *buf, size_t size,
                             size_t *received, int timeout_ms, const char *expected)
{
    long long deadline = harness_now_ms() + timeout_ms;
    *received = 0;
    for (;;) {
        long long left = deadline - harness_now_ms();
        int ready = left > 0 ? net_wait_readable(s, (int)left) : 0;
        if (ready == SOCKET_ERROR)
            harness_fail(file, line, "waiting to receive failed: %s", error_text(net_last_error()));
        if (ready == 0)
            harness_fail(file, line,
                         "the connection stayed open for %d ms: the program did not end it "
                         "(%lu bytes came in all); expected %s",
                         timeout_ms, (unsigned long)*received, expected);
        char discard[4096];
        char *into = *received < size ? buf + *received : discard;
        size_t room = *received < size ? size - *received : sizeof discard;
        int got = recv(s, into, room > 65536 ? 65536 : (int)room, 0);
        if (got == 0)
            return 0;
        if (got == SOCKET_ERROR)
            return net_last_error();
        if (into != discard)
            *received += (size_t)got;
    }
}

int client_recv_until_closed(SOCKET s, char *buf, size_t size, size_t *received, int timeout_ms)
{
    return recv_until_closed(__FILE__, __LINE__, s, buf, size, received, timeout_ms,
                             "it to send what it has, then end its side (shutdown() or "
                             "closesocket())");
}

/**
 * Receives until the peer ends the connection, into @p buf if given (what does not fit is
 * dropped), and returns the count stored. Fails the test after @p timeout_ms; on a reset,
 * unless @p reset_allowed; and, without @p buf, if anything came before the end.
 */
static size_t expect_end(const char *file, int line, SOCKET s, char *buf, size_t size,
                         bool reset_allowed, int timeout_ms)
{
    char first[64];
    size_t received = 0;
    const char *expected = reset_allowed ? "the end of the connection (an end of stream or a "
                                           "reset)"
                                         : "an orderly end of stream (recv() returning 0, after "
                                           "the program's FIN)";
    const char *nothing_before = buf == NULL ? ", with nothing before it" : "";
    char text[160];
    snprintf(text, sizeof text, "%s%s", expected, nothing_before);
    int error = recv_until_closed(file, line, s, buf != NULL ? buf : first,
                                  buf != NULL ? size : sizeof first, &received, timeout_ms, text);
    if (buf == NULL && received > 0) {
        static struct harness_message message;
        harness_message_add(&message, "the client received %s%lu bytes, ",
                            received == sizeof first ? "at least " : "", (unsigned long)received);
        harness_message_add_quoted(&message, first, received);
        harness_message_add(&message, ", then %s; expected %s",
                            error == 0 ? "an end of stream" : error_text(error), text);
        harness_fail(file, line, "%s", message.text);
    }
    if (error != 0 && !reset_allowed)
        harness_fail(file, line,
                     "the connection ended with a reset after %lu bytes: recv() failed with %s; "
                     "expected %s",
                     (unsigned long)received, error_text(error), text);
    return received;
}

void client_expect_end_of_stream_at(const char *file, int line, SOCKET s, int timeout_ms)
{
    expect_end(file, line, s, NULL, 0, false, timeout_ms);
}

void client_expect_closed_at(const char *file, int line, SOCKET s, int timeout_ms)
{
    expect_end(file, line, s, NULL, 0, true, timeout_ms);
}

size_t client_recv_to_end_of_stream_at(const char *file, int line, SOCKET s, char *buf, size_t size,
                                       int timeout_ms)
{
    return expect_end(file, line, s, buf, size, false, timeout_ms);
}

void client_expect_bytes_at(const char *file, int line, SOCKET s, size_t count, int timeout_ms)
{
    char buf[4096];
    size_t received = 0;
    if (count > sizeof buf)
        harness_fail(file, line, "client_expect_bytes() takes at most %lu bytes",
                     (unsigned long)sizeof buf);
    int outcome = client_recv_exact(s, buf, count, &received, timeout_ms);
    if (outcome == 0)
        return;
    if (outcome == HARNESS_RECV_TIMED_OUT)
        harness_fail(file, line,
                     "the client received %lu of the %lu bytes it expected within %d ms; the "
                     "program sent nothing more",
                     (unsigned long)received, (unsigned long)count, timeout_ms);
    harness_fail(file, line, "the client received %lu of the %lu bytes it expected, then %s%s",
                 (unsigned long)received, (unsigned long)count,
                 outcome == HARNESS_RECV_ENDED ? "the end of the stream: the program ended the "
                                                 "connection"
                                               : "recv() failed with ",
                 outcome == HARNESS_RECV_ENDED ? "" : error_text(outcome));
}

void client_shutdown_sending(SOCKET s)
{
    if (shutdown(s, SD_SEND) == SOCKET_ERROR)
        harness_fail(__FILE__, __LINE__,
                     "the client's shutdown(SD_SEND) failed: %s; expected the connection to be "
                     "still open, the program holding its end",
                     error_text(net_last_error()));
}

int client_recv_exact(SOCKET s, char *buf, size_t length, size_t *received, int timeout_ms)
{
    long long deadline = harness_now_ms() + timeout_ms;
    *received = 0;
    while (*received < length) {
        long long left = deadline - harness_now_ms();
        int ready = left > 0 ? net_wait_readable(s, (int)left) : 0;
        if (ready == 0)
            return HARNESS_RECV_TIMED_OUT;
        int got = ready == SOCKET_ERROR ? SOCKET_ERROR
                                        : recv(s, buf + *received, (int)(length - *received), 0);
        if (got == 0)
            return HARNESS_RECV_ENDED;
        if (got == SOCKET_ERROR)
            return net_last_error();
        *received += (size_t)got;
    }
    return 0;
}

/** Waits until @p s can be read or (if @p want_write) written; returns what it can do. */
static void wait_ready(SOCKET s, bool want_write, int timeout_ms, bool *readable, bool *writable)
{
#ifdef _WIN32
    fd_set rd, wr;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(s, &rd);
    if (want_write)
        FD_SET(s, &wr);
    if (select(0, &rd, &wr, NULL, &tv) == SOCKET_ERROR)
        harness_fail(__FILE__, __LINE__, "select failed: %s", error_text(net_last_error()));
    *readable = FD_ISSET(s, &rd) != 0;
    *writable = want_write && FD_ISSET(s, &wr) != 0;
#else
    struct pollfd entry = {s, (short)(POLLIN | (want_write ? POLLOUT : 0)), 0};
    if (poll(&entry, 1, timeout_ms) < 0 && errno != EINTR)
        harness_fail(__FILE__, __LINE__, "poll failed: %s", strerror(errno));
    *readable = (entry.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    *writable = want_write && (entry.revents & (POLLOUT | POLLERR)) != 0;
#endif
}

void client_echo_byte(SOCKET s, char byte)
{
    char got = 0;
    client_send_all(s, &byte, 1);
    ASSERT_EQ(net_wait_readable(s, HARNESS_DEADLINE_MS), 1);
    ASSERT_EQ(recv(s, &got, 1, 0), 1);
    ASSERT_EQ(got, byte);
}

void client_echo_exchange(SOCKET s, const char *data, size_t length, int timeout_ms)
{
    char *received = malloc(length + 1);
    size_t sent = 0, got = 0;
    bool shut = false;
    long long deadline = harness_now_ms() + timeout_ms;
    if (received == NULL)
        harness_fail(__FILE__, __LINE__, "out of memory");
    if (net_set_nonblocking(s) == SOCKET_ERROR)
        harness_fail(__FILE__, __LINE__, "cannot make the socket non-blocking: %s",
                     error_text(net_last_error()));
    for (;;) {
        if (sent == length && !shut) {
            /* Everything is sent: tell the server, which then finishes its echo and closes. */
            if (shutdown(s, SD_SEND) == SOCKET_ERROR)
                harness_fail(__FILE__, __LINE__, "shutdown failed: %s",
                             error_text(net_last_error()));
            shut = true;
        }
        long long left = deadline - harness_now_ms();
        if (left <= 0)
            harness_fail(__FILE__, __LINE__,
                         "the echo was not complete within %d ms: the client sent %lu of %lu "
                         "bytes%s and received %lu back; expected every byte back, then the end "
                         "of the stream",
                         timeout_ms, (unsigned long)sent, (unsigned long)length,
                         shut ? " (and its end of stream)" : "", (unsigned long)got);
        bool readable = false, writable = false;
        wait_ready(s, sent<length, left> 100 ? 100 : (int)left, &readable, &writable);
        if (writable) {
            size_t chunk = length - sent > 65536 ? 65536 : length - sent;
            int n = send(s, data + sent, (int)chunk, MSG_NOSIGNAL);
            if (n == SOCKET_ERROR && !net_would_block(net_last_error()))
                harness_fail(__FILE__, __LINE__,
                             "the client's send() failed after %lu of %lu bytes (%lu echoed "
                             "back): %s; expected the program to read them all and echo them",
                             (unsigned long)sent, (unsigned long)length, (unsigned long)got,
                             error_text(net_last_error()));
            if (n > 0)
                sent += (size_t)n;
        }
        if (readable) {
            /* One spare byte: an echo longer than what was sent is caught, not cut. */
            int n = recv(s, received + got,
                         (int)(length + 1 - got > 65536 ? 65536 : length + 1 - got), 0);
            if (n == 0) {
                break;
            } else if (n == SOCKET_ERROR) {
                if (!net_would_block(net_last_error()))
                    harness_fail(__FILE__, __LINE__,
                                 "the client's recv() failed after %lu of %lu bytes came back "
                                 "(%lu sent): %s; expected every byte back, then an orderly "
                                 "end of stream",
                                 (unsigned long)got, (unsigned long)length, (unsigned long)sent,
                                 error_text(net_last_error()));
            } else {
                got += (size_t)n;
                if (got > length)
                    harness_fail(__FILE__, __LINE__,
                                 "more bytes came back than the %lu the client sent; an echo "
                                 "returns exactly what it receives",
                                 (unsigned long)length);
            }
        }
    }
    if (!shut)
        harness_fail(__FILE__, __LINE__,
                     "the program ended the connection when the client had sent %lu of %lu "
                     "bytes (%lu echoed back); expected it to read until the client's end of "
                     "stream",
                     (unsigned long)sent, (unsigned long)length, (unsigned long)got);
    if (got != length)
        harness_fail(__FILE__, __LINE__,
                     "the program ended the stream after echoing %lu of the %lu bytes sent; "
                     "expected all of them back first",
                     (unsigned long)got, (unsigned long)length);
    for (size_t i = 0; i < length; i++) {
        if (received[i] != data[i])
            harness_fail(__FILE__, __LINE__,
                         "the echo differs from what was sent at byte %lu of %lu: 0x%02x came "
                         "back, 0x%02x was sent",
                         (unsigned long)i, (unsigned long)length, (unsigned char)received[i],
                         (unsigned char)data[i]);
    }
    free(received);
}

void client_echo_random(const char *host, const char *port, size_t length, unsigned seed)
{
    char *data = malloc(length ? length : 1);
    if (data == NULL)
        harness_fail(__FILE__, __LINE__, "out of memory");
    harness_fill_random(data, length, seed);
    SOCKET s = client_connect(host, port);
    /* Generous: 8 MiB through a server under valgrind or Wine takes a while. */
    client_echo_exchange(s, data, length, HARNESS_DEADLINE_MS * 2);
    closesocket(s);
    free(data);
}

void client_reset(SOCKET s)
{
    /* Linger on, with a zero timeout: close() discards unsent data and sends RST. */
    struct linger abort_close;
    abort_close.l_onoff = 1;
    abort_close.l_linger = 0;
    if (setsockopt(s, SOL_SOCKET, SO_LINGER, (const char *)&abort_close, (int)sizeof abort_close) ==
        SOCKET_ERROR)
        harness_fail(__FILE__, __LINE__, "setsockopt(SO_LINGER) failed: %s",
                     error_text(net_last_error()));
    closesocket(s);
}

size_t client_send_until_stuck(SOCKET s, unsigned seed)
{
    static char chunk[65536];
    size_t total = 0;
    harness_fill_random(chunk, sizeof chunk, seed);
    ASSERT_EQ(net_set_nonblocking(s), 0);
    for (;;) {
        size_t at = total % sizeof chunk;
        int n = send(s, chunk + at, (int)(sizeof chunk - at), MSG_NOSIGNAL);
        if (n > 0) {
            total += (size_t)n;
            if (total >= (256u << 20))
                harness_fail(__FILE__, __LINE__,
                             "the program took 256 MiB from a client that reads none of its "
                             "echo; expected it to stop reading while its echo cannot be sent");
            continue;
        }
        if (!net_would_block(net_last_error()))
            harness_fail(__FILE__, __LINE__,
                         "the client's send() failed after %lu bytes: %s; expected the program "
                         "to keep the connection open while the client sends without reading",
                         (unsigned long)total, error_text(net_last_error()));
        /* Full: see whether the server makes room within half a second. */
        int writable = net_wait_writable(s, 500);
        if (writable == SOCKET_ERROR)
            harness_fail(__FILE__, __LINE__, "waiting to send failed: %s",
                         error_text(net_last_error()));
        if (!writable)
            return total;
    }
}

void client_await_fin_acked(SOCKET s)
{
#ifdef __linux__
    /* After shutdown(SD_SEND) the socket is in FIN_WAIT_1 until the peer's kernel ACKs our
     * FIN, then FIN_WAIT_2 (or later states, once the peer closes too). */
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    for (;;) {
        struct tcp_info info;
        socklen_t length = sizeof info;
        if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &length) != 0)
            harness_fail(__FILE__, __LINE__, "getsockopt(TCP_INFO) failed: %s", strerror(errno));
        if (info.tcpi_state != TCP_ESTABLISHED && info.tcpi_state != TCP_FIN_WAIT1)
            return;
        if (harness_now_ms() >= deadline)
            harness_fail(__FILE__, __LINE__, "our FIN was not acknowledged within %d ms",
                         HARNESS_DEADLINE_MS);
        net_sleep_ms(1);
    }
#else
    (void)s;
    harness_skip("seeing that the peer acknowledged our FIN needs Linux's TCP_INFO");
#endif
}

SOCKET harness_reserve_port(const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        harness_fail(__FILE__, __LINE__, "getaddrinfo(%s, %s) failed", host, port);
    SOCKET s = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (s == INVALID_SOCKET)
        harness_fail(__FILE__, __LINE__, "socket failed: %s", error_text(net_last_error()));
    do_not_inherit(s);
#ifndef _WIN32
    /* As the tutorial's servers do on POSIX: connections closed first on this side may wait
     * in TIME_WAIT on the port, and that is no obstacle to binding it. */
    int on = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, (int)sizeof on);
#endif
    if (bind(s, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR)
        harness_fail(__FILE__, __LINE__,
                     "the test could not bind %s port %s: %s; expected the port free on that "
                     "address, but a socket still holds it",
                     host, port, error_text(net_last_error()));
    freeaddrinfo(res);
    return s;
}

int client_connect_error_on_reserved(const char *host, const char *port)
{
    /* Bound and not listening: nobody else can listen there while the attempt is made, so a
     * refusal says the server's listener is gone, not that another test took the port. */
    SOCKET reserved = harness_reserve_port(host, port);
    int error = client_connect_error(host, port);
    closesocket(reserved);
    return error;
}

void client_expect_refused_on_reserved_at(const char *file, int line, const char *host,
                                          const char *port)
{
    expect_refusal(file, line, host, port, client_connect_error_on_reserved(host, port));
}

void client_local_port(SOCKET s, char *port, size_t size)
{
    struct sockaddr_storage addr;
    socklen_t length = sizeof addr;
    if (getsockname(s, (struct sockaddr *)&addr, &length) == SOCKET_ERROR)
        harness_fail(__FILE__, __LINE__, "getsockname failed: %s", error_text(net_last_error()));
    char text[NET_ADDRESS_STRLEN];
    net_format_address((struct sockaddr *)&addr, length, text, sizeof text);
    snprintf(port, size, "%s", strrchr(text, ':') + 1);
}

SOCKET harness_listen(const char *host, char *port, size_t size)
{
    SOCKET s = harness_reserve_port(host, "0"); /* bound to a free port */
    if (listen(s, SOMAXCONN) == SOCKET_ERROR)
        harness_fail(__FILE__, __LINE__, "listen failed: %s", error_text(net_last_error()));
    client_local_port(s, port, size);
    return s;
}

SOCKET harness_accept(SOCKET listener, int timeout_ms)
{
    int ready = net_wait_readable(listener, timeout_ms);
    if (ready == SOCKET_ERROR)
        harness_fail(__FILE__, __LINE__, "waiting for a connection failed: %s",
                     error_text(net_last_error()));
    if (ready == 0)
        harness_fail(__FILE__, __LINE__, "no connection came within %d ms", timeout_ms);
    SOCKET s = accept(listener, NULL, NULL);
    if (s == INVALID_SOCKET)
        harness_fail(__FILE__, __LINE__, "accept failed: %s", error_text(net_last_error()));
    do_not_inherit(s);
    return s;
}

struct server server_start_at(const char *file, int line, const char *program,
                              const char *ready_prefix, ...)
{
    const char *args[40] = {"--port", "0"};
    size_t count = 2;
    va_list list;
    va_start(list, ready_prefix);
    for (const char *a = va_arg(list, const char *); a != NULL && count < 39;
         a = va_arg(list, const char *))
        args[count++] = a;
    va_end(list);
    args[count] = NULL;

    struct server server;
    memset(&server, 0, sizeof server);
    server.process = child_start_argv(program, args);
    const char *ready = child_expect_line_at(
        file, line, server.process, ready_prefix, HARNESS_READY_MS,
        "A server announces its address once it listens: after listen(), it prints the line "
        "and calls fflush(stdout).");
    /* "listening on 127.0.0.1:40000" or "listening on [::1]:40000" */
    const char *address = ready + strlen(ready_prefix);
    const char *colon = strrchr(address, ':');
    if (colon == NULL)
        harness_fail(file, line, "the line \"%s\" names no port; expected \"%sHOST:PORT\"", ready,
                     ready_prefix);
    snprintf(server.port, sizeof server.port, "%s", colon + 1);
    size_t host_length = (size_t)(colon - address);
    if (address[0] == '[') {
        address++;
        host_length -= 2;
    }
    if (host_length >= sizeof server.host)
        host_length = sizeof server.host - 1;
    memcpy(server.host, address, host_length);
    server.host[host_length] = '\0';
    return server;
}
