/**
 * @file step12_threads.c
 * @brief Step 12's own tests: at --max-clients new connections wait in the backlog until a
 *        client leaves, and after thousands of clients no thread or descriptor is left over.
 *        What it shares with step 13 is in many_clients.c.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(at_the_limit_new_connections_wait_until_a_client_leaves)
{
    struct server server =
        server_start(harness_program(), "listening on ", "--max-clients", "2", NULL);
    SOCKET first = client_connect(server.host, server.port);
    SOCKET second = client_connect(server.host, server.port);
    char byte;
    for (int i = 0; i < 2; i++) {
        SOCKET s = i == 0 ? first : second;
        client_send_all(s, "x", 1);
        ASSERT_EQ(net_wait_readable(s, HARNESS_DEADLINE_MS), 1);
        ASSERT_EQ(recv(s, &byte, 1, 0), 1);
    }
    child_expect_line(server.process, "2 clients at once: new connections wait until one leaves",
                      HARNESS_DEADLINE_MS);
    /* The third connects (the kernel accepts it into the backlog) but is not served... */
    SOCKET third = client_connect(server.host, server.port);
    client_send_all(third, "y", 1);
    ASSERT_EQ(net_wait_readable(third, 500), 0);
    /* ...until one of the first two leaves. */
    client_echo_exchange(first, "", 0, HARNESS_DEADLINE_MS);
    closesocket(first);
    ASSERT_EQ(net_wait_readable(third, HARNESS_DEADLINE_MS), 1);
    ASSERT_EQ(recv(third, &byte, 1, 0), 1);
    ASSERT_EQ(byte, 'y');
    closesocket(second);
    closesocket(third);
    server_stop(&server);
}

TEST(descriptors_and_threads_return_to_where_they_started)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    /* A first round before counting: ThreadSanitizer's runtime starts a thread of its own
     * with the first client thread. */
    client_echo_many(server.host, server.port, 10, 2000, 99, HARNESS_DEADLINE_MS);
    child_await(server.process, false, "served ", 10, HARNESS_DEADLINE_MS);
    int before = child_settled(server.process, child_open_descriptors);
    int threads_before = child_settled(server.process, child_thread_count);
    /* 2000 connections, 200 at a time. Reading what the server prints keeps its stdout pipe
     * from filling up, which would block it. */
    for (int round = 0; round < 10; round++) {
        client_echo_many(server.host, server.port, 200, 2000, 100 + (unsigned)round,
                         HARNESS_DEADLINE_MS * 2);
        child_await(server.process, false, "served ", 10 + 200 * (round + 1), HARNESS_DEADLINE_MS);
    }
    /* Every socket closed, every client thread ended and joined (an unjoined one still
     * counts as a thread). */
    int after = child_settled(server.process, child_open_descriptors);
    int threads_after = child_settled(server.process, child_thread_count);
    printf("open descriptors: %d before, %d after 2000 connections; threads: %d and %d\n", before,
           after, threads_before, threads_after);
    ASSERT_EQ(after, before);
    ASSERT_EQ(threads_after, threads_before);
    server_stop(&server);
}

TEST(reports_from_many_threads_stay_whole_lines)
{
    /* 300 client threads, each with an idle client, all told to stop at once: each writes its
     * "stopping" report at the same moment. Each report must be one whole line. */
    enum { CLIENTS = 300 };
    harness_need_descriptors(2 * CLIENTS + 100);
    struct server server =
        server_start(harness_program(), "listening on ", "--max-clients", "400", NULL);
    static SOCKET idle[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        char byte = 'x';
        idle[i] = client_connect(server.host, server.port);
        client_send_all(idle[i], &byte, 1); /* its echo proves that a thread serves it */
        ASSERT_EQ(net_wait_readable(idle[i], HARNESS_DEADLINE_MS), 1);
        ASSERT_EQ(recv(idle[i], &byte, 1, 0), 1);
    }
    child_interrupt(server.process);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    const char *stderr_text = child_stderr(server.process);
    int lines = 0;
    for (const char *line = stderr_text; *line != '\0'; lines++) {
        const char *end = strchr(line, '\n');
        ASSERT_TRUE(end != NULL);
        ASSERT_STARTS_WITH(line, "12-threads: stopping: closing the connection to 127.0.0.1:");
        line = end + 1;
    }
    ASSERT_EQ(lines, CLIENTS);
    for (int i = 0; i < CLIENTS; i++)
        closesocket(idle[i]);
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(reports_from_many_threads_stay_whole_lines),
    TEST_CASE(at_the_limit_new_connections_wait_until_a_client_leaves),
    TEST_CASE(descriptors_and_threads_return_to_where_they_started),
};
TEST_MAIN(tests)
