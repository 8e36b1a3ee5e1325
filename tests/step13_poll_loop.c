/**
 * @file step13_poll_loop.c
 * @brief Step 13's own tests: Ctrl-C ends the loop's one wait, even with every client silent,
 *        and closes every client, also one that reads nothing. What it shares with the other
 *        servers of many clients is in many_clients.c; what it shares with the servers of one
 *        client after another, in step08_accept_loop.c.
 */
#include "harness.h"

#include <stdio.h>

TEST(ctrl_c_closes_every_client_and_exits_while_all_are_silent)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET silent[2];
    for (int i = 0; i < 2; i++) {
        silent[i] = client_connect(server.host, server.port);
        client_echo_byte(silent[i], 'x'); /* in the loop's hands, and silent from now on */
    }
    /* Nothing is ready: the loop sits in poll(). Ctrl-C must end that wait. */
    long long ms_from_ctrl_c_to_exit = child_interrupt_and_time_exit(server.process);
    /* The loop looks at its stop flag every 200 ms; allow for a slow or emulated machine. */
    ASSERT_LT(ms_from_ctrl_c_to_exit, 3000);
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing 2 connections\n");
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 2 clients\n");
    for (int i = 0; i < 2; i++) {
        client_expect_closed(silent[i], HARNESS_DEADLINE_MS);
        closesocket(silent[i]);
    }
    child_free(server.process);
}

TEST(ctrl_c_stops_it_at_once_while_a_client_reads_nothing)
{
    /* The client sends without reading: its echo fills its receive buffer and the server's
     * send buffer. A send() that waited for room would hold the loop, and Ctrl-C with it. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    size_t stuck_after = client_send_until_stuck(hog, 25);
    printf("the client that reads nothing got stuck after %lu bytes\n", (unsigned long)stuck_after);
    child_interrupt(server.process);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing 1 connection\n");
    /* An interrupted call is a reason to look at the stop flag, never a failure to report. */
    ASSERT_NOT_CONTAINS(child_stderr(server.process), " failed: ");
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 1 client\n");
    closesocket(hog);
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(ctrl_c_closes_every_client_and_exits_while_all_are_silent),
    TEST_CASE(ctrl_c_stops_it_at_once_while_a_client_reads_nothing),
};
TEST_MAIN(tests)
