/**
 * @file step09_stop_cleanly.c
 * @brief Step 9 stops in order on Ctrl-C (on Windows, Ctrl-Break): at once when idle, and
 *        while a client is silent, which it closes. Registered for steps 9 and 10.
 */
#include "harness.h"

TEST(ctrl_c_stops_it_within_a_second_when_idle)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    long long ms_from_ctrl_c_to_exit = child_interrupt_and_time_exit(server.process);
    /* The server looks at its stop flag every 200 ms; allow for a slow or emulated machine. */
    ASSERT_LT(ms_from_ctrl_c_to_exit, 3000);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 0 clients\n");
    child_free(server.process);
}

TEST(ctrl_c_closes_the_current_client_and_exits)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET idle = client_connect(server.host, server.port);
    client_send_all(idle, "x", 1);
    /* Wait for the echo: the server is now serving this client, which then stays silent. */
    client_expect_bytes(idle, 1, HARNESS_DEADLINE_MS);
    child_interrupt(server.process);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing the connection to ");
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 1 client\n");
    client_expect_closed(idle, HARNESS_DEADLINE_MS);
    closesocket(idle);
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(ctrl_c_stops_it_within_a_second_when_idle),
    TEST_CASE(ctrl_c_closes_the_current_client_and_exits),
};
TEST_MAIN(tests)
