/**
 * @file step12_threads.c
 * @brief Step 12's own tests: after thousands of clients no thread is left over, and reports
 *        from many threads stay whole lines. What it shares with the other servers of many
 *        clients is in
 *        many_clients.c.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(threads_return_to_where_they_started)
{
    /* Every client thread ended and joined: an unjoined one still counts as a thread. (Their
     * sockets: step12_descriptors_return_to_where_they_started, in many_clients.c.) */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    int before = 0, after = 0;
    server_count_around_2000_clients(&server, "threads", child_thread_count, &before, &after);
    ASSERT_EQ(after, before);
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
    TEST_CASE(threads_return_to_where_they_started),
};
TEST_MAIN(tests)
