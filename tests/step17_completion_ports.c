/**
 * @file step17_completion_ports.c
 * @brief Step 17's own tests: idle clients hold no buffer; when every buffer is lent, a
 *        client with data waits for one and gets every byte back, and an idle client that
 *        closes is seen closing at once; after a burst, an idle client costs a few hundred
 *        bytes. What it keeps of steps 15 and 16 is tested by completion_ports.c,
 *        many_clients.c, client_limit.c and step16_accept_ahead.c.
 *
 * CMake runs it as `step17_completion_ports TEST PROGRAM FEW_BUFFERS`: FEW_BUFFERS is the
 * same server built with 4 buffers at most, made 2 at a time.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(idle_clients_hold_no_buffer)
{
    /* A server with 4 buffers in all: if each waiting receive held one, 8 idle clients would
     * leave none for the others. */
    struct server server = server_start(harness_program_at(1), "listening on ", NULL);
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
    /* The burst: 20 clients send without reading until their connections take no more. Each
     * holds one of the server's buffers, filled, in an echo that cannot be sent. They reset,
     * their buffers come back, and once a turn passes with nothing to do the server gives
     * the spare buffers' pages back. Then 1000 clients connect and say nothing: what the
     * server's resident memory has grown by since before the burst, per client, is an idle
     * client's whole cost. */
    enum { CLIENTS = 1000, HOGS = 20 };
    harness_need_descriptors(2 * CLIENTS + 200); /* ours, and the server's */
    struct server server =
        server_start(harness_program(), "listening on ", "--max-clients", "2000", NULL);
    client_echo_many(server.host, server.port, 20, 100, 22, HARNESS_DEADLINE_MS);
    int descriptors = child_settled(server.process, child_open_descriptors);
    long before = child_settled(server.process, resident_kib);
    SOCKET hogs[HOGS];
    for (int i = 0; i < HOGS; i++) {
        hogs[i] = client_connect(server.host, server.port);
        client_send_until_stuck(hogs[i], 23);
    }
    long busy = child_resident_kib(server.process);
    for (int i = 0; i < HOGS; i++)
        client_reset(hogs[i]);
    child_await(server.process, true, " failed: ", HOGS, HARNESS_DEADLINE_MS);
    static SOCKET idle[CLIENTS];
    server_connect_idle_clients(&server, idle, CLIENTS, descriptors);
    long after = child_settled(server.process, resident_kib);
    long bytes_each = (after - before) * 1024 / CLIENTS;
    printf("resident memory: %ld KiB before the burst, %ld KiB during it, %ld KiB with %d idle "
           "clients: %ld bytes each (expected: at most 512)\n",
           before, busy, after, CLIENTS, bytes_each);
    ASSERT_TRUE(busy - before >= 1024); /* the burst did fill buffers, or this proves nothing */
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
    struct server server = server_start(harness_program_at(1), "listening on ", NULL);
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

TEST(an_idle_client_that_closes_while_every_buffer_is_lent_is_seen_closing_at_once)
{
    /* 4 buffers in all, each held by the stuck echo of a client that does not read. A fifth
     * client connects, is served once, then waits: its receive is posted while no buffer is
     * free. When it closes, the server sees it at once, not when a buffer comes back. */
    enum { HOGS = 4 };
    struct server server = server_start(harness_program_at(1), "listening on ", NULL);
    SOCKET idle = client_connect(server.host, server.port);
    char port[8], expected[64];
    client_local_port(idle, port, sizeof port);
    client_echo_byte(idle, 'i');
    SOCKET hogs[HOGS];
    for (int i = 0; i < HOGS; i++) {
        hogs[i] = client_connect(server.host, server.port);
        client_send_until_stuck(hogs[i], 27);
    }
    ASSERT_EQ(shutdown(idle, SD_SEND), 0);
    snprintf(expected, sizeof expected, "served 127.0.0.1:%s: echoed 1 bytes", port);
    child_expect_line(server.process, expected, HARNESS_DEADLINE_MS);
    client_expect_closed(idle, HARNESS_DEADLINE_MS);
    closesocket(idle);
    for (int i = 0; i < HOGS; i++)
        closesocket(hogs[i]);
    server_stop(&server);
}

static const struct test_case tests[] = {
    TEST_CASE(idle_clients_hold_no_buffer),
    TEST_CASE(clients_wait_for_a_buffer_when_all_are_lent),
    TEST_CASE(an_idle_client_that_closes_while_every_buffer_is_lent_is_seen_closing_at_once),
    TEST_CASE(after_a_burst_an_idle_client_costs_a_few_hundred_bytes),
};
TEST_MAIN(tests)
