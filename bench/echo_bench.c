/**
 * @file echo_bench.c
 * @brief A load client for echo servers: round trips, stream throughput, the rate of
 *        connect/echo/close, and the user-space memory an idle connection costs the server,
 *        checking every byte it gets back.
 *
 * The measurements, each over one window of time:
 * - ping-pong: N connections; each sends a small message, waits for all of it to come back,
 *   and sends the next (one message in flight per connection). Reported: round trips per
 *   second over all connections, the 50th and 99th percentiles of their latency, and the
 *   longest wait. A message still unanswered at the end counts with its age so far, so a
 *   connection that a server never serves shows up as a wait as long as the measurement.
 * - stream: N connections; each sends as fast as the server takes its data, reading the echo
 *   at the same time. Reported: bytes echoed back per second, in MiB/s.
 * - connect/echo/close: a new connection, one small message echoed, our end of stream, the
 *   server's end of stream, closed; K of them in flight at once (1: one after the other).
 *   Reported: connections completed per second and the time each took.
 * - idle memory (Linux): before the ping-pong window at the largest N, every connection has
 *   echoed one message and is silent; the server's resident memory (VmRSS in
 *   /proc/PID/status) then, less what it was after it said it was listening, each read once
 *   it has not changed for 300 ms, divided by the connections open, is the memory per idle
 *   connection. It is the server's own, user-space memory: the kernel's memory for each
 *   socket (its buffers, its structures) is not in VmRSS. A page (4 KiB) more or less is
 *   4 bytes per connection at 1,000 connections, 64 at 64: the figure means something at
 *   large N only.
 * Every figure says how many connections were served at all, and how many failed (an error,
 * a close, a changed byte, a connect refused or timed out for good). Every byte a connection
 * sends comes from a pseudo-random pattern, starting at an offset of its own, and is checked
 * when it comes back. Each window also records the processor time the client and the
 * server used in it, per second of it (*cores used*; the server's from Linux's /proc, with
 * its children that ended and were reaped, such as a process per client's, or from Windows'
 * GetProcessTimes(), the server's own process only): a single-threaded side near 1.0 is the
 * one that limits.
 *
 * Opening N connections: a burst of thousands of connect() calls would overflow the server's
 * backlog (on Linux the kernel then drops the SYN, and the client's kernel sends it again a
 * second later). So connections open in a bounded batch: at most OPEN_IN_FLIGHT at a time
 * are connecting or waiting for their first echo, which also proves that the server has
 * accepted them before anything is measured. A connect that is refused or times out is tried
 * again, at most CONNECT_ATTEMPTS times in all; each retry is counted and printed, and a
 * connection that never opens is a failure.
 *
 * The client waits with epoll on Linux: a turn of its loop costs in proportion to the
 * sockets that are ready, not to all that are open. Elsewhere (Windows: WSAPoll()) it waits
 * with net_poll() over every socket, as the tutorial's own loop does. Both sit behind the few
 * waiter_ functions below.
 *
 * Usage:
 *   echo_bench [--host HOST] --port PORT [--connections N,...] [--seconds S]
 *              [--churn K,...]
 *       measures a server that is already running, and prints the figures.
 *   echo_bench --suite DIR --build TYPE [--seconds S] [--repeat R] [--connections N,N,...]
 *              [--churn K,...] [--absent NAME=WHY]... [--churn-only NAME]...
 *              NAME=PROGRAM[,ARG...]...
 *       for each measurement and each program, starts the server on port 0 (through the
 *       tests' harness), measures it, stops it; R rounds of that, the median kept; writes
 *       DIR/results.csv and DIR/results.md, and every round's figures to DIR/rounds.csv.
 *       It ends by printing a summary narrower than results.md: a table per measurement and,
 *       under it, what every connection not served means for that row's figures.
 *       TYPE is the build type of the programs (CMake's configuration); the suite measures
 *       optimized builds only. A server given with --absent, or whose program is missing
 *       or exits at start, is left out with a line that says why (its rounds count as
 *       failures, not in the medians); one that says nothing for HARNESS_READY_MS ends the
 *       suite with that failure. A server named with
 *       --churn-only is measured by connect/echo/close only: one that serves a client at a
 *       time cannot hold N connections, and a process per client is there for what a new
 *       connection costs.
 *
 * It raises its open-files limit (POSIX RLIMIT_NOFILE) to the hard limit, or as near as the
 * system allows; the servers it starts inherit it. Where that is too low for N connections, it measures the most the limit
 * allows and says so.
 *
 * A tool that prints figures, not a test: nothing here passes or fails on a number.
 */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
#    include <sys/epoll.h>
#endif
#ifdef _WIN32
#    include <io.h> /* _get_osfhandle() */
#else
#    include <fcntl.h>
#    include <sys/resource.h>
#    include <time.h>
#endif

/** The message of the round trips, of the greeting and of connect/echo/close, in bytes. */
#define MESSAGE_SIZE 64
/** What one send() of the stream measurement offers, in bytes. */
#define STREAM_CHUNK 65536
/** The length of the pattern the bytes come from: a prime, so that connections starting at
 *  different offsets never line up with each other, nor with the chunks. */
#define PATTERN_LEN 65537
/** Connections opening at once (connecting, or waiting for their first echo): few enough
 *  that the server's backlog (SOMAXCONN: 4096 on Linux 5.4 and later) never fills. */
#define OPEN_IN_FLIGHT 128
/** How many times a connection may try to connect, the first time included. */
#define CONNECT_ATTEMPTS 3
/** How long a connect, with its first echo, may take before it counts as timed out. The
 *  client's kernel sends a dropped SYN again after 1 s and 3 s (Linux). */
#define CONNECT_TIMEOUT_MS 5000
/** How long to wait before trying a refused or timed-out connect again. */
#define RETRY_DELAY_MS 100
/** How long opening all the connections of one measurement may take. */
#define OPEN_DEADLINE_MS 120000
/** How long one connect/echo/close may take before it counts as failed. */
#define CHURN_TIMEOUT_MS 5000
/** Descriptors kept for other uses than the connections: stdio, the harness's pipes, the
 *  epoll descriptor, the server's listening socket. */
#define DESCRIPTOR_MARGIN 64
/** Readiness reports taken by one wait. */
#define WAIT_BATCH 1024

#define MAX_SERVERS 8
#define MAX_COUNTS  8
#define MAX_REPEATS 9

/** The pattern, twice in a row: any PATTERN_LEN bytes from any offset are contiguous. */
static unsigned char pattern[2 * PATTERN_LEN];

/** Microseconds on a clock that never jumps. */
static long long now_us(void)
{
#ifdef _WIN32
    static LARGE_INTEGER frequency;
    LARGE_INTEGER now;
    if (frequency.QuadPart == 0)
        QueryPerformanceFrequency(&frequency);
    QueryPerformanceCounter(&now);
    return (long long)(now.QuadPart / frequency.QuadPart * 1000000 +
                       now.QuadPart % frequency.QuadPart * 1000000 / frequency.QuadPart);
#else
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000;
#endif
}

static void out_of_memory(void)
{
    fprintf(stderr, "echo_bench: out of memory\n");
    exit(1);
}

/** Fills the pattern with pseudo-random bytes (xorshift32), once. */
static void make_pattern(void)
{
    unsigned state = 2463534242u;
    for (size_t i = 0; i < PATTERN_LEN; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        pattern[i] = pattern[PATTERN_LEN + i] = (unsigned char)(state & 0xff);
    }
}

/** The servers started by the suite write a line per client they close; a server whose
 *  stdout pipe is full blocks in printf() and stops serving. Reads what they wrote, at
 *  most every 20 ms, up to a pipe's worth (16 reads of 4 KiB) each time. */
static void pump_servers(void)
{
    static long long last;
    long long now = now_us();
    if (now - last < 20000)
        return;
    last = now;
    for (int i = 0; i < 16; i++)
        child_pump_all();
}

/* ---- Figures -------------------------------------------------------------------------- */

/** What is measured. */
enum test { PING_PONG, STREAM, CHURN, IDLE, TEST_COUNT };

static const char *const test_names[TEST_COUNT] = {"ping-pong", "stream", "connect-echo-close",
                                                   "idle-memory"};
static const char *const test_units[TEST_COUNT] = {"round_trips_per_s", "MiB_per_s",
                                                   "connections_per_s", "bytes_per_connection"};

/** The figures of one measurement. */
struct figures {
    bool measured;
    bool no_server; /**< the server did not start: only the failures count */
    double value;   /**< round trips/s, MiB/s, connections/s, or bytes */
    double p50_us, p99_us, max_us;
    int served;  /**< connections served (see the measurements above) */
    int of;      /**< out of this many */
    int failed;  /**< connections that failed */
    int retries; /**< connects tried again */
    long rss_before_kib, rss_after_kib;
    double open_s;           /**< how long opening the connections took */
    double client_cores;     /**< processor time the load client used in the window, per
                                  second: 1.0 is one core kept busy */
    double server_cores;     /**< the same for the server, or -1 */
    char first_failure[160]; /**< what went wrong first, if anything did */
};

/** The processor time this process has used, user and system, in microseconds. */
static long long client_cpu_us(void)
{
#ifdef _WIN32
    FILETIME created, exited, kernel, user;
    if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user))
        return 0;
    /* FILETIMEs count 100-nanosecond units. */
    unsigned long long k = ((unsigned long long)kernel.dwHighDateTime << 32) | kernel.dwLowDateTime;
    unsigned long long u = ((unsigned long long)user.dwHighDateTime << 32) | user.dwLowDateTime;
    return (long long)((k + u) / 10);
#else
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000 +
           usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
#endif
}

/** The processor time the server has used, in microseconds; -1 where it cannot be read. */
static long long server_cpu_us(struct child *server)
{
#if defined(__linux__) || defined(_WIN32)
    if (server != NULL)
        return child_cpu_time_ms(server) * 1000;
#endif
    (void)server;
    return -1;
}

/** When a window starts: the clock and both processes' processor time. */
struct window {
    long long start_us, client_us, server_us;
    struct child *server;
};

static void window_start(struct window *w, struct child *server)
{
    w->server = server;
    w->client_us = client_cpu_us();
    w->server_us = server_cpu_us(server);
    w->start_us = now_us();
}

/** Ends a window: the cores each side used go into @p f; returns the seconds it lasted. */
static double window_end(const struct window *w, struct figures *f)
{
    long long elapsed = now_us() - w->start_us;
    if (elapsed <= 0)
        elapsed = 1;
    f->client_cores = (double)(client_cpu_us() - w->client_us) / (double)elapsed;
    long long server = server_cpu_us(w->server);
    f->server_cores =
        server >= 0 && w->server_us >= 0 ? (double)(server - w->server_us) / (double)elapsed : -1;
    return (double)elapsed / 1e6;
}

