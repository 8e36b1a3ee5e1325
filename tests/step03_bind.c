/**
 * @file step03_bind.c
 * @brief Step 3 binds, prints the address it really got, and reports a port in use.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Checks "bound to PREFIXPORT" and that PORT is a real one the system chose: asked for port
 *  0, the program learns which with getsockname(). */
static void expect_bound_line(struct child *run, const char *prefix)
{
    const char *line = child_expect_line(run, prefix, HARNESS_READY_MS);
    long port_in_the_line = strtol(line + strlen(prefix), NULL, 10);
    ASSERT_GT(port_in_the_line, 0);
    ASSERT_LE(port_in_the_line, 65535);
}

TEST(port_zero_prints_the_port_the_system_chose)
{
    struct child *run = child_run(harness_program(), "--port", "0", NULL);
    child_expect_exit(run, 0, HARNESS_DEADLINE_MS);
    expect_bound_line(run, "bound to 127.0.0.1:");
    child_expect_no_more_lines(run, HARNESS_DEADLINE_MS); /* exactly one line */
    ASSERT_STR_EQ(child_stderr(run), "");
    child_free(run);
}

TEST(binds_the_ipv6_loopback)
{
    struct child *run = child_run(harness_program(), "--host", "::1", "--port", "0", NULL);
    child_expect_exit(run, 0, HARNESS_DEADLINE_MS);
    expect_bound_line(run, "bound to [::1]:");
    child_free(run);
}

TEST(binds_a_port_whose_last_connection_waits_in_time_wait)
{
    /* A previous run of a server on this port: it accepted a client and closed first. Its
     * side of that connection now waits out TIME_WAIT (60 s on Linux), still bound to the
     * port. A restart must not have to wait for it. */
    char port[8], expected[64];
    SOCKET previous = harness_listen("127.0.0.1", port, sizeof port);
    SOCKET client = client_connect("127.0.0.1", port);
    SOCKET served = harness_accept(previous, HARNESS_DEADLINE_MS);
    closesocket(previous);
    closesocket(served); /* the server's FIN comes first... */
    char buf[16];
    client_recv_to_end_of_stream(client, buf, sizeof buf, HARNESS_DEADLINE_MS);
    closesocket(client); /* ...then the client's: the server's side enters TIME_WAIT */

    struct child *run = child_run(harness_program(), "--port", port, NULL);
    snprintf(expected, sizeof expected, "bound to 127.0.0.1:%s\n", port);
    ASSERT_STR_EQ(child_stderr(run), "");
    ASSERT_STR_EQ(child_stdout(run), expected);
    child_expect_exit(run, 0, HARNESS_DEADLINE_MS);
    child_free(run);
}

TEST(an_ipv6_wildcard_bind_leaves_ipv4_to_others)
{
    /* A program listens on 127.0.0.1 (IPv4) on some port. With IPV6_V6ONLY set, an IPv6
     * socket bound to [::] on the same port takes IPv6 only, and does not collide with it.
     * Without the option, on Linux, [::] would also claim every IPv4 address of the port. */
    char port[8], expected[64];
    SOCKET ipv4 = harness_listen("127.0.0.1", port, sizeof port);
    struct child *run = child_run(harness_program(), "--host", "::", "--port", port, NULL);
    snprintf(expected, sizeof expected, "bound to [::]:%s\n", port);
    ASSERT_STR_EQ(child_stderr(run), "");
    ASSERT_STR_EQ(child_stdout(run), expected);
    child_expect_exit(run, 0, HARNESS_DEADLINE_MS);
    child_free(run);
    closesocket(ipv4);
}

static const struct test_case tests[] = {
    TEST_CASE(binds_a_port_whose_last_connection_waits_in_time_wait),
    TEST_CASE(an_ipv6_wildcard_bind_leaves_ipv4_to_others),
    TEST_CASE(port_zero_prints_the_port_the_system_chose),
    TEST_CASE(binds_the_ipv6_loopback),
};
TEST_MAIN(tests)
