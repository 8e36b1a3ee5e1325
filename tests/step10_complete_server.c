/**
 * @file step10_complete_server.c
 * @brief Step 10, the complete server: Ctrl-C stops it even while a client reads nothing; a
 *        silent client is closed after --idle-timeout; its own output going nowhere does not
 *        kill it; it restarts at once on its port; on [::] it leaves IPv4 alone.
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
    long long start = harness_now_ms();
    child_interrupt(server.process);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    long long elapsed = harness_now_ms() - start;
    printf("stopped %lld ms after one Ctrl-C\n", elapsed);
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

TEST(survives_the_reader_of_its_output_going_away)
{
    /* As `10-complete-server | head -n 1`: whoever read the server's stdout has gone. The
     * next line the server writes fails (on POSIX with EPIPE, and a SIGPIPE that would kill
     * it); the server goes on serving. */
    struct server server = server_start(harness_program(), "listening on ", "--clients", "2", NULL);
    child_close_stdout_reader(server.process);
    client_echo_random(server.host, server.port, 5000, 17); /* its "served" line is lost */
    client_echo_random(server.host, server.port, 6000, 18);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    child_free(server.process);
}

TEST(restarts_at_once_on_the_port_its_last_run_used)
{
    /* The first run closes its client first (the idle timeout), so its side of that
     * connection waits out TIME_WAIT on the port after it has exited. */
    struct server first = server_start(harness_program(), "listening on ", "--idle-timeout", "1",
                                       "--clients", "1", NULL);
    SOCKET client = client_connect(first.host, first.port);
    char buf[16];
    client_recv_to_end_of_stream(client, buf, sizeof buf, HARNESS_DEADLINE_MS);
    closesocket(client);
    child_expect_exit(first.process, 0, HARNESS_DEADLINE_MS);
    child_free(first.process);

    /* The second run binds the same port at once. */
    struct child *second =
        child_start(harness_program(), "--port", first.port, "--clients", "1", NULL);
    char expected[64];
    snprintf(expected, sizeof expected, "listening on 127.0.0.1:%s", first.port);
    child_expect_next_line(second, expected, HARNESS_READY_MS);
    client_echo_random("127.0.0.1", first.port, 100, 19);
    child_expect_exit(second, 0, HARNESS_DEADLINE_MS);
    child_free(second);
}

TEST(an_ipv6_wildcard_server_leaves_ipv4_to_others)
{
    /* With IPV6_V6ONLY set, a server on [::] takes IPv6 only: the same port on 127.0.0.1 is
     * free for another program (Linux would otherwise give it to [::] as well). */
    struct server server =
        server_start(harness_program(), "listening on ", "--host", "::", "--clients", "1", NULL);
    ASSERT_STR_EQ(server.host, "::");
    client_expect_refused_on_reserved("127.0.0.1", server.port);
    client_echo_random("::1", server.port, 100, 20);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(ctrl_c_stops_it_at_once_while_a_client_reads_nothing),
    TEST_CASE(closes_a_silent_client_after_the_idle_timeout_and_serves_the_next),
    TEST_CASE(closes_a_client_that_reads_nothing_after_the_idle_timeout),
    TEST_CASE(survives_the_reader_of_its_output_going_away),
    TEST_CASE(restarts_at_once_on_the_port_its_last_run_used),
    TEST_CASE(an_ipv6_wildcard_server_leaves_ipv4_to_others),
};
TEST_MAIN(tests)
