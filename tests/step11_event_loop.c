/**
 * @file step11_event_loop.c
 * @brief Step 11's own tests: --idle-timeout closes a silent client and only it, and after
 *        thousands of clients no descriptor is left over. What it shares with step 10 is in
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

static const struct test_case tests[] = {
    TEST_CASE(closes_a_silent_client_after_the_idle_timeout),
    TEST_CASE(descriptors_return_to_where_they_started),
};
TEST_MAIN(tests)