/** A growable list of latencies, in microseconds. */
struct latencies {
    long long *values;
    size_t count, capacity;
};

static void add_latency(struct latencies *l, long long us)
{
    if (l->count == l->capacity) {
        l->capacity = l->capacity ? l->capacity * 2 : 65536;
        l->values = realloc(l->values, l->capacity * sizeof *l->values);
        if (l->values == NULL)
            out_of_memory();
    }
    l->values[l->count++] = us;
}

static int compare_long_long(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/** The value below which @p fraction of the sorted latencies lie. */
static double percentile(const struct latencies *l, double fraction)
{
    if (l->count == 0)
        return 0;
    size_t i = (size_t)(fraction * (double)(l->count - 1) + 0.5);
    return (double)l->values[i];
}

/** Sorts the latencies and puts their percentiles into @p f. */
static void summarize_latencies(struct latencies *l, struct figures *f)
{
    qsort(l->values, l->count, sizeof *l->values, compare_long_long);
    f->p50_us = percentile(l, 0.50);
    f->p99_us = percentile(l, 0.99);
    f->max_us = percentile(l, 1.0);
}

/* ---- Connections ---------------------------------------------------------------------- */

enum conn_state {
    CONN_UNUSED,     /**< no socket (connect/echo/close: the slot waits for its next one) */
    CONN_RETRY_WAIT, /**< a refused or timed-out connect, tried again at deadline_us */
    CONN_CONNECTING, /**< connect() in progress */
    CONN_ECHOING,    /**< the first message in flight: the greeting, or the one echo */
    CONN_OPEN,       /**< open and greeted: idle, or in a measurement */
    CONN_CLOSING,    /**< connect/echo/close: shut down, waiting for the server's end */
    CONN_FAILED
};

/** One connection of the load. */
struct connection {
    SOCKET s;
    enum conn_state state;
    bool want_write;          /**< the waiter watches for room to send too */
    int attempts;             /**< connects tried */
    long long started_us;     /**< when its first connect began */
    long long deadline_us;    /**< connecting: when it times out; retry: when to retry */
    size_t send_at, check_at; /**< where in the pattern the next byte sent, and the next
                                   byte expected back, come from */
    size_t unsent;            /**< bytes of the message (or stream chunk) to send */
    unsigned long long sent;  /**< bytes sent */
    unsigned long long received, received_before; /**< bytes received; before the window */
    long long message_start_us;                   /**< when the message in flight left */
    unsigned long long round_trips;
};

/* ---- Waiting for readiness: epoll on Linux, net_poll() elsewhere ---------------------- */

/** A socket the wait found ready; an error or a hang-up counts as both, so that the next
 *  send() or recv() says which it is. */
struct ready {
    int index;
    bool readable, writable;
};

#ifdef __linux__
/* Linux: the kernel keeps the list of watched sockets; epoll_wait() returns only the ready
 * ones. A socket leaves the list by itself when it is closed (none is ever duplicated). */
struct waiter {
    int epfd;
    struct epoll_event events[WAIT_BATCH];
};

static void waiter_open(struct waiter *w, struct connection *conns, int count)
{
    (void)conns;
    (void)count;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0) {
        report_socket_error("epoll_create1");
        exit(1);
    }
}

static void waiter_close(struct waiter *w)
{
    close(w->epfd);
}

/** Watches connection @p index (@p add), or changes what is watched for on it. */
static void waiter_watch(struct waiter *w, struct connection *c, int index, bool add)
{
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLIN | (c->want_write ? EPOLLOUT : 0);
    event.data.u32 = (unsigned)index;
    if (epoll_ctl(w->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->s, &event) != 0) {
        report_socket_error("epoll_ctl");
        exit(1);
    }
}

