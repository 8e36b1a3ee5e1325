/**
 * @file step16_accept_ahead.c
 * @brief Step 16's own tests (and step 17's, which keeps them): a client whose echo is stuck
 *        in a send in flight is closed after the idle timeout, and the send ends with it.
 *        What every server of many clients must do is in many_clients.c and client_limit.c.
 */
#include "harness.h"

#include <stdio.h>

TEST(closes_a_client_that_does_not_read_after_the_idle_timeout)
{
    /* Its echo is stuck in a send in flight: closing it must end that send too, or the
     * connection's memory could never be freed. */
    struct server server =
        server_start(harness_program(), "listening on ", "--idle-timeout", "1", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    char port[8], expected[64];
    client_local_port(hog, port, sizeof port);
    size_t sent = client_send_until_stuck(hog, 21);
    printf("stuck after %lu bytes\n", (unsigned long)sent);
    snprintf(expected, sizeof expected, "closing 127.0.0.1:%s: nothing moved for 1 s", port);
    child_await(server.process, true, expected, 1, HARNESS_DEADLINE_MS);
    client_echo_random(server.host, server.port, 100000, 22);
    /* The client neither reads nor closes: only the cancellation can have ended the send.
     * Had it not, the stop would wait for it and say that it did not complete. */
    child_interrupt(server.process);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_NOT_CONTAINS(child_stderr(server.process), "did not complete");
    child_free(server.process);
    closesocket(hog);
}

static const struct test_case tests[] = {
    TEST_CASE(closes_a_client_that_does_not_read_after_the_idle_timeout),
};
TEST_MAIN(tests)
