/**
 * @file completion_ports.c
 * @brief What the three completion steps (15, 16, 17) share, registered under each one's
 *        label: a client's failure is reported with its address while the others are served;
 *        Ctrl-C cancels what is in flight, sends to a client that reads nothing included, and
 *        says how many connections it closed; and (Linux) a missing io_uring reported with
 *        exit code 1. (The lessons of the complete server that the completion loop keeps are
 *        tested in server_basics.c.)
 *
 * CMake runs it as `completion_ports TEST PROGRAM LAUNCHER`: LAUNCHER is the helper
 * without_io_uring, or `none` where io_uring does not exist.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

TEST(reports_the_reset_of_a_waiting_client_and_goes_on)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET c = client_connect(server.host, server.port);
    char port[8], expected[96];
    client_local_port(c, port, sizeof port);
    client_echo_byte(c, 'r'); /* now a receive of the server waits on it */
    client_reset(c);
    /* The receive in flight completes with the error: `recv from 127.0.0.1:PORT failed:
     * ECONNRESET` on Linux, `WSARecv from ...: WSAECONNRESET` on Windows. */
    snprintf(expected, sizeof expected, "from 127.0.0.1:%s failed: %s (%d)", port,
             ERROR_NAME(ECONNRESET), ERROR_CODE(ECONNRESET));
    if (harness_under_wine()) {
        /* Wine 8 sometimes completes the receive as an orderly end instead (seen here). */
        char ended[64];
        snprintf(ended, sizeof ended, "served 127.0.0.1:%s:", port);
        long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
        while (strstr(child_stderr(server.process), expected) == NULL &&
               harness_now_ms() < deadline) {
            if (strstr(child_stdout(server.process), ended) != NULL)
                harness_skip("under Wine, the receive completed as an orderly end, not with "
                             "WSAECONNRESET");
            net_sleep_ms(10);
            child_pump_all();
        }
    }
    child_await(server.process, true, expected, 1, HARNESS_DEADLINE_MS);
    printf("%s", child_stderr(server.process));
    client_echo_many(server.host, server.port, 20, 20000, 23, HARNESS_DEADLINE_MS);
    server_stop(&server);
}

TEST(reports_a_reset_mid_transfer_and_goes_on)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    char port[8], expected[64];
    client_local_port(hog, port, sizeof port);
    client_send_until_stuck(hog, 21); /* the server's echo is stuck in a send */
    client_reset(hog);
    snprintf(expected, sizeof expected, "127.0.0.1:%s failed: ", port);
    child_await(server.process, true, expected, 1, HARNESS_DEADLINE_MS);
    printf("%s", child_stderr(server.process));
    client_echo_many(server.host, server.port, 20, 20000, 24, HARNESS_DEADLINE_MS);
    server_stop(&server);
}

TEST(ctrl_c_closes_the_connections_and_says_how_many)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET clients[3];
    for (int i = 0; i < 3; i++) {
        clients[i] = client_connect(server.host, server.port);
        client_echo_byte(clients[i], (char)('0' + i));
    }
    child_interrupt(server.process); /* skips where Ctrl-C cannot be delivered */
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing 3 connections\n");
    /* Every receive in flight was cancelled and completed: nothing left to the system. */
    ASSERT_NOT_CONTAINS(child_stderr(server.process), "did not complete");
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 3 clients\n");
    for (int i = 0; i < 3; i++) {
        char buf[8];
        size_t got = 0;
        client_recv_until_closed(clients[i], buf, sizeof buf, &got, HARNESS_DEADLINE_MS);
        ASSERT_EQ(got, 0);
        closesocket(clients[i]);
    }
    child_free(server.process);
}

TEST(ctrl_c_ends_a_send_in_flight_to_a_client_that_does_not_read)
{
    /* The client neither reads nor closes: its echo is stuck in a send in flight, which only
     * a cancellation can end. Had it not ended, the stop would wait for it and say that it
     * did not complete. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    size_t stuck_after = client_send_until_stuck(hog, 26);
    printf("the client that reads nothing got stuck after %lu bytes\n", (unsigned long)stuck_after);
    child_interrupt(server.process);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing 1 connection\n");
    ASSERT_NOT_CONTAINS(child_stderr(server.process), "did not complete");
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 1 client\n");
    child_free(server.process);
    closesocket(hog);
}

TEST(reports_a_missing_io_uring_and_exits_1)
{
    const char *launcher = harness_program_at(1);
    if (strcmp(launcher, "none") == 0)
        harness_skip("io_uring is Linux's");
    const char *errors[] = {"ENOSYS", "EPERM"};
    const char *texts[] = {"ENOSYS (38): Function not implemented",
                           "EPERM (1): Operation not permitted"};
    char name[64], expected[160];
    harness_program_name(harness_program(), name, sizeof name);
    for (int i = 0; i < 2; i++) {
        struct child *run = child_run(launcher, errors[i], harness_program(), "--port", "0", NULL);
        snprintf(expected, sizeof expected, "%s: io_uring_queue_init_params failed: %s\n", name,
                 texts[i]);
        ASSERT_STR_EQ(child_stderr(run), expected);
        ASSERT_STR_EQ(child_stdout(run), "");
        ASSERT_EQ(child_exit_code(run), 1);
        child_free(run);
    }
}

static const struct test_case tests[] = {
    TEST_CASE(reports_the_reset_of_a_waiting_client_and_goes_on),
    TEST_CASE(reports_a_reset_mid_transfer_and_goes_on),
    TEST_CASE(ctrl_c_closes_the_connections_and_says_how_many),
    TEST_CASE(ctrl_c_ends_a_send_in_flight_to_a_client_that_does_not_read),
    TEST_CASE(reports_a_missing_io_uring_and_exits_1),
};
TEST_MAIN(tests)
