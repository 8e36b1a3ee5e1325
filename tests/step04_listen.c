/**
 * @file step04_listen.c
 * @brief Step 4 listens: clients connect even though nothing accepts, and it stops at the end
 *        of its input.
 */
#include "harness.h"

#include <stdio.h>

TEST(prints_listening_line_and_exits_0_at_end_of_input)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    ASSERT_STR_EQ(server.host, "127.0.0.1");
    ASSERT_STR_NE(server.port, "0"); /* the port the system chose, which getsockname() tells */
    child_close_stdin(server.process);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    child_free(server.process);
}

TEST(enter_stops_it)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    child_write(server.process, "\n");
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    child_free(server.process);
}

TEST(backlog_completes_connections_without_accept)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    /* connect() returns once the kernel has completed the handshake and queued the
     * connection: no accept() is needed for that. */
    SOCKET clients[3];
    for (int i = 0; i < 3; i++)
        clients[i] = client_connect(server.host, server.port);
    child_close_stdin(server.process);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    /* The listening socket closed with the connections still queued: they were never
     * accepted, so nobody will ever send on them. Each ends, by reset or end of stream. */
    for (int i = 0; i < 3; i++) {
        client_expect_closed(clients[i], HARNESS_DEADLINE_MS);
        closesocket(clients[i]);
    }
    child_free(server.process);
}

TEST(listens_on_the_ipv6_loopback)
{
    struct server server = server_start(harness_program(), "listening on ", "--host", "::1", NULL);
    ASSERT_STR_EQ(server.host, "::1");
    SOCKET client = client_connect("::1", server.port);
    child_close_stdin(server.process);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    closesocket(client);
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(prints_listening_line_and_exits_0_at_end_of_input),
    TEST_CASE(enter_stops_it),
    TEST_CASE(backlog_completes_connections_without_accept),
    TEST_CASE(listens_on_the_ipv6_loopback),
};
TEST_MAIN(tests)
