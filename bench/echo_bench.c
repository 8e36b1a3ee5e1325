/**
 * @file echo_bench.c
 * @brief A load client for echo servers: opens N connections and measures round trips per
 *        second, latency percentiles and stream throughput, checking every byte it gets back.
 *
 * Two measurements, each over one window of time with every connection open:
 * - round trips: each connection sends a small message, waits for all of it to come back,
 *   and sends the next (one message in flight per connection). Reported: round trips per
 *   second over all connections, the 50th and 99th percentiles of their latency, and the
 *   longest wait. A message still unanswered at the end counts with its age so far, so a
 *   connection that a server never serves shows up as a wait as long as the measurement.
 * - stream: each connection sends as fast as the server takes its data, reading the echo at
 *   the same time. Reported: bytes echoed back per second, in MiB/s.
 * Both report how many connections were served at all, and how many failed (an error, a
 * close, a changed byte). Every byte a connection sends comes from a pseudo-random pattern,
 * starting at an offset of its own, and is checked when it comes back.
 *
 * Usage:
 *   echo_bench [--host HOST] --port PORT [--connections N] [--seconds S]
 *       measures a server that is already running, and prints the figures.
 *   echo_bench --suite DIR [--seconds S] [--repeat R] [--connections N,N,...]
 *              NAME=PROGRAM[,ARG...]...
 *       for each connection count and each program, starts the server on port 0 (through
 *       the tests' harness), measures it, stops it; R rounds of that, the median kept;
 *       writes DIR/results.csv and DIR/results.md, and every round's figures to
 *       DIR/rounds.csv.
 *
 * A tool that prints figures, not a test: nothing here passes or fails on a number.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#    include <signal.h>
#    include <time.h>
#endif

/** The message of the round-trip measurement, in bytes. */
#define MESSAGE_SIZE 64
/** What one send() of the stream measurement offers, in bytes. */
#define STREAM_CHUNK 65536
/** The length of the pattern the bytes come from: a prime, so that connections starting at
 *  different offsets never line up with each other, nor with the chunks. */
#define PATTERN_LEN 65537

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

/** One connection of the load. */
struct connection {
    SOCKET s;
    bool failed;
    size_t send_at, check_at;          /**< where in the pattern the next byte sent, and the
                                            next byte expected back, come from */
    size_t unsent;                     /**< bytes of the message (or stream chunk) to send */
    unsigned long long sent, received; /**< bytes */
    long long message_start_us;        /**< round trips: when the message in flight left */
    unsigned long long round_trips;
};

/** The figures of one measurement. */
struct figures {
    double round_trips_per_s;
    double p50_us, p99_us, max_us;
    double mib_per_s;
    int served; /**< connections that completed a round trip, or got stream bytes back */
    int failed;
};

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
        if (l->values == NULL) {
            fprintf(stderr, "echo_bench: out of memory\n");
            exit(1);
        }
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

