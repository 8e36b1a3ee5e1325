/**
 * @file step07_shutdown.c
 * @brief Step 7 ends its direction with shutdown(SD_SEND): the client reads the whole echo,
 *        then an orderly end of stream.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(echo_ends_with_an_orderly_end_of_stream)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    /* Checks every byte, then that recv() returns 0 (FIN), not an error (RST). */
    client_echo_random(server.host, server.port, 400 * 1024, 7);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    child_free(server.process);
}

TEST(a_message_comes_back_then_end_of_stream)
{
    static const char message[] = "hello, server";
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET client = client_connect(server.host, server.port);
    client_send_all(client, message, strlen(message));
    client_shutdown_sending(client);
    char reply[64];
    size_t received =
        client_recv_to_end_of_stream(client, reply, sizeof reply - 1, HARNESS_DEADLINE_MS);
    reply[received] = '\0';
    ASSERT_STR_EQ(reply, message);
    child_expect_line(server.process, "received and echoed 13 bytes", HARNESS_DEADLINE_MS);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    closesocket(client);
    child_free(server.process);
}

TEST(a_reset_after_the_clients_end_is_reported_by_shutdown)
{
    /* The client ends its stream (FIN), then resets the connection (RST), while the server
     * is stopped. When it goes on, the server reads the end of the stream, and its
     * shutdown(SD_SEND) finds the connection gone. A closesocket() alone would have said
     * nothing: step 6 exits 0 here, as if its echo had been delivered. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET client = client_connect(server.host, server.port);
    child_expect_line(server.process, "accepted connection from ", HARNESS_DEADLINE_MS);
    child_pause(server.process); /* POSIX: SIGSTOP */
    client_shutdown_sending(client);
    client_await_fin_acked(client); /* Linux: TCP_INFO */
    client_reset(client);
    child_resume(server.process);

    child_expect_exit(server.process, 1, HARNESS_DEADLINE_MS);
    ASSERT_CONTAINS(child_stdout(server.process), "received and echoed 0 bytes");
    char expected[128];
    snprintf(expected, sizeof expected, "07-shutdown: shutdown failed: ENOTCONN (%d): ", ENOTCONN);
    ASSERT_STARTS_WITH(child_stderr(server.process), expected);
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(a_reset_after_the_clients_end_is_reported_by_shutdown),
    TEST_CASE(echo_ends_with_an_orderly_end_of_stream),
    TEST_CASE(a_message_comes_back_then_end_of_stream),
};
TEST_MAIN(tests)
