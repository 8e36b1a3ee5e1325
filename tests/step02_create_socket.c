/**
 * @file step02_create_socket.c
 * @brief Step 2 resolves the host and creates a socket of the address's family.
 */
#include "harness.h"

TEST(creates_an_ipv4_tcp_socket_by_default)
{
    struct child *run = child_run(harness_program(), NULL);
    child_expect_exit(run, 0, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stdout(run),
                  "created socket: family AF_INET, type SOCK_STREAM, protocol IPPROTO_TCP\n");
    ASSERT_STR_EQ(child_stderr(run), "");
    child_free(run);
}

TEST(creates_an_ipv6_socket_for_an_ipv6_host)
{
    struct child *run = child_run(harness_program(), "--host", "::1", NULL);
    child_expect_exit(run, 0, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stdout(run),
                  "created socket: family AF_INET6, type SOCK_STREAM, protocol IPPROTO_TCP\n");
    child_free(run);
}

TEST(unknown_host_reports_getaddrinfo_and_exits_1)
{
    /* .invalid is reserved (RFC 2606): no resolver will ever find it. */
    struct child *run = child_run(harness_program(), "--host", "no-such-host.invalid", NULL);
    child_expect_exit(run, 1, HARNESS_DEADLINE_MS);
    ASSERT_STARTS_WITH(child_stderr(run), "02-create-socket: getaddrinfo failed: ");
    ASSERT_STR_EQ(child_stdout(run), "");
    child_free(run);
}

static const struct test_case tests[] = {
    TEST_CASE(creates_an_ipv4_tcp_socket_by_default),
    TEST_CASE(creates_an_ipv6_socket_for_an_ipv6_host),
    TEST_CASE(unknown_host_reports_getaddrinfo_and_exits_1),
};
TEST_MAIN(tests)
