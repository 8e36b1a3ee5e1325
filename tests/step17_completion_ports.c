/**
 * @file step17_completion_ports.c
 * @brief Step 17's own tests: the idle timeout, a reset reported with the client's address
 *        while the others are served, Ctrl-C with idle clients, idle clients that hold no
 *        buffer, a burst's memory given back, and (Linux) a missing io_uring reported with
 *        exit code 1. What it shares with the other servers of many clients is in many_clients.c, and
 *        --max-clients in client_limit.c.
 *
 * CMake runs it as `step17_completion_ports TEST PROGRAM LAUNCHER FEW_BUFFERS`: LAUNCHER is
 * the helper without_io_uring (or `none` where io_uring does not exist), FEW_BUFFERS the same
 * server built with 4 buffers at most.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#    include <sys/utsname.h>
#endif

TEST(closes_a_client_that_does_not_read_after_the_idle_timeout)
{
    /* Its echo is stuck in a send in flight: closing it must end that send too, or the
     * connection's memory could never be freed. */
    struct server server =
        server_start(harness_program(), "listening on ", "--idle-timeout", "1", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    char port[8], expected[64];
    client_local_port(hog, port, sizeof port);
    size_t sent = client_send_until_stuck(hog, 21);
    printf("stuck after %lu bytes\n", (unsigned long)sent);
    snprintf(expected, sizeof expected, "closing 127.0.0.1:%s: nothing moved for 1 s", port);
    child_await(server.process, true, expected, 1, HARNESS_DEADLINE_MS);
    client_echo_random(server.host, server.port, 100000, 22);
    /* The client neither reads nor closes: only the cancellation can have ended the send.
     * Had it not, the stop would wait for it and say that it did not complete. */
    child_interrupt(server.process);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_NOT_CONTAINS(child_stderr(server.process), "did not complete");
    child_free(server.process);
    closesocket(hog);
}

TEST(reports_the_reset_of_a_waiting_client_and_goes_on)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET c = client_connect(server.host, server.port);
    char port[8], expected[96];
    client_local_port(c, port, sizeof port);
    client_echo_byte(c, 'r'); /* now a receive of the server waits on it */
    client_reset(c);
    /* The receive in flight completes with the error: `recv from 127.0.0.1:PORT failed:
     * ECONNRESET` on Linux, `WSARecv from ...: WSAECONNRESET` on Windows. */
    snprintf(expected, sizeof expected, "from 127.0.0.1:%s failed: %s (%d)", port,
             ERROR_NAME(ECONNRESET), ERROR_CODE(ECONNRESET));
    if (harness_under_wine()) {
        /* Wine 8 sometimes completes the receive as an orderly end instead (seen here). */
        char ended[64];
        snprintf(ended, sizeof ended, "served 127.0.0.1:%s:", port);
        long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
        while (strstr(child_stderr(server.process), expected) == NULL &&
               harness_now_ms() < deadline) {
            if (strstr(child_stdout(server.process), ended) != NULL)
                harness_skip("under Wine, the receive completed as an orderly end, not with "
                             "WSAECONNRESET");
            net_sleep_ms(10);
            child_pump_all();
        }
    }
    child_await(server.process, true, expected, 1, HARNESS_DEADLINE_MS);
    printf("%s", child_stderr(server.process));
    client_echo_many(server.host, server.port, 20, 20000, 23, HARNESS_DEADLINE_MS);
    server_stop(&server);
}

TEST(reports_a_reset_mid_transfer_and_goes_on)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    char port[8], expected[64];
    client_local_port(hog, port, sizeof port);
    client_send_until_stuck(hog, 21); /* the server's echo is stuck in a send */
    client_reset(hog);
    snprintf(expected, sizeof expected, "127.0.0.1:%s failed: ", port);
    child_await(server.process, true, expected, 1, HARNESS_DEADLINE_MS);
    printf("%s", child_stderr(server.process));
    client_echo_many(server.host, server.port, 20, 20000, 24, HARNESS_DEADLINE_MS);
    server_stop(&server);
}

