/**
 * @file step15_completion_loop.c
 * @brief Step 15's own tests: one thread serves clients at once, a client that says nothing
 *        holds up nobody. What the completion steps share is in completion_ports.c; what it
 *        shares with the servers of many_clients.c (a client that does not read is not read
 *        from; out of descriptors, a pause of its accepts) is tested there.
 */
#include "harness.h"

#include <stdio.h>

TEST(serves_a_client_while_another_is_in_the_middle_of_its_message)
{
    /* Step 10 served one client at a time: the second waited for the first to finish. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET first = client_connect(server.host, server.port);
    client_echo_byte(first, 'a'); /* being served, and not finished */
    client_echo_random(server.host, server.port, 20000, 30);
    client_echo_exchange(first, "and the rest", 12, HARNESS_DEADLINE_MS);
    closesocket(first);
    server_stop(&server);
}

TEST(a_client_that_says_nothing_holds_up_nobody)
{
    /* It connects and sends nothing: the server has accepted it, and the next client is
     * served at once. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET silent = client_connect(server.host, server.port);
    client_echo_random(server.host, server.port, 1000, 31);
    closesocket(silent);
    server_stop(&server);
}

TEST(echoes_100_clients_at_once_byte_for_byte)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    client_echo_many(server.host, server.port, 100, 16384, 32, HARNESS_DEADLINE_MS * 2);
    child_await(server.process, false, "served ", 100, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    server_stop(&server);
}

static const struct test_case tests[] = {
    TEST_CASE(serves_a_client_while_another_is_in_the_middle_of_its_message),
    TEST_CASE(a_client_that_says_nothing_holds_up_nobody),
    TEST_CASE(echoes_100_clients_at_once_byte_for_byte),
};
TEST_MAIN(tests)
