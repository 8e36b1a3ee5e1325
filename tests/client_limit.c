/**
 * @file client_limit.c
 * @brief --max-clients, as every server of many clients at once must keep it (registered
 *        under the label of each such step): at the limit, a new connection waits in
 *        the backlog, unserved, until a client leaves; then it is served.
 */
#include "harness.h"

#include <stdio.h>

TEST(at_the_limit_new_connections_wait_until_a_client_leaves)
{
    struct server server =
        server_start(harness_program(), "listening on ", "--max-clients", "2", NULL);
    SOCKET first = client_connect(server.host, server.port);
    SOCKET second = client_connect(server.host, server.port);
    client_echo_byte(first, 'x');
    client_echo_byte(second, 'x');
    child_expect_line(server.process, "2 clients at once: new connections wait until one leaves",
                      HARNESS_DEADLINE_MS);
    /* The third connects (the kernel accepts it into the backlog) but is not served... */
    SOCKET third = client_connect(server.host, server.port);
    client_send_all(third, "y", 1);
    ASSERT_EQ(net_wait_readable(third, 500), 0);
    /* ...until one of the first two leaves. */
    client_echo_exchange(first, "", 0, HARNESS_DEADLINE_MS);
    closesocket(first);
    ASSERT_EQ(net_wait_readable(third, HARNESS_DEADLINE_MS), 1);
    char byte = 0;
    ASSERT_EQ(recv(third, &byte, 1, 0), 1);
    ASSERT_EQ(byte, 'y');
    closesocket(second);
    closesocket(third);
    server_stop(&server);
}

static const struct test_case tests[] = {
    TEST_CASE(at_the_limit_new_connections_wait_until_a_client_leaves),
};
TEST_MAIN(tests)