/** Connects @p count blocking sockets, then makes them non-blocking. */
static struct connection *open_connections(const char *host, const char *port, int count)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        fprintf(stderr, "echo_bench: cannot resolve %s port %s\n", host, port);
        exit(1);
    }
    struct connection *conns = calloc((size_t)count, sizeof *conns);
    if (conns == NULL) {
        fprintf(stderr, "echo_bench: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < count; i++) {
        struct connection *c = &conns[i];
        c->send_at = c->check_at = (size_t)i * 40503u % PATTERN_LEN;
        c->s = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
        if (c->s == INVALID_SOCKET ||
            connect(c->s, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR) {
            report_socket_error("connect");
            exit(1);
        }
        /* Small messages must leave at once, not wait for more (Nagle's algorithm). */
        int on = 1;
        setsockopt(c->s, IPPROTO_TCP, TCP_NODELAY, (const char *)&on, (int)sizeof on);
        net_set_nonblocking(c->s);
    }
    freeaddrinfo(res);
    return conns;
}

static void close_connections(struct connection *conns, int count)
{
    for (int i = 0; i < count; i++) {
        if (conns[i].s != INVALID_SOCKET)
            closesocket(conns[i].s);
    }
    free(conns);
}

static void fail(struct connection *c)
{
    c->failed = true;
    closesocket(c->s);
    c->s = INVALID_SOCKET;
}

/** Sends what the socket takes of the message in flight or, for the stream, of one more
 *  chunk: every connection moves on a little in every turn. */
static void send_some(struct connection *c, bool stream)
{
    if (stream && c->unsent == 0)
        c->unsent = STREAM_CHUNK;
    while (c->unsent > 0) {
        int n = send(c->s, (const char *)pattern + c->send_at, (int)c->unsent, MSG_NOSIGNAL);
        if (n == SOCKET_ERROR) {
            if (!net_would_block(net_last_error()))
                fail(c);
            return;
        }
        c->send_at = (c->send_at + (size_t)n) % PATTERN_LEN;
        c->unsent -= (size_t)n;
        c->sent += (unsigned long long)n;
    }
}

/** Starts the next message of the round-trip measurement. */
static void start_message(struct connection *c)
{
    c->unsent = MESSAGE_SIZE;
    c->message_start_us = now_us();
    send_some(c, false);
}

/** Receives and checks what has arrived; completes round trips. */
static void receive_some(struct connection *c, bool stream, struct latencies *latencies)
{
    unsigned char buf[65536];
    for (int turn = 0; turn < 4; turn++) {
        int n = recv(c->s, (char *)buf, (int)sizeof buf, 0);
        if (n == SOCKET_ERROR) {
            if (!net_would_block(net_last_error()))
                fail(c);
            return;
        }
        if (n == 0) {
            fail(c); /* the server closed a connection it should have kept */
            return;
        }
        if (memcmp(buf, pattern + c->check_at, (size_t)n) != 0) {
            fail(c); /* a changed byte */
            return;
        }
        c->check_at = (c->check_at + (size_t)n) % PATTERN_LEN;
        c->received += (unsigned long long)n;
        if (!stream && c->received == c->sent && c->unsent == 0) {
            /* The whole message is back: one round trip. */
            long long now = now_us();
            add_latency(latencies, now - c->message_start_us);
            c->round_trips++;
            start_message(c);
            return;
        }
    }
}

/** Runs one measurement of @p seconds over @p count connections to host:port. */
static struct figures measure(const char *host, const char *port, int count, double seconds,
                              bool stream)
{
    struct figures f;
    struct latencies latencies = {NULL, 0, 0};
    memset(&f, 0, sizeof f);
    struct connection *conns = open_connections(host, port, count);
    struct pollfd *fds = calloc((size_t)count, sizeof *fds);
    int *which = calloc((size_t)count, sizeof *which);
    if (fds == NULL || which == NULL) {
        fprintf(stderr, "echo_bench: out of memory\n");
        exit(1);
    }
    long long start = now_us();
    long long end = start + (long long)(seconds * 1e6);
    for (int i = 0; i < count; i++) {
        if (stream)
            send_some(&conns[i], true);
        else
            start_message(&conns[i]);
    }
    for (long long now = now_us(); now < end; now = now_us()) {
        size_t n = 0;
        for (int i = 0; i < count; i++) {
            struct connection *c = &conns[i];
            if (c->failed)
                continue;
            fds[n].fd = c->s;
            fds[n].events = (short)(POLLIN | (c->unsent > 0 || stream ? POLLOUT : 0));
            fds[n].revents = 0;
            which[n++] = i;
        }
        if (n == 0)
            break;
        long long left_ms = (end - now) / 1000;
        int ready = net_poll(fds, n, left_ms > 50 ? 50 : (int)left_ms + 1);
        if (ready == SOCKET_ERROR) {
            report_socket_error("net_poll");
            exit(1);
        }
        for (size_t k = 0; k < n; k++) {
            struct connection *c = &conns[which[k]];
            if (fds[k].revents & (POLLOUT | POLLERR | POLLHUP))
                send_some(c, stream);
            if (!c->failed && (fds[k].revents & (POLLIN | POLLERR | POLLHUP)))
                receive_some(c, stream, &latencies);
        }
    }
    double elapsed = (double)(now_us() - start) / 1e6;
    long long now = now_us();
    unsigned long long round_trips = 0, echoed = 0;
    for (int i = 0; i < count; i++) {
        struct connection *c = &conns[i];
        round_trips += c->round_trips;
        echoed += c->received;
        f.failed += c->failed;
        f.served += stream ? c->received > 0 : c->round_trips > 0;
        /* A message still out counts with its age: a connection never served must not
         * vanish from the latencies. */
        if (!stream && !c->failed)
            add_latency(&latencies, now - c->message_start_us);
    }
    qsort(latencies.values, latencies.count, sizeof *latencies.values, compare_long_long);
    f.round_trips_per_s = (double)round_trips / elapsed;
    f.p50_us = percentile(&latencies, 0.50);
    f.p99_us = percentile(&latencies, 0.99);
    f.max_us = percentile(&latencies, 1.0);
    f.mib_per_s = (double)echoed / elapsed / (1024.0 * 1024.0);
    free(latencies.values);
    free(fds);
    free(which);
    close_connections(conns, count);
    return f;
}

/** Parses "1,64,512" into @p counts; returns how many. */
static int parse_counts(const char *text, int *counts, int max)
{
    int n = 0;
    while (*text != '\0' && n < max) {
        counts[n++] = atoi(text);
        const char *comma = strchr(text, ',');
        if (comma == NULL)
            break;
        text = comma + 1;
    }
    return n;
}

/** A description of this machine for the results: processor model and count. */
static void describe_machine(char *buf, size_t size)
{
    char model[128] = "unknown processor";
    int cores = 0;
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
                snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        }
        fclose(f);
    }
