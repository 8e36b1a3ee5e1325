/**
 * @file server_basics.c
 * @brief What every server from the complete server (step 10) on keeps, whatever else it
 *        adds, registered under each such step's label: it survives the reader of its own
 *        output going away, restarts at once on the port its last run used, and on [::]
 *        leaves IPv4 to others. (Each step proves the lessons it carries: these are step 3's
 *        and step 10's.)
 *
 * Run as `server_basics TEST PROGRAM`; the program takes --clients and --idle-timeout (step 13,
 * which has no --idle-timeout, runs the two tests that need none).
 */
#include "harness.h"

#include <stdio.h>

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
    /* The first run closes its client first (Ctrl-C: the server closes its clients, then
     * exits), so its side of that connection waits out TIME_WAIT on the port after it has
     * exited. */
    struct server first = server_start(harness_program(), "listening on ", NULL);
    SOCKET client = client_connect(first.host, first.port);
    client_echo_byte(client, 't');
    child_interrupt(first.process);
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
    TEST_CASE(survives_the_reader_of_its_output_going_away),
    TEST_CASE(restarts_at_once_on_the_port_its_last_run_used),
    TEST_CASE(an_ipv6_wildcard_server_leaves_ipv4_to_others),
};
TEST_MAIN(tests)