TEST(ctrl_c_closes_the_connections_and_says_how_many)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET clients[3];
    for (int i = 0; i < 3; i++) {
        clients[i] = client_connect(server.host, server.port);
        client_echo_byte(clients[i], (char)('0' + i));
    }
    child_interrupt(server.process); /* skips where Ctrl-C cannot be delivered */
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing 3 connections\n");
    /* Every receive in flight was cancelled and completed: nothing left to the system. */
    ASSERT_NOT_CONTAINS(child_stderr(server.process), "did not complete");
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 3 clients\n");
    for (int i = 0; i < 3; i++) {
        char buf[8];
        size_t got = 0;
        client_recv_until_closed(clients[i], buf, sizeof buf, &got, HARNESS_DEADLINE_MS);
        ASSERT_EQ(got, 0);
        closesocket(clients[i]);
    }
    child_free(server.process);
}

TEST(idle_clients_hold_no_buffer)
{
    /* A server with 4 buffers in all: if each waiting receive held one, 8 idle clients would
     * leave none for the others. */
    struct server server = server_start(harness_program_at(2), "listening on ", NULL);
    SOCKET idle[8];
    for (int i = 0; i < 8; i++) {
        idle[i] = client_connect(server.host, server.port);
        client_echo_byte(idle[i], 'i'); /* accepted, and waiting in a receive */
    }
    client_echo_many(server.host, server.port, 50, 50000, 25, HARNESS_DEADLINE_MS * 2);
    for (int i = 0; i < 8; i++)
        closesocket(idle[i]);
    server_stop(&server);
}

/** The server's resident memory in KiB, in the form child_settled() reads. */
static int resident_kib(struct child *c)
{
    return (int)child_resident_kib(c);
}

TEST(after_a_burst_an_idle_client_costs_a_few_hundred_bytes)
{
#ifdef __linux__
    /* Linux gives the pages back only with IORING_SETUP_DEFER_TASKRUN (see ports_uring.c). */
    struct utsname system;
    int major = 0, minor = 0;
    if (uname(&system) == 0 && sscanf(system.release, "%d.%d", &major, &minor) == 2 &&
        (major < 6 || (major == 6 && minor < 1))) {
        char reason[128];
        snprintf(reason, sizeof reason, "Linux %.40s: step 17 gives pages back from Linux 6.1 on",
                 system.release);
        harness_skip(reason);
    }
#endif
    /* A burst of traffic makes the server fill receive buffers: on Linux the kernel takes
     * them from the ring in turn, so every buffer made gets touched. Once the burst is over
     * and a turn passes with nothing to do, the server gives their pages back. Then 1000
     * clients connect and say nothing: what the server's resident memory has grown by since
     * before the burst, per client, is an idle client's whole cost. */
    enum { CLIENTS = 1000 };
    harness_need_descriptors(2 * CLIENTS + 200); /* ours, and the server's */
    struct server server =
        server_start(harness_program(), "listening on ", "--max-clients", "2000", NULL);
    client_echo_many(server.host, server.port, 20, 100, 22, HARNESS_DEADLINE_MS);
    int descriptors = child_settled(server.process, child_open_descriptors);
    long before = child_settled(server.process, resident_kib);
    client_echo_many(server.host, server.port, 100, 200000, 23, HARNESS_DEADLINE_MS * 2);
    long busy = child_resident_kib(server.process);
    static SOCKET idle[CLIENTS];
    server_connect_idle_clients(&server, idle, CLIENTS, descriptors);
    long after = child_settled(server.process, resident_kib);
    long bytes_each = (after - before) * 1024 / CLIENTS;
    printf("resident memory: %ld KiB before the burst, %ld KiB right after it, %ld KiB with "
           "%d idle clients: %ld bytes each (expected: at most 512)\n",
           before, busy, after, CLIENTS, bytes_each);
    ASSERT_TRUE(busy - before >= 512); /* the burst did fill buffers, or this proves nothing */
    ASSERT_TRUE(bytes_each <= 512);
    for (int i = 0; i < CLIENTS; i++)
        closesocket(idle[i]);
    server_stop(&server);
}

