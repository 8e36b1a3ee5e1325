/**
 * @file step13_event_loop.c
 * @brief Step 13's own tests: --idle-timeout closes a silent client and only it, and after
 *        thousands of clients no descriptor is left over. What it shares with step 12 is in
 *        many_clients.c.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(closes_a_silent_client_after_the_idle_timeout)
{
    struct server server =
        server_start(harness_program(), "listening on ", "--idle-timeout", "1", NULL);
    long long start = harness_now_ms();
    SOCKET silent = client_connect(server.host, server.port);
    /* A client that talks is not idle, though it takes longer than the timeout in all. */
    SOCKET talker = client_connect(server.host, server.port);
    char byte = 'x';
    for (int i = 0; i < 3; i++) {
        client_send_all(talker, &byte, 1);
        ASSERT_EQ(net_wait_readable(talker, HARNESS_DEADLINE_MS), 1);
        ASSERT_EQ(recv(talker, &byte, 1, 0), 1);
        ASSERT_EQ(net_wait_readable(talker, 600), 0); /* nothing more, then talk again */
    }
    char buf[16];
    size_t got = 0;
    ASSERT_EQ(client_recv_until_closed(silent, buf, sizeof buf, &got, HARNESS_DEADLINE_MS), 0);
    long long elapsed = harness_now_ms() - start;
    printf("the silent client was closed after %lld ms\n", elapsed);
    ASSERT_EQ(got, 0);
    ASSERT_TRUE(elapsed >= 1000);
    ASSERT_CONTAINS(child_stderr(server.process), ": nothing moved for 1 s");
    /* The talker is still served. */
    client_echo_exchange(talker, "still here", 10, HARNESS_DEADLINE_MS);
    closesocket(talker);
    closesocket(silent);
    server_stop(&server);
}

TEST(descriptors_return_to_where_they_started)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    int before = child_open_descriptors(server.process);
    /* 2000 connections, 200 at a time. Reading what the server prints keeps its stdout pipe
     * from filling up, which would block it. */
    for (int round = 0; round < 10; round++) {
        client_echo_many(server.host, server.port, 200, 2000, 100 + (unsigned)round,
                         HARNESS_DEADLINE_MS * 2);
        child_await(server.process, false, "served ", 200 * (round + 1), HARNESS_DEADLINE_MS);
    }
    /* The last clients got their end of stream; the server closes right after. */
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    int now = child_open_descriptors(server.process);
    while (now != before && harness_now_ms() < deadline) {
        net_sleep_ms(10);
        now = child_open_descriptors(server.process);
    }
    printf("open descriptors: %d before, %d after 2000 connections\n", before, now);
    ASSERT_EQ(now, before);
    server_stop(&server);
}

TEST(an_idle_client_costs_a_few_hundred_bytes)
{
    /* 1000 clients connect and say nothing. The server holds a struct for each, and no
     * buffer: what the server's resident memory grows by, per client, is its whole cost
     * (the kernel's socket buffers are not counted in it). */
    enum { CLIENTS = 1000 };
    harness_need_descriptors(2 * CLIENTS + 100); /* ours, and the server's */
    struct server server =
        server_start(harness_program(), "listening on ", "--max-clients", "2000", NULL);
    client_echo_many(server.host, server.port, 20, 100, 22, HARNESS_DEADLINE_MS);
    int descriptors = child_settled(server.process, child_open_descriptors);
    long before = child_resident_kib(server.process);
    static SOCKET idle[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        idle[i] = client_connect(server.host, server.port);
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (child_open_descriptors(server.process) < descriptors + CLIENTS) {
        ASSERT_TRUE(harness_now_ms() < deadline); /* until it has accepted them all */
        net_sleep_ms(10);
    }
    long after = child_resident_kib(server.process);
    long bytes_each = (after - before) * 1024 / CLIENTS;
    printf("resident memory: %ld KiB before, %ld KiB with %d idle clients: %ld bytes each\n",
           before, after, CLIENTS, bytes_each);
    ASSERT_TRUE(bytes_each <= 1024);
    for (int i = 0; i < CLIENTS; i++)
        closesocket(idle[i]);
    server_stop(&server);
}

TEST(stops_listening_once_the_last_client_it_will_serve_is_in)
{
    struct server server = server_start(harness_program(), "listening on ", "--clients", "2", NULL);
    SOCKET clients[2];
    for (int i = 0; i < 2; i++) {
        char byte = 'x';
        clients[i] = client_connect(server.host, server.port);
        client_send_all(clients[i], &byte, 1);
        ASSERT_EQ(net_wait_readable(clients[i], HARNESS_DEADLINE_MS), 1);
        ASSERT_EQ(recv(clients[i], &byte, 1, 0), 1);
    }
    /* Both are still being served, and the server still runs: a third is refused, not
     * queued for a server that will never accept it. */
    ASSERT_EQ(client_connect_error(server.host, server.port), ERROR_CODE(ECONNREFUSED));
    for (int i = 0; i < 2; i++) {
        client_echo_exchange(clients[i], "", 0, HARNESS_DEADLINE_MS);
        closesocket(clients[i]);
    }
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 2 clients\n");
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(an_idle_client_costs_a_few_hundred_bytes),
    TEST_CASE(stops_listening_once_the_last_client_it_will_serve_is_in),
    TEST_CASE(closes_a_silent_client_after_the_idle_timeout),
    TEST_CASE(descriptors_return_to_where_they_started),
};
TEST_MAIN(tests)
