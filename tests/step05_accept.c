/**
 * @file step05_accept.c
 * @brief Step 5 accepts one client, prints its address, closes it and stops listening.
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
    ASSERT_STR_EQ(child_read_line(server.process, HARNESS_DEADLINE_MS), expected);

    /* The server closes its socket: the client reads an orderly end of stream. */
    char buf[16];
    size_t received = 0;
    ASSERT_EQ(client_recv_until_closed(client, buf, sizeof buf, &received, HARNESS_DEADLINE_MS), 0);
    ASSERT_EQ(received, 0);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
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
    ASSERT_STR_EQ(child_read_line(server.process, HARNESS_DEADLINE_MS), expected);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    closesocket(client);
    child_free(server.process);
}

TEST(refuses_the_next_client_once_the_listener_is_closed)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET first = client_connect(server.host, server.port);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_EQ(client_connect_error(server.host, server.port), ERROR_CODE(ECONNREFUSED));
    closesocket(first);
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(prints_the_address_of_the_client_it_accepted),
    TEST_CASE(accepts_an_ipv6_client),
    TEST_CASE(refuses_the_next_client_once_the_listener_is_closed),
};
TEST_MAIN(tests)
