/**
 * @file step05_accept.c
 * @brief Step 5 accepts one client, prints its address, stops listening, and closes the
 *        connection at the end of its input.
 */
#include "harness.h"

#include <stdio.h>

TEST(prints_the_address_of_the_client_it_accepted)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET client = client_connect(server.host, server.port);
    char port[8], expected[64];
    client_local_port(client, port, sizeof port);
    snprintf(expected, sizeof expected, "accepted connection from 127.0.0.1:%s", port);
    child_expect_next_line(server.process, expected, HARNESS_DEADLINE_MS);

    /* Enter (here: the end of its input) ends the program, which closes the connection: the
     * client reads an orderly end of stream. */
    child_close_stdin(server.process);
    client_expect_end_of_stream(client, HARNESS_DEADLINE_MS);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    closesocket(client);
    child_free(server.process);
}

TEST(accepts_an_ipv6_client)
{
    struct server server = server_start(harness_program(), "listening on ", "--host", "::1", NULL);
    SOCKET client = client_connect("::1", server.port);
    char port[8], expected[64];
    client_local_port(client, port, sizeof port);
    snprintf(expected, sizeof expected, "accepted connection from [::1]:%s", port);
    child_expect_next_line(server.process, expected, HARNESS_DEADLINE_MS);
    child_write(server.process, "\n");
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    closesocket(client);
    child_free(server.process);
}

TEST(refuses_a_second_client_while_it_serves_the_first)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET first = client_connect(server.host, server.port);
    child_expect_line_hint(server.process, "stopped listening", HARNESS_DEADLINE_MS,
                           "Once it has accepted its one client, the program closes its "
                           "listening socket, then prints `stopped listening: the next client "
                           "is refused`.");
    /* The program still runs and holds the first connection, on this very port; but the
     * listening socket is closed, so a new connection is refused at once. */
    client_expect_refused(server.host, server.port);
    child_close_stdin(server.process);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    closesocket(first);
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(prints_the_address_of_the_client_it_accepted),
    TEST_CASE(accepts_an_ipv6_client),
    TEST_CASE(refuses_a_second_client_while_it_serves_the_first),
};
TEST_MAIN(tests)
