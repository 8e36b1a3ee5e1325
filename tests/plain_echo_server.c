/**
 * @file plain_echo_server.c
 * @brief The whole server in one screen (plain/): written with the plain calls, it still
 *        serves client after client, echoes every byte, ends each stream in order, and says
 *        which call failed.
 *
 * Run as `plain_echo_server TEST PROGRAM`, with the POSIX program natively and the Winsock
 * one in the Windows build. The program has no Ctrl-C handler: each test ends it by killing it.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

/** Starts the program on a port of the system's choice and reads the port from its line. */
static struct child *start_plain_server(char *port, size_t size)
{
    struct child *server = child_start(harness_program(), "0", NULL);
    const char *line = child_expect_line(server, "listening on port ", HARNESS_READY_MS);
    snprintf(port, size, "%s", line + strlen("listening on port "));
    return server;
}

TEST(echoes_every_byte_and_ends_the_stream_in_order)
{
    char port[16];
    struct child *server = start_plain_server(port, sizeof port);
    client_echo_random("127.0.0.1", port, 1000000, 1); /* checks each byte, then the FIN */
    child_free(server);
}

TEST(serves_client_after_client)
{
    char port[16];
    struct child *server = start_plain_server(port, sizeof port);
    for (unsigned i = 0; i < 3; i++)
        client_echo_random("127.0.0.1", port, 1000, i);
    child_free(server);
}

TEST(a_client_that_resets_ends_that_client_only)
{
    char port[16];
    struct child *server = start_plain_server(port, sizeof port);
    SOCKET first = client_connect("127.0.0.1", port);
    client_echo_byte(first, 'x');
    client_reset(first);
    client_echo_random("127.0.0.1", port, 1000, 2);
    child_free(server);
}

TEST(a_port_in_use_names_bind_and_exits_1)
{
    char port[16];
    struct child *first = start_plain_server(port, sizeof port);
    struct child *second = child_start(harness_program(), port, NULL);
    child_expect_exit(second, 1, HARNESS_DEADLINE_MS);
    ASSERT_STARTS_WITH(child_stderr(second), "bind");
    child_free(second);
    child_free(first);
}

static const struct test_case tests[] = {
    TEST_CASE(echoes_every_byte_and_ends_the_stream_in_order),
    TEST_CASE(serves_client_after_client),
    TEST_CASE(a_client_that_resets_ends_that_client_only),
    TEST_CASE(a_port_in_use_names_bind_and_exits_1),
};
TEST_MAIN(tests)