static int waiter_wait(struct waiter *w, struct ready *ready, int timeout_ms)
{
    int n = epoll_wait(w->epfd, w->events, WAIT_BATCH, timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        report_socket_error("epoll_wait");
        exit(1);
    }
    for (int i = 0; i < n; i++) {
        unsigned events = w->events[i].events;
        ready[i].index = (int)w->events[i].data.u32;
        ready[i].readable = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
        ready[i].writable = (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0;
    }
    return n;
}
#else
/* Elsewhere: poll() or WSAPoll() over every open socket, the list built again for each
 * wait from what each connection wants. */
struct waiter {
    struct connection *conns;
    int count;
    struct pollfd *fds;
    int *which;
};

static void waiter_open(struct waiter *w, struct connection *conns, int count)
{
    w->conns = conns;
    w->count = count;
    w->fds = calloc((size_t)count, sizeof *w->fds);
    w->which = calloc((size_t)count, sizeof *w->which);
    if (w->fds == NULL || w->which == NULL)
        out_of_memory();
}

static void waiter_close(struct waiter *w)
{
    free(w->fds);
    free(w->which);
}

static void waiter_watch(struct waiter *w, struct connection *c, int index, bool add)
{
    (void)w; /* the next wait reads c->want_write */
    (void)c;
    (void)index;
    (void)add;
}

static int waiter_wait(struct waiter *w, struct ready *ready, int timeout_ms)
{
    size_t n = 0;
    for (int i = 0; i < w->count; i++) {
        const struct connection *c = &w->conns[i];
        if (c->s == INVALID_SOCKET)
            continue;
        w->fds[n].fd = c->s;
        w->fds[n].events = (short)(POLLIN | (c->want_write ? POLLOUT : 0));
        w->fds[n].revents = 0;
        w->which[n++] = i;
    }
    if (n == 0) {
        net_sleep_ms(timeout_ms);
        return 0;
    }
    int got = net_poll(w->fds, n, timeout_ms);
    if (got == SOCKET_ERROR) {
        report_socket_error("net_poll");
        exit(1);
    }
    int count = 0;
    for (size_t k = 0; k < n && count < WAIT_BATCH; k++) {
        short revents = w->fds[k].revents;
        if (revents == 0)
            continue;
        ready[count].index = w->which[k];
        ready[count].readable = (revents & (POLLIN | POLLERR | POLLHUP)) != 0;
        ready[count].writable = (revents & (POLLOUT | POLLERR | POLLHUP)) != 0;
        count++;
    }
    return count;
}
#endif

/* ---- The load: connections driven by one loop ----------------------------------------- */

struct load {
    const struct addrinfo *address;
    struct connection *conns;
    int count;
    struct waiter waiter;
    enum test test;
    bool measuring; /**< in the window: round trips count */
    struct latencies latencies;
    int in_flight;    /**< retry-wait, connecting, echoing or closing */
    int open, failed; /**< connections in CONN_OPEN, in CONN_FAILED */
    int failures;     /**< failures in all (connect/echo/close reuses a failed slot) */
    int retries, completed;
    unsigned long long started; /**< connections begun (each its own place in the pattern) */
    char first_failure[160];
};

static bool is_in_flight(enum conn_state s)
{
    return s == CONN_RETRY_WAIT || s == CONN_CONNECTING || s == CONN_ECHOING || s == CONN_CLOSING;
}

/** Moves a connection to @p state, keeping the load's counts. */
static void set_state(struct load *l, struct connection *c, enum conn_state state)
{
    l->in_flight += is_in_flight(state) - is_in_flight(c->state);
    l->open += (state == CONN_OPEN) - (c->state == CONN_OPEN);
    l->failed += (state == CONN_FAILED) - (c->state == CONN_FAILED);
    c->state = state;
}

static void close_connection(struct connection *c)
{
    if (c->s != INVALID_SOCKET)
        closesocket(c->s);
    c->s = INVALID_SOCKET;
    c->want_write = false;
}

/** Counts connection @p c as failed, saying why if it is the first. */
static void fail(struct load *l, struct connection *c, const char *what, int code)
{
    if (l->first_failure[0] == '\0') {
        if (code != 0)
            snprintf(l->first_failure, sizeof l->first_failure, "%s: %s (%d)", what,
                     net_error_name(code), code);
        else
            snprintf(l->first_failure, sizeof l->first_failure, "%s", what);
    }
    l->failures++;
    /* connect/echo/close: a failed connection's time counts in the latencies too, or a
     * server that makes connections time out would show the better figures for it. */
    if (l->test == CHURN)
        add_latency(&l->latencies, now_us() - c->started_us);
    close_connection(c);
    set_state(l, c, CONN_FAILED);
}

/** Sets what the waiter watches on @p c. */
static void want_write(struct load *l, struct connection *c, bool on)
{
    if (c->want_write == on || c->s == INVALID_SOCKET)
        return;
    c->want_write = on;
    waiter_watch(&l->waiter, c, (int)(c - l->conns), false);
}

/** A non-blocking socket that is not inherited by the servers started later, and sends
 *  small messages at once instead of waiting for more (Nagle's algorithm). INVALID_SOCKET,
 *  with the call that failed in @p call and its error in @p error, if one of those fails. */
static SOCKET open_socket(int family, const char **call, int *error)
{
    *call = "socket";
    *error = 0;
#ifdef __linux__
    /* One call instead of three. */
    SOCKET s = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    bool ok = s != INVALID_SOCKET;
#else
    SOCKET s = socket(family, SOCK_STREAM, IPPROTO_TCP);
    bool ok = s != INVALID_SOCKET;
    if (ok) {
#    ifdef _WIN32
        *call = "SetHandleInformation";
        ok = SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0) != 0;
        if (!ok)
            *error = (int)GetLastError(); /* a Windows error, not a Winsock one */
#    else
        *call = "fcntl";
        ok = fcntl(s, F_SETFD, FD_CLOEXEC) == 0;
#    endif
    }
    if (ok) {
        *call = NET_NONBLOCKING_CALL;
        ok = net_set_nonblocking(s) != SOCKET_ERROR;
    }
#endif
    if (ok) {
        int on = 1;
        *call = "setsockopt(TCP_NODELAY)";
        ok = setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&on, (int)sizeof on) == 0;
    }
    if (!ok) {
        if (*error == 0)
            *error = net_last_error();
        if (s != INVALID_SOCKET)
            closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

static bool is_refused_or_timed_out(int code)
{
    return code == ERROR_CODE(ECONNREFUSED) || code == ERROR_CODE(ETIMEDOUT);
}

/** A connect refused or timed out: tried again later, unless it has had its attempts (or
 *  this is connect/echo/close, where every connection counts as it goes). */
static void retry_or_fail(struct load *l, struct connection *c, const char *what, int code)
{
    if (l->test == CHURN || c->attempts >= CONNECT_ATTEMPTS) {
        char text[80];
        snprintf(text, sizeof text, "%s, attempt %d of %d", what, c->attempts,
                 l->test == CHURN ? 1 : CONNECT_ATTEMPTS);
        fail(l, c, text, code);
        return;
    }
    close_connection(c);
    l->retries++;
    c->deadline_us = now_us() + RETRY_DELAY_MS * 1000LL;
    set_state(l, c, CONN_RETRY_WAIT);
}

/** Starts a connect on @p c (a first one, or again). */
static void begin_connect(struct load *l, struct connection *c)
{
    long long now = now_us();
    if (c->attempts == 0) {
        c->started_us = now;
        c->send_at = c->check_at = (size_t)(l->started++ * 40503u % PATTERN_LEN);
    }
    c->attempts++;
    c->deadline_us = now + (l->test == CHURN ? CHURN_TIMEOUT_MS : CONNECT_TIMEOUT_MS) * 1000LL;
    const char *call = NULL;
    int error = 0;
    c->s = open_socket(l->address->ai_family, &call, &error);
    if (c->s == INVALID_SOCKET) {
        fail(l, c, call, error);
        return;
    }
    set_state(l, c, CONN_CONNECTING);
    c->want_write = true; /* a connect completes when the socket becomes writable */
    waiter_watch(&l->waiter, c, (int)(c - l->conns), true);
    if (connect(c->s, l->address->ai_addr, (int)l->address->ai_addrlen) == SOCKET_ERROR) {
        int code = net_last_error();
        if (net_would_block(code) || code == ERROR_CODE(EINPROGRESS))
            return;
        if (is_refused_or_timed_out(code))
            retry_or_fail(l, c, "connect", code);
        else
            fail(l, c, "connect", code);
    }
}

/** Sends what the socket takes of the message in flight or, for the stream, of one more
 *  chunk: every connection moves on a little in every turn. */
static void send_some(struct load *l, struct connection *c)
{
    bool stream = l->test == STREAM && c->state == CONN_OPEN;
    if (stream && c->unsent == 0)
        c->unsent = STREAM_CHUNK;
    while (c->unsent > 0) {
        int n = send(c->s, (const char *)pattern + c->send_at, (int)c->unsent, MSG_NOSIGNAL);
        if (n == SOCKET_ERROR) {
            int code = net_last_error();
            if (!net_would_block(code))
                fail(l, c, "send", code);
            else
                want_write(l, c, true);
            return;
        }
        c->send_at = (c->send_at + (size_t)n) % PATTERN_LEN;
        c->unsent -= (size_t)n;
        c->sent += (unsigned long long)n;
    }
    want_write(l, c, stream);
}

/** Sends the next message. */
static void start_message(struct load *l, struct connection *c)
{
    c->unsent = MESSAGE_SIZE;
    c->message_start_us = now_us();
    send_some(l, c);
}

/** The connect of @p c has completed, or failed. */
static void connected(struct load *l, struct connection *c)
{
    if (l->test != CHURN) {
        /* Whether it failed, and why: a refused connect is tried again. (connect/echo/close
         * saves the call: its send() then fails, and the connection counts as failed. Linux
         * gives send() the connect's error; Windows may name another, such as WSAENOTCONN.) */
        int code = 0;
        socklen_t length = (socklen_t)sizeof code;
        if (getsockopt(c->s, SOL_SOCKET, SO_ERROR, (char *)&code, &length) != 0)
            code = net_last_error();
        if (code != 0) {
            if (is_refused_or_timed_out(code))
                retry_or_fail(l, c, "connect", code);
            else
                fail(l, c, "connect", code);
            return;
        }
    }
    set_state(l, c, CONN_ECHOING);
    start_message(l, c);
}

/** The message in flight on @p c has come back whole. */
static void message_echoed(struct load *l, struct connection *c)
{
    long long now = now_us();
    if (c->state == CONN_OPEN) {
        /* A round trip of the ping-pong. */
        if (l->measuring) {
            add_latency(&l->latencies, now - c->message_start_us);
            c->round_trips++;
        }
        start_message(l, c);
    } else if (l->test == CHURN) {
        /* The echo is back: our end of stream; the server's comes next. */
        if (shutdown(c->s, SD_SEND) == SOCKET_ERROR) {
            fail(l, c, "shutdown", net_last_error());
            return;
        }
        set_state(l, c, CONN_CLOSING);
    } else {
        set_state(l, c, CONN_OPEN); /* greeted: the server has accepted it */
    }
}

/** Receives and checks what has arrived. */
static void receive_some(struct load *l, struct connection *c)
{
    unsigned char buf[65536];
    for (int turn = 0; turn < 4; turn++) {
        int n = recv(c->s, (char *)buf, (int)sizeof buf, 0);
        if (n == SOCKET_ERROR) {
            int code = net_last_error();
            if (!net_would_block(code))
                fail(l, c, "recv", code);
            return;
        }
        if (n == 0) {
            if (c->state == CONN_CLOSING) {
                /* connect/echo/close: done. */
                add_latency(&l->latencies, now_us() - c->started_us);
                l->completed++;
                close_connection(c);
                set_state(l, c, CONN_UNUSED);
            } else {
                fail(l, c, "the server closed a connection it should have kept", 0);
            }
            return;
        }
        if (c->received + (unsigned long long)n > c->sent) {
            fail(l, c, "more bytes came back than were sent", 0);
            return;
        }
        if (memcmp(buf, pattern + c->check_at, (size_t)n) != 0) {
            fail(l, c, "a byte came back changed", 0);
            return;
        }
        c->check_at = (c->check_at + (size_t)n) % PATTERN_LEN;
        c->received += (unsigned long long)n;
        bool stream = l->test == STREAM && c->state == CONN_OPEN;
        if (!stream && c->state != CONN_CLOSING && c->received == c->sent && c->unsent == 0) {
            message_echoed(l, c);
            return;
        }
    }
}

/** Acts on what the wait found ready. */
static void serve_ready(struct load *l, const struct ready *ready, int n)
{
    for (int k = 0; k < n; k++) {
        struct connection *c = &l->conns[ready[k].index];
        switch (c->state) {
        case CONN_CONNECTING:
            connected(l, c);
            break;
        case CONN_ECHOING:
        case CONN_OPEN:
        case CONN_CLOSING:
            if (ready[k].writable && c->want_write)
                send_some(l, c);
            if (c->s != INVALID_SOCKET && ready[k].readable)
                receive_some(l, c);
            break;
        default:
            break; /* already closed in this turn */
        }
    }
}

/** Times out the connections that have waited too long; starts the retries that are due. */
static void check_deadlines(struct load *l)
{
    long long now = now_us();
    for (int i = 0; i < l->count; i++) {
        struct connection *c = &l->conns[i];
        if (c->state == CONN_RETRY_WAIT && now >= c->deadline_us) {
            begin_connect(l, c);
        } else if ((c->state == CONN_CONNECTING || c->state == CONN_ECHOING ||
                    c->state == CONN_CLOSING) &&
                   now >= c->deadline_us) {
            if (c->state == CONN_CONNECTING)
                retry_or_fail(l, c, "connect timed out", 0);
            else if (c->state == CONN_ECHOING)
                fail(l, c, "no echo in time", 0);
            else
                fail(l, c, "no end of stream from the server in time", 0);
        }
    }
}

static void load_init(struct load *l, const struct addrinfo *address, int count, enum test test)
{
    memset(l, 0, sizeof *l);
    l->address = address;
    l->count = count;
    l->test = test;
    l->conns = calloc((size_t)count, sizeof *l->conns);
    if (l->conns == NULL)
        out_of_memory();
    for (int i = 0; i < count; i++)
        l->conns[i].s = INVALID_SOCKET;
    waiter_open(&l->waiter, l->conns, count);
}

static void load_free(struct load *l)
{
    for (int i = 0; i < l->count; i++)
        close_connection(&l->conns[i]);
    waiter_close(&l->waiter);
    free(l->conns);
    free(l->latencies.values);
}

/** Opens every connection of the load, OPEN_IN_FLIGHT at a time, each greeted with one echo.
 *  Returns how long it took, in seconds. */
static double open_all(struct load *l)
{
    static struct ready ready[WAIT_BATCH];
    long long start = now_us(), deadline = start + OPEN_DEADLINE_MS * 1000LL;
    long long last_check = start;
    int next = 0;
    while (l->open + l->failed < l->count) {
        while (l->in_flight < OPEN_IN_FLIGHT && next < l->count)
            begin_connect(l, &l->conns[next++]);
        long long now = now_us();
        if (now >= deadline) {
            for (int i = 0; i < l->count; i++) {
                struct connection *c = &l->conns[i];
                if (c->state != CONN_OPEN && c->state != CONN_FAILED)
                    fail(l, c, "not open when the time to open them all was up", 0);
            }
            break;
        }
        int n = waiter_wait(&l->waiter, ready, 10);
        serve_ready(l, ready, n);
        if (now_us() - last_check >= 20000) {
            check_deadlines(l);
            last_check = now_us();
        }
        pump_servers();
    }
    return (double)(now_us() - start) / 1e6;
}

/** Drives the load until @p end (microseconds), checking deadlines as it goes. */
static void run_until(struct load *l, long long end)
{
    static struct ready ready[WAIT_BATCH];
    long long last_check = now_us();
    for (long long now = now_us(); now < end; now = now_us()) {
        long long left_ms = (end - now) / 1000;
        int n = waiter_wait(&l->waiter, ready, left_ms > 10 ? 10 : (int)left_ms + 1);
        serve_ready(l, ready, n);
        if (l->test == CHURN) {
            /* Every slot that is free starts its next connection at once. */
            for (int i = 0; i < l->count; i++) {
                struct connection *c = &l->conns[i];
                if (c->state == CONN_UNUSED || c->state == CONN_FAILED) {
                    set_state(l, c, CONN_UNUSED); /* a failure stays counted in failures */
                    memset(c, 0, sizeof *c);
                    c->s = INVALID_SOCKET;
                    begin_connect(l, c);
                }
            }
        }
        if (now_us() - last_check >= 20000) {
            check_deadlines(l);
            last_check = now_us();
        }
        pump_servers();
    }
}

/** Reads the server's resident memory until it stays the same for 300 ms (at most 3 s): the
 *  last connections' work may still be settling. */
static long settled_resident_kib(struct child *server)
{
    long value = child_resident_kib(server);
    long long since = now_us(), give_up = since + 3000000;
    while (now_us() - since < 300000 && now_us() < give_up) {
        net_sleep_ms(50);
        child_pump_all();
        long now = child_resident_kib(server);
        if (now != value) {
            value = now;
            since = now_us();
        }
    }
    return value;
}

/**
 * One measurement of ping-pong or stream: opens @p count connections, runs for @p seconds,
 * closes them. With @p idle (Linux), measures the server's memory per idle connection first,
 * @p rss_before_kib being what it used before any connection.
 */
static void measure_echo(const struct addrinfo *address, int count, double seconds, enum test test,
                         struct figures *f, struct child *server, long rss_before_kib,
                         struct figures *idle)
{
    struct load l;
    memset(f, 0, sizeof *f);
    load_init(&l, address, count, test);
    double open_s = open_all(&l);
    if (idle != NULL) {
        memset(idle, 0, sizeof *idle);
        idle->measured = true;
        idle->of = count;
        idle->served = l.open;
        idle->failed = l.failures;
        idle->retries = l.retries;
        idle->rss_before_kib = rss_before_kib;
        idle->rss_after_kib = l.open > 0 ? settled_resident_kib(server) : rss_before_kib;
        if (l.open > 0)
            idle->value = (double)(idle->rss_after_kib - rss_before_kib) * 1024.0 / l.open;
        snprintf(idle->first_failure, sizeof idle->first_failure, "%s", l.first_failure);
    }

    l.measuring = true;
    for (int i = 0; i < count; i++) {
        struct connection *c = &l.conns[i];
        if (c->state != CONN_OPEN)
            continue;
        c->received_before = c->received;
        if (test == STREAM)
            send_some(&l, c);
        else
            start_message(&l, c);
    }
    struct window window;
    window_start(&window, server);
    run_until(&l, window.start_us + (long long)(seconds * 1e6));
    long long now = now_us();
    double elapsed = window_end(&window, f);
    f->open_s = open_s;

    unsigned long long round_trips = 0, echoed = 0;
    for (int i = 0; i < count; i++) {
        struct connection *c = &l.conns[i];
        round_trips += c->round_trips;
        echoed += c->received - c->received_before;
        if (c->state == CONN_FAILED)
            continue;
        if (test == STREAM)
            f->served += c->received > c->received_before;
        else
            f->served += c->round_trips > 0;
        /* A message still out counts with its age: a connection never served must not
         * vanish from the latencies. */
        if (test == PING_PONG && c->state == CONN_OPEN)
            add_latency(&l.latencies, now - c->message_start_us);
    }
    f->measured = true;
    f->of = count;
    f->failed = l.failures;
    f->retries = l.retries;
    f->value = test == STREAM ? (double)echoed / elapsed / (1024.0 * 1024.0)
                              : (double)round_trips / elapsed;
    if (test == PING_PONG)
        summarize_latencies(&l.latencies, f);
    snprintf(f->first_failure, sizeof f->first_failure, "%s", l.first_failure);
    load_free(&l);
}

/** One measurement of connect/echo/close with @p in_flight connections at a time. */
static void measure_churn(const struct addrinfo *address, int in_flight, double seconds,
                          struct figures *f, struct child *server)
{
    struct load l;
    memset(f, 0, sizeof *f);
    load_init(&l, address, in_flight, CHURN);
    struct window window;
    window_start(&window, server);
    for (int i = 0; i < in_flight; i++)
        begin_connect(&l, &l.conns[i]);
    run_until(&l, window.start_us + (long long)(seconds * 1e6));
    double elapsed = window_end(&window, f);
    /* Connections still in flight at the end are neither completed nor failed; their time so
     * far counts in the latencies, as an unanswered ping-pong message's does. */
    long long end = now_us();
    for (int i = 0; i < in_flight; i++) {
        if (l.conns[i].state != CONN_UNUSED && l.conns[i].state != CONN_FAILED)
            add_latency(&l.latencies, end - l.conns[i].started_us);
    }
    f->measured = true;
    f->served = l.completed;
    f->failed = l.failures;
    f->of = l.completed + l.failures;
    f->value = (double)l.completed / elapsed;
    summarize_latencies(&l.latencies, f);
    snprintf(f->first_failure, sizeof f->first_failure, "%s", l.first_failure);
    load_free(&l);
}

/* ---- The machine and its limits ------------------------------------------------------- */

/** This machine's processor model and its number of cores (online processors). */
static int describe_machine(char *model, size_t size)
{
    int cores = 0;
    snprintf(model, size, "unknown processor");
#ifdef _WIN32
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    cores = (int)info.dwNumberOfProcessors;
#else
    cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        char line[256];
        while (fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "model name", 10) == 0 && strchr(line, ':') != NULL) {
                snprintf(model, size, "%s", strchr(line, ':') + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        }
        fclose(f);
    }
#endif
    return cores;
}