#endif
    snprintf(buf, size, "%s, %d core%s", model, cores, cores == 1 ? "" : "s");
}

/** One server of the suite: a name, a program and its extra arguments. */
struct server_spec {
    char name[64];
    char program[1024];
    const char *args[8];
    char storage[256];
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

static void print_figures(FILE *out, const char *name, int connections, const struct figures *rtt,
                          const struct figures *stream)
{
    fprintf(out, "%s,%d,%.0f,%.0f,%.0f,%.0f,%.1f,%d,%d,%d\n", name, connections,
            rtt->round_trips_per_s, rtt->p50_us, rtt->p99_us, rtt->max_us, stream->mib_per_s,
            rtt->served, stream->served, rtt->failed + stream->failed);
}

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

#define MAX_SERVERS 8
#define MAX_COUNTS  8
#define MAX_REPEATS 9

/** Starts one server of the suite, measures it once, and stops it. */
static struct figures measure_server(const struct server_spec *spec, int connections,
                                     double seconds, bool stream)
{
    /* A fresh server for each measurement: nothing left over from the last one (08 would
     * still be serving the one client it picked). */
    struct server server = server_start(spec->program, "listening on ", spec->args[0],
                                        spec->args[1], spec->args[2], spec->args[3], NULL);
    struct figures f = measure(server.host, server.port, connections, seconds, stream);
    child_free(server.process);
    return f;
}

static int run_suite(const char *dir, double seconds, int repeats, const int *counts, int count_n,
                     char **servers, int server_n)
{
    static struct server_spec specs[MAX_SERVERS];
    static struct figures rtt[MAX_SERVERS][MAX_COUNTS][MAX_REPEATS];
    static struct figures stream[MAX_SERVERS][MAX_COUNTS][MAX_REPEATS];
    char path[1200], machine[200];

    if (server_n > MAX_SERVERS || count_n > MAX_COUNTS || repeats < 1 || repeats > MAX_REPEATS) {
        fprintf(stderr, "echo_bench: at most %d servers, %d counts and %d repeats\n", MAX_SERVERS,
                MAX_COUNTS, MAX_REPEATS);
        return 2;
    }
    for (int s = 0; s < server_n; s++)
        parse_server(servers[s], &specs[s]);
    describe_machine(machine, sizeof machine);
    printf("machine: %s; %d round%s of %.1f s per figure\n", machine, repeats,
           repeats == 1 ? "" : "s", seconds);

    /* Every round's figures too, to show how much they vary. */
    snprintf(path, sizeof path, "%s/rounds.csv", dir);
    FILE *rounds = fopen(path, "w");
    if (rounds == NULL) {
        fprintf(stderr, "echo_bench: cannot write to %s\n", dir);
        return 1;
    }
    fprintf(rounds, "round,server,connections,round_trips_per_s,p50_us,p99_us,max_us,"
                    "stream_mib_per_s,served_round_trips,served_stream,errors\n");

    /* Side by side: each round measures every server at every count, one after the other,
     * so that whatever else the machine does weighs on all of them alike. */
    for (int r = 0; r < repeats; r++) {
        for (int k = 0; k < count_n; k++) {
            for (int s = 0; s < server_n; s++) {
                rtt[s][k][r] = measure_server(&specs[s], counts[k], seconds, false);
                stream[s][k][r] = measure_server(&specs[s], counts[k], seconds, true);
                printf("round %d: %-18s %4d connections: %8.0f round trips/s, %7.1f MiB/s\n", r + 1,
                       specs[s].name, counts[k], rtt[s][k][r].round_trips_per_s,
                       stream[s][k][r].mib_per_s);
                fflush(stdout);
                fprintf(rounds, "%d,", r + 1);
                print_figures(rounds, specs[s].name, counts[k], &rtt[s][k][r], &stream[s][k][r]);
            }
        }
    }
    fclose(rounds);

    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *csv = fopen(path, "w");
    snprintf(path, sizeof path, "%s/results.md", dir);
    FILE *md = fopen(path, "w");
    if (csv == NULL || md == NULL) {
        fprintf(stderr, "echo_bench: cannot write to %s\n", dir);
        return 1;
    }
    fprintf(csv, "server,connections,round_trips_per_s,p50_us,p99_us,max_us,stream_mib_per_s,"
                 "served_round_trips,served_stream,errors\n");
    fprintf(md,
            "Measured by `echo_bench` on %s, client and servers on the same machine over "
            "loopback: %d round%s of %.1f s per figure, the median shown; round trips of %d "
            "bytes, one in flight per connection; the stream in chunks of %d bytes.\n\n",
            machine, repeats, repeats == 1 ? "" : "s", seconds, MESSAGE_SIZE, STREAM_CHUNK);
    fprintf(md, "| server | connections | round trips/s | latency p50 | latency p99 | "
                "longest wait | stream MiB/s | connections served | errors |\n");
    fprintf(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    printf("\n%-18s %5s %13s %10s %10s %9s %9s %6s\n", "server", "conns", "round trips/s", "p50",
           "p99", "MiB/s", "served", "errors");
    for (int s = 0; s < server_n; s++) {
        for (int k = 0; k < count_n; k++) {
            struct figures a, b;
            double v[5][MAX_REPEATS];
            memset(&a, 0, sizeof a);
            memset(&b, 0, sizeof b);
            a.served = b.served = counts[k];
            for (int r = 0; r < repeats; r++) {
                v[0][r] = rtt[s][k][r].round_trips_per_s;
                v[1][r] = rtt[s][k][r].p50_us;
                v[2][r] = rtt[s][k][r].p99_us;
                v[3][r] = stream[s][k][r].mib_per_s;
                v[4][r] = rtt[s][k][r].max_us;
                /* The fewest connections served in any round; every error of every round. */
                if (rtt[s][k][r].served < a.served)
                    a.served = rtt[s][k][r].served;
                if (stream[s][k][r].served < b.served)
                    b.served = stream[s][k][r].served;
                a.failed += rtt[s][k][r].failed;
                b.failed += stream[s][k][r].failed;
            }
            a.round_trips_per_s = median(v[0], repeats);
            a.p50_us = median(v[1], repeats);
            a.p99_us = median(v[2], repeats);
            b.mib_per_s = median(v[3], repeats);
            a.max_us = median(v[4], repeats);
            print_figures(csv, specs[s].name, counts[k], &a, &b);
            char p50[32], p99[32], longest[32];
            int served = a.served < b.served ? a.served : b.served;
            fprintf(md, "| %s | %d | %.0f | %s | %s | %s | %.1f | %d of %d | %d |\n", specs[s].name,
                    counts[k], a.round_trips_per_s, format_us(a.p50_us, p50, sizeof p50),
                    format_us(a.p99_us, p99, sizeof p99),
                    format_us(a.max_us, longest, sizeof longest), b.mib_per_s, served, counts[k],
                    a.failed + b.failed);
            printf("%-18s %5d %13.0f %10s %10s %9.1f %4d/%-4d %6d\n", specs[s].name, counts[k],
                   a.round_trips_per_s, p50, p99, b.mib_per_s, served, counts[k],
                   a.failed + b.failed);
        }
    }
    fclose(csv);
    fclose(md);
    return 0;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = NULL, *suite = NULL;
    int counts[16] = {1};
    int count_n = 1;
    double seconds = 2.0;
    int repeats = 1;
    int first_server = argc;

    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(argv[i], "--host") == 0)
            host = value, i++;
        else if (strcmp(argv[i], "--port") == 0)
            port = value, i++;
        else if (strcmp(argv[i], "--connections") == 0)
            count_n = parse_counts(value, counts, 16), i++;
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(value), i++;
        else if (strcmp(argv[i], "--suite") == 0)
            suite = value, i++;
        else if (strcmp(argv[i], "--repeat") == 0)
            repeats = atoi(value), i++;
        else if (argv[i][0] != '-') {
            first_server = i;
            break;
        } else {
            fprintf(stderr,
                    "usage: %s [--host HOST] --port PORT [--connections N] [--seconds S]\n"
                    "       %s --suite DIR [--seconds S] [--repeat R] "
                    "[--connections N,N,...] NAME=PROGRAM[,ARG...]...\n",
                    argv[0], argv[0]);
            return 2;
        }
    }
    if (seconds <= 0 || count_n < 1 || (suite == NULL && port == NULL) ||
        (suite != NULL && first_server == argc)) {
        fprintf(stderr, "%s: see --help for the usage\n", argv[0]);
        return 2;
    }
#ifdef _WIN32
    AllocConsole(); /* as the harness does: the servers it starts share a console */
#else
    signal(SIGPIPE, SIG_IGN);
#endif
    if (net_startup() != 0)
        return 1;
    make_pattern();
    int status = 0;
    if (suite != NULL) {
        status = run_suite(suite, seconds, repeats, counts, count_n, argv + first_server,
                           argc - first_server);
    } else {
        for (int k = 0; k < count_n; k++) {
            struct figures rtt = measure(host, port, counts[k], seconds, false);
            struct figures stream = measure(host, port, counts[k], seconds, true);
            char p50[32], p99[32];
            printf("%d connections: %.0f round trips/s, latency p50 %s, p99 %s; stream %.1f "
                   "MiB/s; served %d and %d; errors %d\n",
                   counts[k], rtt.round_trips_per_s, format_us(rtt.p50_us, p50, sizeof p50),
                   format_us(rtt.p99_us, p99, sizeof p99), stream.mib_per_s, rtt.served,
                   stream.served, rtt.failed + stream.failed);
        }
    }
    net_cleanup();
    return status;
}