TEST(clients_wait_for_a_buffer_when_all_are_lent)
{
    /* 4 buffers in all, 6 clients that do not read: 4 hold a buffer each in a stuck echo,
     * the other 2 wait for one. When they all read, every byte comes back. */
    enum { HOGS = 6, SEED = 24 };
    static char pattern[65536]; /* what client_send_until_stuck() sends with SEED, repeated */
    harness_fill_random(pattern, sizeof pattern, SEED);
    struct server server = server_start(harness_program_at(2), "listening on ", NULL);
    SOCKET hogs[HOGS];
    size_t sent[HOGS], received[HOGS];
    int open_count = HOGS;
    for (int i = 0; i < HOGS; i++) {
        hogs[i] = client_connect(server.host, server.port);
        sent[i] = client_send_until_stuck(hogs[i], SEED);
        received[i] = 0;
    }
    for (int i = 0; i < HOGS; i++)
        ASSERT_EQ(shutdown(hogs[i], SD_SEND), 0);
    /* Read all of them at once: one that waited for a buffer needs the others to read. */
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS * 2;
    while (open_count > 0) {
        struct pollfd fds[HOGS];
        for (int i = 0; i < HOGS; i++) {
            fds[i].fd = hogs[i];
            fds[i].events = POLLIN;
            fds[i].revents = 0;
        }
        ASSERT_TRUE(harness_now_ms() < deadline);
        ASSERT_NE(net_poll(fds, HOGS, 200), SOCKET_ERROR);
        for (int i = 0; i < HOGS; i++) {
            if (hogs[i] == INVALID_SOCKET || fds[i].revents == 0)
                continue;
            char buf[65536];
            int n = recv(hogs[i], buf, (int)sizeof buf, 0);
            if (n > 0) {
                for (int k = 0; k < n; k++)
                    ASSERT_EQ(buf[k], pattern[(received[i] + (size_t)k) % sizeof pattern]);
                received[i] += (size_t)n;
            } else if (n == 0) {
                ASSERT_EQ(received[i], sent[i]);
                closesocket(hogs[i]);
                hogs[i] = INVALID_SOCKET;
                open_count--;
            } else {
                ASSERT_TRUE(net_would_block(net_last_error()));
            }
        }
    }
    child_await(server.process, false, "served ", HOGS, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    server_stop(&server);
}

TEST(reports_a_missing_io_uring_and_exits_1)
{
    const char *launcher = harness_program_at(1);
    if (strcmp(launcher, "none") == 0)
        harness_skip("io_uring is Linux's");
    const char *errors[] = {"ENOSYS", "EPERM"};
    const char *texts[] = {"ENOSYS (38): Function not implemented",
                           "EPERM (1): Operation not permitted"};
    char name[64], expected[160];
    harness_program_name(harness_program(), name, sizeof name);
    for (int i = 0; i < 2; i++) {
        struct child *run = child_run(launcher, errors[i], harness_program(), "--port", "0", NULL);
        snprintf(expected, sizeof expected, "%s: io_uring_queue_init_params failed: %s\n", name,
                 texts[i]);
        ASSERT_STR_EQ(child_stderr(run), expected);
        ASSERT_STR_EQ(child_stdout(run), "");
        ASSERT_EQ(child_exit_code(run), 1);
        child_free(run);
    }
}

static const struct test_case tests[] = {
    TEST_CASE(closes_a_client_that_does_not_read_after_the_idle_timeout),
    TEST_CASE(reports_the_reset_of_a_waiting_client_and_goes_on),
    TEST_CASE(reports_a_reset_mid_transfer_and_goes_on),
    TEST_CASE(ctrl_c_closes_the_connections_and_says_how_many),
    TEST_CASE(idle_clients_hold_no_buffer),
    TEST_CASE(clients_wait_for_a_buffer_when_all_are_lent),
    TEST_CASE(after_a_burst_an_idle_client_costs_a_few_hundred_bytes),
    TEST_CASE(reports_a_missing_io_uring_and_exits_1),
};
TEST_MAIN(tests)