/**
 * Raises this process's open-files limit to the hard limit (POSIX RLIMIT_NOFILE); the
 * servers started afterwards inherit it. Describes the outcome in @p note.
 * @return the limit now in force; 0 where there is none to respect (Windows).
 */
static unsigned long raise_open_files_limit(char *note, size_t size)
{
#ifdef _WIN32
    snprintf(note, size, "none (Windows has no per-process limit on sockets)");
    return 0;
#else
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        snprintf(note, size, "unknown (getrlimit failed)");
        return 1024;
    }
    rlim_t was = limit.rlim_cur;
    rlim_t hard = limit.rlim_max;
    if (limit.rlim_cur != hard) {
        /* The hard limit first. A system may refuse it as the soft limit, an unlimited one
         * above all (macOS stops at kern.maxfilesperproc): then the largest power of two it
         * takes, down to what there was. */
        limit.rlim_cur = hard;
        rlim_t ask = 1048576;
        while (setrlimit(RLIMIT_NOFILE, &limit) != 0 && ask > was) {
            limit.rlim_cur = ask < hard ? ask : hard;
            ask /= 2;
        }
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
            limit.rlim_cur = was;
    }
    if (limit.rlim_cur == RLIM_INFINITY) {
        snprintf(note, size, "unlimited");
        return 0;
    }
    if (limit.rlim_cur == hard && was == hard)
        snprintf(note, size, "%lu (the hard limit; the servers inherit it)",
                 (unsigned long)limit.rlim_cur);
    else if (limit.rlim_cur == hard)
        snprintf(note, size, "%lu (raised from %lu to the hard limit; the servers inherit it)",
                 (unsigned long)limit.rlim_cur, (unsigned long)was);
    else if (limit.rlim_cur != was)
        snprintf(note, size,
                 "%lu (raised from %lu, as far as the system allows; the servers "
                 "inherit it)",
                 (unsigned long)limit.rlim_cur, (unsigned long)was);
    else
        snprintf(note, size, "%lu (could not be raised; the servers inherit it)",
                 (unsigned long)limit.rlim_cur);
    return (unsigned long)limit.rlim_cur;
#endif
}

/** Lowers each count to what @p limit allows one process (0: no limit), saying so in
 *  @p notes. */
static void fit_counts(int *counts, int n, unsigned long limit, char *notes, size_t size)
{
    for (int k = 0; k < n; k++) {
        if (limit == 0 || (unsigned long)counts[k] + DESCRIPTOR_MARGIN <= limit)
            continue;
        int fits = limit > DESCRIPTOR_MARGIN ? (int)(limit - DESCRIPTOR_MARGIN) : 1;
        size_t used = strlen(notes);
        snprintf(notes + used, size - used,
                 "%d connections need about %d descriptors in the client and in the server, "
                 "and the limit is %lu: measured with %d instead. ",
                 counts[k], counts[k] + DESCRIPTOR_MARGIN, limit, fits);
        counts[k] = fits;
    }
}

/* ---- Servers -------------------------------------------------------------------------- */

/** One server of the suite: a name, a program and its extra arguments. */
struct server_spec {
    char name[64];
    char program[1024];
    const char *args[8];
    char storage[256];
    char left_out[300]; /**< why it is not measured; empty if it is */
    bool churn_only;    /**< connect/echo/close only (--churn-only) */
};

static void parse_server(const char *text, struct server_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    const char *equals = strchr(text, '=');
    if (equals == NULL || (size_t)(equals - text) >= sizeof spec->name) {
        fprintf(stderr, "echo_bench: expected NAME=PROGRAM[,ARG...], got '%s'\n", text);
        exit(2);
    }
    memcpy(spec->name, text, (size_t)(equals - text));
    const char *comma = strchr(equals + 1, ',');
    size_t length = comma ? (size_t)(comma - equals - 1) : strlen(equals + 1);
    if (length >= sizeof spec->program) {
        fprintf(stderr, "echo_bench: program path too long\n");
        exit(2);
    }
    memcpy(spec->program, equals + 1, length);
    if (comma != NULL) {
        snprintf(spec->storage, sizeof spec->storage, "%s", comma + 1);
        int n = 0;
        for (char *arg = strtok(spec->storage, ","); arg != NULL && n < 7; arg = strtok(NULL, ","))
            spec->args[n++] = arg;
    }
}

/** A server started for one measurement. */
struct running {
    struct child *process;
    struct addrinfo *address;
};

static struct addrinfo *resolve(const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "echo_bench: %s port %s: ", host, port);
        fflush(stderr);
        report_gai_error("getaddrinfo", rc);
        exit(1);
    }
    return res;
}

/**
 * Starts @p spec on port 0 and waits for its `listening on ADDRESS:PORT` line. A fresh server
 * for each measurement: nothing left over from the last one.
 * @return true if it is listening; false, with the reason in @p why, if it exited first.
 */
static bool start_server(const struct server_spec *spec, struct running *r, char *why, size_t size)
{
    const char *args[12] = {"--port", "0"};
    int n = 2;
    for (int i = 0; spec->args[i] != NULL && n < 11; i++)
        args[n++] = spec->args[i];
    args[n] = NULL;
    r->process = child_start_argv(spec->program, args);
    const char *line;
    while ((line = child_read_line(r->process, HARNESS_READY_MS)) != NULL &&
           strncmp(line, "listening on ", 13) != 0) {
    }
    if (line == NULL) {
        /* It closed its stdout: it exited, or could not be started at all. */
        char text[200];
        snprintf(text, sizeof text, "%s", child_stderr(r->process));
        text[strcspn(text, "\r\n")] = '\0';
        snprintf(why, size, "it exited at start (%s)", text[0] ? text : "nothing on stderr");
        child_free(r->process);
        r->process = NULL;
        return false;
    }
    /* "listening on 127.0.0.1:40000" or "listening on [::1]:40000" */
    char host[80], port[8];
    const char *address = line + 13;
    const char *colon = strrchr(address, ':');
    if (colon == NULL) {
        snprintf(why, size, "no port in \"%s\"", line);
        child_free(r->process);
        r->process = NULL;
        return false;
    }
    snprintf(port, sizeof port, "%s", colon + 1);
    size_t host_length = (size_t)(colon - address);
    if (address[0] == '[') {
        address++;
        host_length -= 2;
    }
    if (host_length >= sizeof host)
        host_length = sizeof host - 1;
    memcpy(host, address, host_length);
    host[host_length] = '\0';
    r->address = resolve(host, port);
    return true;
}

