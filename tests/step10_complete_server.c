/**
 * @file step10_complete_server.c
 * @brief Step 10, the complete server: Ctrl-C stops it even while a client reads nothing; a
 *        silent client, and one that reads nothing, are closed after --idle-timeout. (What
 *        every later server keeps too is in server_basics.c.)
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

TEST(ctrl_c_stops_it_at_once_while_a_client_reads_nothing)
{
    /* The client sends without reading: the echo fills its receive buffer and the server's
     * send buffer, and the server waits for room to send. One Ctrl-C must end that wait. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    size_t stuck_after = client_send_until_stuck(hog, 14);
    printf("the client that reads nothing got stuck after %lu bytes\n", (unsigned long)stuck_after);
    child_interrupt_and_time_exit(server.process); /* one Ctrl-C */
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing the connection to ");
    /* An interrupted call is a reason to look at the stop flag, never a failure to report. */
    ASSERT_NOT_CONTAINS(child_stderr(server.process), " failed: ");
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 1 client\n");
    closesocket(hog);
    child_free(server.process);
}

TEST(closes_a_silent_client_after_the_idle_timeout_and_serves_the_next)
{
    struct server server = server_start(harness_program(), "listening on ", "--idle-timeout", "1",
                                        "--clients", "2", NULL);
    long long start = harness_now_ms();
    SOCKET silent = client_connect(server.host, server.port);
    /* The next client waits in the backlog while the silent one holds the server... */
    SOCKET next = client_connect(server.host, server.port);
    server_expect_idle_close(&server, silent, start);
    /* ...and is served once the silent one is gone. */
    client_echo_exchange(next, "finally", 7, HARNESS_DEADLINE_MS);
    closesocket(next);
    closesocket(silent);
    server_expect_exit_after(&server, 2);
}

TEST(closes_a_client_that_reads_nothing_after_the_idle_timeout)
{
    struct server server =
        server_start(harness_program(), "listening on ", "--idle-timeout", "1", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    client_send_until_stuck(hog, 15); /* the server now waits for room to send, in vain */
    child_await(server.process, true, ": nothing moved for 1 s", 1, HARNESS_DEADLINE_MS);
    closesocket(hog);
    client_echo_random(server.host, server.port, 1000, 16);
    server_expect_served(&server, 1000);
    server_stop(&server);
}

static const struct test_case tests[] = {
    TEST_CASE(ctrl_c_stops_it_at_once_while_a_client_reads_nothing),
    TEST_CASE(closes_a_silent_client_after_the_idle_timeout_and_serves_the_next),
    TEST_CASE(closes_a_client_that_reads_nothing_after_the_idle_timeout),
};
TEST_MAIN(tests)