static void stop_server(struct running *r)
{
    child_free(r->process);
    freeaddrinfo(r->address);
}

/** Records a measurement that could not be made because the server did not start. */
static void not_started(struct figures *f, int of, const char *why)
{
    memset(f, 0, sizeof *f);
    f->measured = true;
    f->no_server = true;
    f->of = of;
    f->failed = of;
    f->server_cores = -1;
    snprintf(f->first_failure, sizeof f->first_failure, "the server did not start: %.120s", why);
}

/** Measures @p spec once: @p test with @p count connections (or in flight); for ping-pong
 *  with @p idle, the memory per idle connection too (Linux). */
static void measure_server(const struct server_spec *spec, enum test test, int count,
                           double seconds, struct figures *f, struct figures *idle)
{
    struct running server;
    char why[256];
    if (!start_server(spec, &server, why, sizeof why)) {
        not_started(f, count, why);
        if (idle != NULL)
            not_started(idle, count, why);
        return;
    }
    if (test == CHURN) {
        measure_churn(server.address, count, seconds, f, server.process);
    } else {
        long before = 0;
#ifdef __linux__
        if (idle != NULL)
            before = settled_resident_kib(server.process); /* as the reading after */
#else
        idle = NULL; /* resident memory is read from Linux's /proc */
#endif
        measure_echo(server.address, count, seconds, test, f, server.process, before, idle);
    }
    stop_server(&server);
}

/* ---- Results -------------------------------------------------------------------------- */

/** Formats microseconds for the table: "85 µs", "12.5 ms", "2.0 s". */
static const char *format_us(double us, char *buf, size_t size)
{
    if (us < 1000)
        snprintf(buf, size, "%.0f µs", us);
    else if (us < 1e6)
        snprintf(buf, size, "%.1f ms", us / 1000);
    else
        snprintf(buf, size, "%.1f s", us / 1e6);
    return buf;
}

/** The median of @p n values (which it sorts). */
static double median(double *values, int n)
{
    for (int i = 1; i < n; i++) {
        for (int j = i; j > 0 && values[j - 1] > values[j]; j--) {
            double t = values[j];
            values[j] = values[j - 1];
            values[j - 1] = t;
        }
    }
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/** "0.93 + 1.02": the cores the client and the server used, for the tables. */
static const char *format_cores(const struct figures *f, char *buf, size_t size)
{
    if (f->server_cores >= 0)
        snprintf(buf, size, "%.2f + %.2f", f->client_cores, f->server_cores);
    else
        snprintf(buf, size, "%.2f + ?", f->client_cores);
    return buf;
}

/** The round, of @p n, that served the fewest connections (the first such); -1 if none was
 *  measured. */
static int worst_round(const struct figures *rounds, int n)
{
    int worst = -1;
    for (int r = 0; r < n; r++) {
        if (rounds[r].measured && (worst < 0 || rounds[r].served < rounds[worst].served))
            worst = r;
    }
    return worst;
}

/** The figures of @p n rounds in one: the median of each figure over the rounds whose server
 *  started, the served count of the worst round, every failure and retry of every round. */
static struct figures combine(const struct figures *rounds, int n)
{
    struct figures all;
    double v[8][MAX_REPEATS];
    memset(&all, 0, sizeof all);
    int worst = worst_round(rounds, n);
    if (worst >= 0) {
        all.served = rounds[worst].served;
        all.of = rounds[worst].of;
    }
    int m = 0;
    for (int r = 0; r < n; r++) {
        const struct figures *f = &rounds[r];
        if (!f->measured)
            continue;
        all.measured = true;
        all.failed += f->failed;
        all.retries += f->retries;
        if (all.first_failure[0] == '\0')
            snprintf(all.first_failure, sizeof all.first_failure, "%s", f->first_failure);
        if (f->no_server)
            continue; /* its zeros are no figures: a p99 of 0 would look like the best */
        v[0][m] = f->value;
        v[1][m] = f->p50_us;
        v[2][m] = f->p99_us;
        v[3][m] = f->max_us;
        v[4][m] = (double)f->rss_before_kib;
        v[5][m] = (double)f->rss_after_kib;
        v[6][m] = f->client_cores;
        v[7][m] = f->server_cores;
        m++;
    }
    if (m == 0) {
        all.no_server = all.measured;
        all.server_cores = -1;
        return all;
    }
    all.value = median(v[0], m);
    all.p50_us = median(v[1], m);
    all.p99_us = median(v[2], m);
    all.max_us = median(v[3], m);
    all.rss_before_kib = (long)median(v[4], m);
    all.rss_after_kib = (long)median(v[5], m);
    all.client_cores = median(v[6], m);
    all.server_cores = median(v[7], m);
    return all;
}

static const char *csv_header = "build,cores,server,test,connections,value,unit,p50_us,p99_us,"
                                "max_us,served,of,failures,connect_retries,rss_before_kib,"
                                "rss_after_kib,client_cores,server_cores\n";

/** One line of results.csv or rounds.csv; figures a test does not have are left empty. */
static void write_csv_row(FILE *out, const char *build, int cores, const char *server,
                          enum test test, int connections, const struct figures *f)
{
    fprintf(out, "%s,%d,%s,%s,%d,%.*f,%s,", build, cores, server, test_names[test], connections,
            test == STREAM ? 1 : 0, f->value, test_units[test]);
    if (test == PING_PONG || test == CHURN)
        fprintf(out, "%.0f,%.0f,%.0f,", f->p50_us, f->p99_us, f->max_us);
    else
        fprintf(out, ",,,");
    fprintf(out, "%d,%d,%d,%d,", f->served, f->of, f->failed, f->retries);
    if (test == IDLE)
        fprintf(out, "%ld,%ld,,\n", f->rss_before_kib, f->rss_after_kib);
    else if (f->server_cores >= 0)
        fprintf(out, ",,%.2f,%.2f\n", f->client_cores, f->server_cores);
    else
        fprintf(out, ",,%.2f,\n", f->client_cores);
}

/** What a line of the run says about one measurement. */
static void print_round_line(int round, const char *server, enum test test, int count,
                             const struct figures *f)
{
    char p50[32], p99[32];
    switch (test) {
    case PING_PONG:
        printf("round %d: %-21s %5d connections: ping-pong %.0f round trips/s, p50 %s, p99 %s, "
               "%d of %d served",
               round, server, count, f->value, format_us(f->p50_us, p50, sizeof p50),
               format_us(f->p99_us, p99, sizeof p99), f->served, f->of);
        break;
    case STREAM:
        printf("round %d: %-21s %5d connections: stream %.1f MiB/s, %d of %d served", round, server,
               count, f->value, f->served, f->of);
        break;
    case CHURN:
        printf("round %d: %-21s %5d in flight: connect/echo/close %.0f connections/s, p99 %s",
               round, server, count, f->value, format_us(f->p99_us, p99, sizeof p99));
        break;
    default:
        printf("round %d: %-21s %5d idle connections: resident %ld KiB before, %ld KiB with "
               "%d open: %.0f bytes each",
               round, server, count, f->rss_before_kib, f->rss_after_kib, f->served, f->value);
        break;
    }
    if (test != IDLE && test != CHURN)
        printf("; opened in %.1f s", f->open_s);
    if (test != IDLE) {
        printf("; cores used: client %.2f", f->client_cores);
        if (f->server_cores >= 0)
            printf(", server %.2f", f->server_cores);
    }
    printf("; %d failure%s, %d connect retr%s", f->failed, f->failed == 1 ? "" : "s", f->retries,
           f->retries == 1 ? "y" : "ies");
    if (f->first_failure[0] != '\0')
        printf(" (first: %s)", f->first_failure);
    printf("\n");
    fflush(stdout);
}

/** Everything the suite measured: [server][test][count][round]. */
static struct figures results[MAX_SERVERS][TEST_COUNT][MAX_COUNTS][MAX_REPEATS];

/** What the suite was asked, and what it found about the machine. */
struct suite {
    const char *dir, *build;
    double seconds;
    int repeats;
    int counts[MAX_COUNTS], count_n;
    int churn[MAX_COUNTS], churn_n;
    struct server_spec specs[MAX_SERVERS];
    int server_n;
    char model[128];
    int cores;
    char limit_note[160];
    char notes[1024];
};

/** Which of the counts the memory per idle connection is measured at: the largest, where a
 *  page more or less weighs least per connection. */
static int idle_index(const struct suite *s)
{
    int idle_k = 0;
    for (int k = 1; k < s->count_n; k++) {
        if (s->counts[k] > s->counts[idle_k])
            idle_k = k;
    }
    return idle_k;
}

static void write_markdown(FILE *md, const struct suite *s,
                           struct figures agg[MAX_SERVERS][TEST_COUNT][MAX_COUNTS])
{
    char a[32], b[32], c[32], d[32];
    fprintf(md,
            "Measured by `echo_bench` on %s, %d core%s; client and servers on the same machine, "
            "over loopback (127.0.0.1). Build: %s (the servers, the load client and "
            "`uv_echo_server.c`; libuv itself is the system's optimized library). %d round%s "
            "of %.1f s per figure, the median shown; *served* is the worst round's, failures "
            "and connect retries are the sums over all rounds; *cores used* is the processor "
            "time the load client and the server used in the (ping-pong) window, per second of "
            "it. Open-files limit: %s.\n\n",
            s->model, s->cores, s->cores == 1 ? "" : "s", s->build, s->repeats,
            s->repeats == 1 ? "" : "s", s->seconds, s->limit_note);
    for (int i = 0; i < s->server_n; i++) {
        if (s->specs[i].left_out[0] != '\0')
            fprintf(md, "Left out: `%s`: %s.\n\n", s->specs[i].name, s->specs[i].left_out);
    }
    if (s->notes[0] != '\0')
        fprintf(md, "%s\n\n", s->notes);

    fprintf(md,
            "**Ping-pong and stream.** Ping-pong: one %d-byte message in flight per "
            "connection. Stream: each connection sends %d-byte chunks as fast as the server "
            "takes them, reading the echo at the same time. Before each window the "
            "connections open, %d at a time, each echoing one message.\n\n",
            MESSAGE_SIZE, STREAM_CHUNK, OPEN_IN_FLIGHT);
    fprintf(md, "| server | build | cores | connections | round trips/s | latency p50 | "
                "latency p99 | longest wait | served | stream MiB/s | stream served | "
                "failures | connect retries | cores used |\n");
    fprintf(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < s->server_n; i++) {
        if (s->specs[i].churn_only)
            continue;
        for (int k = 0; k < s->count_n && s->specs[i].left_out[0] == '\0'; k++) {
            const struct figures *p = &agg[i][PING_PONG][k], *st = &agg[i][STREAM][k];
            fprintf(md,
                    "| %s | %s | %d | %d | %.0f | %s | %s | %s | %d of %d | %.1f | %d of %d | %d "
                    "| %d | %s |\n",
                    s->specs[i].name, s->build, s->cores, s->counts[k], p->value,
                    format_us(p->p50_us, a, sizeof a), format_us(p->p99_us, b, sizeof b),
                    format_us(p->max_us, c, sizeof c), p->served, p->of, st->value, st->served,
                    st->of, p->failed + st->failed, p->retries + st->retries,
                    format_cores(p, d, sizeof d));
        }
    }

    fprintf(md,
            "\n**Connect, echo, close.** A new connection, one %d-byte echo, our end of "
            "stream, the server's, closed; so many in flight at once. The time is a "
            "connection's whole life.\n\n",
            MESSAGE_SIZE);
    fprintf(md, "| server | build | cores | in flight | connections/s | time p50 | time p99 | "
                "longest | failures | cores used |\n");
    fprintf(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < s->server_n; i++) {
        for (int k = 0; k < s->churn_n && s->specs[i].left_out[0] == '\0'; k++) {
            const struct figures *f = &agg[i][CHURN][k];
            fprintf(md, "| %s | %s | %d | %d | %.0f | %s | %s | %s | %d | %s |\n", s->specs[i].name,
                    s->build, s->cores, s->churn[k], f->value, format_us(f->p50_us, a, sizeof a),
                    format_us(f->p99_us, b, sizeof b), format_us(f->max_us, c, sizeof c), f->failed,
                    format_cores(f, d, sizeof d));
        }
    }

    int idle_count = s->counts[idle_index(s)];
#ifdef __linux__
    fprintf(md,
            "\n**Memory per idle connection.** The server's resident memory (VmRSS in "
            "/proc/PID/status: its own, user-space memory, not the kernel's for each socket) "
            "after it said it was listening, and again with %d connections open, each having "
            "echoed one message, each read once it has not changed for 300 ms; the difference "
            "divided by the connections open.\n\n",
            idle_count);
    fprintf(md, "| server | build | cores | idle connections | resident before | resident "
                "after | bytes per connection | open |\n");
    fprintf(md, "|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < s->server_n; i++) {
        const struct figures *f = &agg[i][IDLE][0];
        if (s->specs[i].left_out[0] != '\0' || !f->measured)
            continue;
        fprintf(md, "| %s | %s | %d | %d | %ld KiB | %ld KiB | %.0f | %d of %d |\n",
                s->specs[i].name, s->build, s->cores, idle_count, f->rss_before_kib,
                f->rss_after_kib, f->value, f->served, f->of);
    }
#else
    fprintf(md, "\nMemory per idle connection: not measured on this system (it reads the "
                "server's resident memory from Linux's /proc).\n");
    (void)idle_count;
#endif
}

/* ---- The summary in the terminal ------------------------------------------------------ */

/* results.md is for the docs page: every figure of a measurement in one wide row. The
 * terminal gets one narrow table per measurement instead, its columns padded so that the
 * digits line up, and under each table, in words, what every shortfall means. */

/** How wide the summary may be, in columns of the terminal. */
#define SUMMARY_WIDTH 100
#define TABLE_COLUMNS 8
#define TABLE_ROWS    (MAX_SERVERS * MAX_COUNTS)
#define CELL_SIZE     32

/** A table for the terminal; row 0 holds the headings. */
struct table {
    int columns, rows;
    int filled; /**< cells put in the last row so far */
    char cells[TABLE_ROWS + 1][TABLE_COLUMNS][CELL_SIZE];
};

/** Starts a new row of @p t; table_put() fills it from the left. */
static void table_new_row(struct table *t)
{
    if (t->rows <= TABLE_ROWS)
        t->rows++;
    t->filled = 0;
}

/** Puts @p text in the next cell of the last row. */
static void table_put(struct table *t, const char *text)
{
    if (t->rows > 0 && t->filled < t->columns)
        snprintf(t->cells[t->rows - 1][t->filled++], CELL_SIZE, "%s", text);
}

/** Starts @p t with its headings: as many columns as there are headings before a NULL. */
static void table_start(struct table *t, const char *const *headings)
{
    t->rows = 0;
    t->columns = 0;
    while (t->columns < TABLE_COLUMNS && headings[t->columns] != NULL)
        t->columns++;
    table_new_row(t);
    for (int c = 0; c < t->columns; c++)
        table_put(t, headings[c]);
}

/** The columns @p text takes in a terminal: its UTF-8 characters, not its bytes. printf()
 *  pads to a number of bytes, and "µs" is three bytes in two columns. */
static int display_width(const char *text)
{
    int width = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        width += (*p & 0xC0) != 0x80; /* a continuation byte starts no character */
    return width;
}

static void print_repeated(char c, int times)
{
    for (int i = 0; i < times; i++)
        putchar(c);
}

/** The rule under the headings: a dash under every column of a heading's width. */
static void print_rule(const int *width, int columns)
{
    for (int c = 0; c < columns; c++) {
        print_repeated(' ', c == 0 ? 0 : 2);
        print_repeated('-', width[c]);
    }
    putchar('\n');
}

/** Prints @p t, each column as wide as its widest cell, two spaces apart, a rule under the
 *  headings: the names (the first column) aligned left, the figures right, so that their
 *  digits line up. */
static void table_print(const struct table *t)
{
    int width[TABLE_COLUMNS] = {0};
    for (int r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->columns; c++) {
            int w = display_width(t->cells[r][c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    for (int r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->columns; c++) {
            int pad = width[c] - display_width(t->cells[r][c]);
            print_repeated(' ', c == 0 ? 0 : 2 + pad);
            fputs(t->cells[r][c], stdout);
            print_repeated(' ', c == 0 ? pad : 0);
        }
        putchar('\n');
        if (r == 0)
            print_rule(width, t->columns);
    }
}

/** Prints @p text wrapped at spaces to SUMMARY_WIDTH columns, its first line indented by
 *  @p first, the others by @p rest. */
static void print_wrapped(const char *text, int first, int rest)
{
    for (int indent = first; *text != '\0'; indent = rest) {
        int room = SUMMARY_WIDTH - indent;
        int cut = (int)strlen(text);
        if (cut > room) {
            cut = room;
            while (cut > 0 && text[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = room; /* one word longer than the line: cut it */
        }
        printf("%*s%.*s\n", indent, "", cut, text);
        text += cut;
        while (*text == ' ')
            text++;
    }
}

/** Appends to the text in @p buf, as far as it fits. */
static void append(char *buf, size_t size, const char *format, ...) REPORT_PRINTF_FORMAT(3, 4);
static void append(char *buf, size_t size, const char *format, ...)
{
    size_t used = strlen(buf);
    va_list args;
    va_start(args, format);
    vsnprintf(buf + used, size - used, format, args);
    va_end(args);
}

/** "1,234,567.8": @p value with @p decimals, its thousands grouped for reading at a
 *  glance. */
static const char *format_grouped(double value, int decimals, char *buf, size_t size)
{
    char plain[64];
    snprintf(plain, sizeof plain, "%.*f", decimals, value);
    size_t sign = plain[0] == '-', digits = strcspn(plain, "."), n = 0;
    for (size_t i = 0; plain[i] != '\0' && n + 2 < size; i++) {
        if (i > sign && i < digits && (digits - i) % 3 == 0)
            buf[n++] = ',';
        buf[n++] = plain[i];
    }
    buf[n] = '\0';
    return buf;
}

/** "512 B", "12.4 KiB", "122.7 MiB": a size in the unit that keeps it short. */
static const char *format_bytes(double bytes, char *buf, size_t size)
{
    double magnitude = bytes < 0 ? -bytes : bytes;
    if (magnitude < 1024)
        snprintf(buf, size, "%.0f B", bytes);
    else if (magnitude < 1024 * 1024)
        snprintf(buf, size, "%.1f KiB", bytes / 1024);
    else
        snprintf(buf, size, "%.1f MiB", bytes / (1024 * 1024));
    return buf;
}

/** "125,664 KiB": resident memory as /proc gives it, in KiB, so that the few KiB an idle
 *  connection may cost at a small count still show. */
static const char *format_kib(long kib, char *buf, size_t size)
{
    format_grouped((double)kib, 0, buf, size);
    append(buf, size, " KiB");
    return buf;
}

/** How many counts @p test was measured at: connections, or in flight for connect/echo/close;
 *  one for the idle memory. */
static int counts_of(const struct suite *s, enum test test)
{
    return test == CHURN ? s->churn_n : test == IDLE ? 1 : s->count_n;
}

/** The @p k-th count @p test was measured at. */
static int count_of(const struct suite *s, enum test test, int k)
{
    return test == CHURN ? s->churn[k] : test == IDLE ? s->counts[idle_index(s)] : s->counts[k];
}

/** The headings of each measurement's table. Units are in the headings, or in the values
 *  (latencies and memory, which change unit with their size). */
static const char *const summary_headings[TEST_COUNT][TABLE_COLUMNS + 1] = {
    [PING_PONG] = {"server", "connections", "round trips/s", "p50", "p99", "longest", "served",
                   "cores used"},
    [STREAM] = {"server", "connections", "MiB/s", "served", "cores used"},
    [CHURN] = {"server", "in flight", "connections/s", "p50", "p99", "longest", "failed",
               "cores used"},
    [IDLE] = {"server", "connections", "resident before", "resident after", "per connection",
              "open"},
};

/** What the count of each measurement's rows is, and what its served figure counts. */
static const char *const count_words[TEST_COUNT] = {"connections", "connections", "in flight",
                                                    "idle connections"};
static const char *const served_words[TEST_COUNT] = {"served", "served", "completed", "open"};

/** The line above @p test's table: what was measured, and what its latencies are. */
static void print_summary_title(enum test test)
{
    char title[400];
    switch (test) {
    case PING_PONG:
        snprintf(title, sizeof title,
                 "Ping-pong: one %d-byte message in flight per connection; p50, p99, longest: "
                 "a round trip.",
                 MESSAGE_SIZE);
        break;
    case STREAM:
        snprintf(title, sizeof title,
                 "Stream: each connection sends %d KiB chunks as fast as the server takes them.",
                 STREAM_CHUNK / 1024);
        break;
    case CHURN:
        snprintf(title, sizeof title,
                 "Connect, echo (%d bytes), close; p50, p99, longest: a connection's whole life.",
                 MESSAGE_SIZE);
        break;
    default:
        snprintf(title, sizeof title,
                 "Memory per idle connection: the server's resident memory (VmRSS: its own, not "
                 "the kernel's for each socket) before any connection and with all open and "
                 "silent; the difference per open connection.");
        break;
    }
    print_wrapped(title, 0, 0);
}

/** Puts a measurement's p50, p99 and longest latency in the table. */
static void put_latencies(struct table *t, const struct figures *f)
{
    char buf[CELL_SIZE];
    table_put(t, format_us(f->p50_us, buf, sizeof buf));
    table_put(t, format_us(f->p99_us, buf, sizeof buf));
    table_put(t, format_us(f->max_us, buf, sizeof buf));
}

/** Adds the row of @p server's figures @p f at @p count to @p test's table. */
static void add_summary_row(struct table *t, enum test test, const char *server, int count,
                            const struct figures *f)
{
    char buf[CELL_SIZE];
    table_new_row(t);
    table_put(t, server);
    table_put(t, format_grouped(count, 0, buf, sizeof buf));
    if (f->no_server) {
        while (t->filled < t->columns) /* no figures: the note under the table says why */
            table_put(t, "-");
        return;
    }
    switch (test) {
    case PING_PONG:
        table_put(t, format_grouped(f->value, 0, buf, sizeof buf));
        put_latencies(t, f);
        table_put(t, format_grouped(f->served, 0, buf, sizeof buf));
        break;
    case STREAM:
        table_put(t, format_grouped(f->value, 1, buf, sizeof buf));
        table_put(t, format_grouped(f->served, 0, buf, sizeof buf));
        break;
    case CHURN:
        table_put(t, format_grouped(f->value, 0, buf, sizeof buf));
        put_latencies(t, f);
        table_put(t, format_grouped(f->failed, 0, buf, sizeof buf));
        break;
    default:
        table_put(t, format_kib(f->rss_before_kib, buf, sizeof buf));
        table_put(t, format_kib(f->rss_after_kib, buf, sizeof buf));
        table_put(t, format_bytes(f->value, buf, sizeof buf));
        table_put(t, format_grouped(f->served, 0, buf, sizeof buf));
        return;
    }
    table_put(t, format_cores(f, buf, sizeof buf));
}

/** What the connections a measurement did not count as served did, in its worst round
 *  @p worst, exactly as measure_echo() and measure_churn() count them. In ping-pong and
 *  stream each connection fails at most once and stays failed, so the rest of the shortfall
 *  is the connections still open that the server never answered in the window. */
static void append_shortfall(char *text, size_t size, enum test test, const struct figures *worst)
{
    char missing[24], failed[24], silent[24];
    int open = worst->of - worst->served - worst->failed;
    format_grouped(worst->of - worst->served, 0, missing, sizeof missing);
    format_grouped(worst->failed, 0, failed, sizeof failed);
    format_grouped(open, 0, silent, sizeof silent);
    const char *unanswered = test == STREAM ? "had not one byte echoed in the window"
                                            : "had no round trip answered in the window";
    switch (test) {
    case PING_PONG:
    case STREAM:
        if (open == 0)
            append(text, size, " The other %s failed (opening, or in the window).", missing);
        else if (worst->failed == 0)
            append(text, size, " The other %s stayed open, but %s.", missing, unanswered);
        else
            append(text, size,
                   " Of the other %s, %s failed (opening, or in the window) and %s stayed open, "
                   "but %s.",
                   missing, failed, silent, unanswered);
        break;
    case CHURN:
        append(text, size,
               " The other %s failed: an error (a connect refused, a reset), a close before the "
               "echo, a changed byte, or not done within %d s.",
               missing, CHURN_TIMEOUT_MS / 1000);
        break;
    default:
        append(text, size,
               " The other %s never opened: a connect refused or timed out %d times, an error "
               "or a close, no first echo within %d s, or not open %d s after the first began.",
               missing, CONNECT_ATTEMPTS, CONNECT_TIMEOUT_MS / 1000, OPEN_DEADLINE_MS / 1000);
        break;
    }
}

/** What a measurement's figures count when some connections were not served: printed once
 *  under its table, if any row fell short. */
static const char *const shortfall_meanings[TEST_COUNT] = {
    [PING_PONG] = "Round trips/s counts every round trip answered in the window, on any "
                  "connection; a message still unanswered at its end counts in the latencies "
                  "with its age.",
    [STREAM] = "MiB/s counts every byte echoed in the window, on any connection.",
    [CHURN] = "Connections/s counts the completed connections; the latencies count the failed "
              "ones too, until they failed, and those still under way when the window ended "
              "(neither completed nor failed), with their time so far.",
    [IDLE] = "The memory per connection divides the growth by the connections open.",
};

/** Prints, under @p test's table, what went short or wrong in one row, if anything did:
 *  connections not served in the worst of its @p rounds, failures, connects tried again.
 *  @return true if connections were not served. */
static bool print_row_note(const struct suite *s, enum test test, const char *server, int count,
                           const struct figures *f, const struct figures *rounds)
{
    char text[1024], a[24], b[24];
    snprintf(text, sizeof text, "%s, %s %s:", server, format_grouped(count, 0, a, sizeof a),
             count_words[test]);
    size_t bare = strlen(text);
    if (f->no_server) {
        append(text, sizeof text, " not measured: %s.", f->first_failure);
        print_wrapped(text, 2, 4);
        return false;
    }
    int worst = worst_round(rounds, s->repeats);
    bool short_of = worst >= 0 && rounds[worst].served < rounds[worst].of;
    if (short_of) {
        append(text, sizeof text, " %s %s of %s", served_words[test],
               format_grouped(f->served, 0, a, sizeof a), format_grouped(f->of, 0, b, sizeof b));
        if (test == CHURN)
            append(text, sizeof text, " that ended in the window");
        if (s->repeats > 1)
            append(text, sizeof text, " (round %d of %d, the worst)", worst + 1, s->repeats);
        append(text, sizeof text, ".");
        append_shortfall(text, sizeof text, test, &rounds[worst]);
    }
    if (f->failed > 0 && s->repeats > 1)
        append(text, sizeof text, " %s failure%s over all rounds; the first: %s.",
               format_grouped(f->failed, 0, a, sizeof a), f->failed == 1 ? "" : "s",
               f->first_failure);
    else if (f->failed > 0)
        append(text, sizeof text, " The first failure: %s.", f->first_failure);
    if (f->retries > 0)
        append(text, sizeof text,
               " %s connect%s refused or timed out, and tried again%s (at most %d attempts "
               "each).",
               format_grouped(f->retries, 0, a, sizeof a), f->retries == 1 ? " was" : "s were",
               s->repeats > 1 ? " over all rounds" : "", CONNECT_ATTEMPTS);
    if (strlen(text) > bare)
        print_wrapped(text, 2, 4);
    return short_of;
}

/** Prints @p test's table, a row per server and count (the servers side by side at each
 *  count, as the eye compares them), and the notes under it. */
static void print_summary_table(const struct suite *s,
                                struct figures agg[MAX_SERVERS][TEST_COUNT][MAX_COUNTS],
                                enum test test)
{
    static struct table table; /* some 16 KiB: not on the stack */
    struct {
        int server, k;
    } rows[TABLE_ROWS];
    int n = 0;
    for (int k = 0; k < counts_of(s, test); k++) {
        for (int i = 0; i < s->server_n; i++) {
            if (s->specs[i].left_out[0] == '\0' && agg[i][test][k].measured) {
                rows[n].server = i;
                rows[n++].k = k;
            }
        }
    }
    printf("\n");
    print_summary_title(test);
    if (n == 0) {
        printf("  not measured%s\n",
               test == IDLE ? " (it reads the server's resident memory from Linux's /proc)" : "");
        return;
    }
    table_start(&table, summary_headings[test]);
    for (int r = 0; r < n; r++) {
        int i = rows[r].server, k = rows[r].k;
        add_summary_row(&table, test, s->specs[i].name, count_of(s, test, k), &agg[i][test][k]);
    }
    table_print(&table);
    bool short_of = false;
    for (int r = 0; r < n; r++) {
        int i = rows[r].server, k = rows[r].k;
        short_of |= print_row_note(s, test, s->specs[i].name, count_of(s, test, k),
                                   &agg[i][test][k], results[i][test][k]);
    }
    if (short_of)
        print_wrapped(shortfall_meanings[test], 2, 2);
}

/** The end of a suite's run in the terminal: how the figures were made, then a table per
 *  measurement. */
static void print_summary(const struct suite *s,
                          struct figures agg[MAX_SERVERS][TEST_COUNT][MAX_COUNTS])
{
    char text[1024];
    snprintf(text, sizeof text,
             "Summary: %s build, %d core%s; each figure the median of %d round%s of %.1f s",
             s->build, s->cores, s->cores == 1 ? "" : "s", s->repeats, s->repeats == 1 ? "" : "s",
             s->seconds);
    if (s->repeats > 1)
        append(text, sizeof text, " (but served: the worst round; failures: all rounds)");
    append(text, sizeof text,
           ". cores used: the processor time of the load client + the server, per second of the "
           "window (1.00: one core kept busy). All the figures: %s/results.md.",
           s->dir);
    printf("\n");
    print_wrapped(text, 0, 0);
    for (int i = 0; i < s->server_n; i++) {
        if (s->specs[i].left_out[0] != '\0') {
            snprintf(text, sizeof text, "Left out: %s: %s.", s->specs[i].name,
                     s->specs[i].left_out);
            print_wrapped(text, 0, 2);
        }
    }
    if (s->notes[0] != '\0')
        print_wrapped(s->notes, 0, 0);
    for (enum test t = PING_PONG; t < TEST_COUNT; t++)
        print_summary_table(s, agg, t);
}

static FILE *open_output(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "echo_bench: cannot write %s\n", path);
        exit(1);
    }
#ifdef _WIN32
    /* The servers, started with inheritable handles passed on, must not hold it open. */
    SetHandleInformation((HANDLE)_get_osfhandle(_fileno(f)), HANDLE_FLAG_INHERIT, 0);
#endif
    return f;
}

static int run_suite(struct suite *s)
{
    static struct figures agg[MAX_SERVERS][TEST_COUNT][MAX_COUNTS];
    printf("machine: %s, %d core%s; build: %s; %d round%s of %.1f s per figure; open-files "
           "limit: %s\n",
           s->model, s->cores, s->cores == 1 ? "" : "s", s->build, s->repeats,
           s->repeats == 1 ? "" : "s", s->seconds, s->limit_note);
    if (s->notes[0] != '\0')
        printf("%s\n", s->notes);
#ifndef __linux__
    printf("memory per idle connection: not measured here (it needs Linux's /proc)\n");
#endif

    /* A server that cannot start here (a step that needs what this system lacks) is left
     * out, with a line that says so. */
    int measured = 0;
    for (int i = 0; i < s->server_n; i++) {
        struct server_spec *spec = &s->specs[i];
        struct running server;
        if (spec->left_out[0] == '\0' &&
            start_server(spec, &server, spec->left_out, sizeof spec->left_out))
            stop_server(&server);
        if (spec->left_out[0] != '\0')
            printf("%s: left out: %s\n", spec->name, spec->left_out);
        else
            measured++;
    }
    if (measured == 0) {
        fprintf(stderr, "echo_bench: no server to measure\n");
        return 1;
    }

    FILE *rounds = open_output(s->dir, "rounds.csv");
    fprintf(rounds, "round,%s", csv_header);

    /* Side by side: each round measures every server, one after the other, so that whatever
     * else the machine does weighs on all of them alike. */
    for (int r = 0; r < s->repeats; r++) {
        for (int k = 0; k < s->count_n; k++) {
            for (int i = 0; i < s->server_n; i++) {
                const struct server_spec *spec = &s->specs[i];
                if (spec->left_out[0] != '\0' || spec->churn_only)
                    continue;
                struct figures *idle = NULL;
#ifdef __linux__
                if (k == idle_index(s))
                    idle = &results[i][IDLE][0][r];
#endif
                for (enum test t = PING_PONG; t <= STREAM; t++) {
                    struct figures *f = &results[i][t][k][r];
                    measure_server(spec, t, s->counts[k], s->seconds, f,
                                   t == PING_PONG ? idle : NULL);
                    print_round_line(r + 1, spec->name, t, s->counts[k], f);
                    fprintf(rounds, "%d,", r + 1);
                    write_csv_row(rounds, s->build, s->cores, spec->name, t, s->counts[k], f);
                }
                if (idle != NULL) {
                    print_round_line(r + 1, spec->name, IDLE, s->counts[k], idle);
                    fprintf(rounds, "%d,", r + 1);
                    write_csv_row(rounds, s->build, s->cores, spec->name, IDLE, s->counts[k], idle);
                }
            }
        }
        for (int k = 0; k < s->churn_n; k++) {
            for (int i = 0; i < s->server_n; i++) {
                const struct server_spec *spec = &s->specs[i];
                if (spec->left_out[0] != '\0')
                    continue;
                struct figures *f = &results[i][CHURN][k][r];
                measure_server(spec, CHURN, s->churn[k], s->seconds, f, NULL);
                print_round_line(r + 1, spec->name, CHURN, s->churn[k], f);
                fprintf(rounds, "%d,", r + 1);
                write_csv_row(rounds, s->build, s->cores, spec->name, CHURN, s->churn[k], f);
            }
        }
        fflush(rounds);
    }
    fclose(rounds);

    FILE *csv = open_output(s->dir, "results.csv");
    fputs(csv_header, csv);
    for (int i = 0; i < s->server_n; i++) {
        const struct server_spec *spec = &s->specs[i];
        if (spec->left_out[0] != '\0')
            continue;
        for (enum test t = PING_PONG; t < TEST_COUNT; t++) {
            for (int k = 0; k < counts_of(s, t); k++) {
                agg[i][t][k] = combine(results[i][t][k], s->repeats);
                if (!agg[i][t][k].measured)
                    continue;
                write_csv_row(csv, s->build, s->cores, spec->name, t, count_of(s, t, k),
                              &agg[i][t][k]);
            }
        }
    }
    fclose(csv);

    FILE *md = open_output(s->dir, "results.md");
    write_markdown(md, s, agg);
    fclose(md);
    print_summary(s, agg);
    return 0;
}

/* ---- The command line ----------------------------------------------------------------- */

/** Parses "1,64,512" into @p counts; returns how many. */
static int parse_counts(const char *text, int *counts, int max)
{
    int n = 0;
    while (*text != '\0' && n < max) {
        counts[n] = atoi(text);
        if (counts[n] > 0)
            n++;
        const char *comma = strchr(text, ',');
        if (comma == NULL)
            break;
        text = comma + 1;
    }
    return n;
}

/** True for the build types whose programs are optimized. */
static bool is_optimized_build(const char *type)
{
    return strcmp(type, "Release") == 0 || strcmp(type, "RelWithDebInfo") == 0 ||
           strcmp(type, "MinSizeRel") == 0;
}

static int usage(const char *program)
{
    fprintf(stderr,
            "usage: %s [--host HOST] --port PORT [--connections N,...] [--seconds S] "
            "[--churn K,...]\n"
            "       %s --suite DIR --build TYPE [--seconds S] [--repeat R] "
            "[--connections N,...] [--churn K,...] [--absent NAME=WHY]... "
            "[--churn-only NAME]... NAME=PROGRAM[,ARG...]...\n",
            program, program);
    return 2;
}

int main(int argc, char **argv)
{
    static struct suite s;
    const char *host = "127.0.0.1", *port = NULL;
    const char *absent[MAX_SERVERS], *churn_only[MAX_SERVERS];
    int absent_n = 0, churn_only_n = 0;
    int first_server = argc;
    s.counts[0] = 64;
    s.count_n = 1;
    s.churn[0] = 1;
    s.churn[1] = 64;
    s.churn_n = 2;
    s.seconds = 2.0;
    s.repeats = 1;

    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(argv[i], "--host") == 0)
            host = value, i++;
        else if (strcmp(argv[i], "--port") == 0)
            port = value, i++;
        else if (strcmp(argv[i], "--connections") == 0)
            s.count_n = parse_counts(value, s.counts, MAX_COUNTS), i++;
        else if (strcmp(argv[i], "--churn") == 0)
            s.churn_n = parse_counts(value, s.churn, MAX_COUNTS), i++;
        else if (strcmp(argv[i], "--seconds") == 0)
            s.seconds = atof(value), i++;
        else if (strcmp(argv[i], "--suite") == 0)
            s.dir = value, i++;
        else if (strcmp(argv[i], "--build") == 0)
            s.build = value, i++;
        else if (strcmp(argv[i], "--repeat") == 0)
            s.repeats = atoi(value), i++;
        else if (strcmp(argv[i], "--absent") == 0 && absent_n < MAX_SERVERS)
            absent[absent_n++] = value, i++;
        else if (strcmp(argv[i], "--churn-only") == 0 && churn_only_n < MAX_SERVERS)
            churn_only[churn_only_n++] = value, i++;
        else if (argv[i][0] != '-') {
            first_server = i;
            break;
        } else {
            return usage(argv[0]);
        }
    }
    int server_n = argc - first_server + absent_n;
    if (s.seconds <= 0 || s.count_n < 1 || (s.dir == NULL && port == NULL) ||
        (s.dir != NULL && (server_n == 0 || s.build == NULL)))
        return usage(argv[0]);
    if (s.dir != NULL && (server_n > MAX_SERVERS || s.repeats < 1 || s.repeats > MAX_REPEATS)) {
        fprintf(stderr, "echo_bench: at most %d servers and %d repeats\n", MAX_SERVERS,
                MAX_REPEATS);
        return 2;
    }
    if (s.dir != NULL && !is_optimized_build(s.build)) {
        /* The reference, libuv, is an optimized library: a Debug build of the servers beside
         * it would measure the compiler's settings, not the server models. */
        fprintf(stderr,
                "echo_bench: the programs were built as \"%s\"; the benchmark compares "
                "optimized builds only (Release). Run: cmake --workflow --preset benchmark\n",
                s.build);
        return 2;
    }
#ifdef _WIN32
    /* A console for the servers it starts to share: GenerateConsoleCtrlEvent(), with which
     * child_interrupt() stops them, reaches only processes attached to the caller's console. */
    AllocConsole();
#endif
    if (net_ignore_sigpipe() != 0) { /* a server that closes first must not end the client */
        perror("signal");
        return 1;
    }
    if (net_startup() != 0)
        return 1;
    make_pattern();
    s.cores = describe_machine(s.model, sizeof s.model);
    unsigned long limit = raise_open_files_limit(s.limit_note, sizeof s.limit_note);
    fit_counts(s.counts, s.count_n, limit, s.notes, sizeof s.notes);

    int status = 0;
    if (s.dir != NULL) {
        for (int i = 0; i < absent_n; i++) {
            const char *equals = strchr(absent[i], '=');
            struct server_spec *spec = &s.specs[s.server_n++];
            memset(spec, 0, sizeof *spec);
            snprintf(spec->name, sizeof spec->name, "%.*s",
                     (int)(equals ? equals - absent[i] : (long)strlen(absent[i])), absent[i]);
            snprintf(spec->left_out, sizeof spec->left_out, "%s",
                     equals ? equals + 1 : "not built on this system");
        }
        for (int i = first_server; i < argc; i++)
            parse_server(argv[i], &s.specs[s.server_n++]);
        for (int i = 0; i < s.server_n; i++) {
            for (int k = 0; k < churn_only_n; k++)
                s.specs[i].churn_only |= strcmp(s.specs[i].name, churn_only[k]) == 0;
        }
        status = run_suite(&s);
    } else {
        struct addrinfo *address = resolve(host, port);
        printf("machine: %s, %d cores; open-files limit: %s\n", s.model, s.cores, s.limit_note);
        if (s.notes[0] != '\0')
            printf("%s\n", s.notes);
        for (int k = 0; k < s.count_n; k++) {
            struct figures f;
            measure_echo(address, s.counts[k], s.seconds, PING_PONG, &f, NULL, 0, NULL);
            print_round_line(1, port, PING_PONG, s.counts[k], &f);
            measure_echo(address, s.counts[k], s.seconds, STREAM, &f, NULL, 0, NULL);
            print_round_line(1, port, STREAM, s.counts[k], &f);
        }
        for (int k = 0; k < s.churn_n; k++) {
            struct figures f;
            measure_churn(address, s.churn[k], s.seconds, &f, NULL);
            print_round_line(1, port, CHURN, s.churn[k], &f);
        }
        freeaddrinfo(address);
    }
    net_cleanup();
    return status;
}
