/**
 * @file step08_accept_loop.c
 * @brief Step 8 serves client after client; one client's trouble ends that client only; it
 *        stops after --clients N. Registered for steps 8 to 10, which all do this, and for
 *        the poll loop of step 13, which does it for many clients at once.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(serves_several_clients_in_sequence)
{
    struct server server = server_start(harness_program(), "listening on ", "--clients", "5", NULL);
    static const size_t sizes[] = {1, 1000, 65536, 0, 200000};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        client_echo_random(server.host, server.port, sizes[i], i + 1);
        server_expect_served(&server, sizes[i]);
    }
    ASSERT_STR_EQ(child_stderr(server.process), "");
    server_expect_exit_after(&server, 5);
}

TEST(echoes_8_mib_byte_for_byte)
{
    /* Far more than the socket buffers hold: only correct partial sends get it all back. */
    struct server server = server_start(harness_program(), "listening on ", "--clients", "1", NULL);
    client_echo_random(server.host, server.port, 8u << 20, 8);
    server_expect_served(&server, 8u << 20);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    child_free(server.process);
}

TEST(survives_a_client_that_resets_mid_transfer)
{
    /* No --clients: whether a client reset while still queued is ever accepted, and so
     * counted, depends on the system. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    char data[64 * 1024];
    harness_fill_random(data, sizeof data, 9);
    SOCKET rude = client_connect(server.host, server.port);
    client_send_all(rude, data, sizeof data);
    client_reset(rude); /* RST while the server is still reading or echoing */
    /* The server names the failed call and the client, then goes on. */
    child_await(server.process, true, " failed: ", 1, HARNESS_DEADLINE_MS);
    char name[64];
    harness_program_name(harness_program(), name, sizeof name);
    ASSERT_STARTS_WITH(child_stderr(server.process), name);
    client_echo_random(server.host, server.port, 100000, 10);
    server_expect_served(&server, 100000);
    child_free(server.process); /* how it stops is step 9's subject */
}

TEST(survives_a_client_that_leaves_without_reading)
{
    /* The client sends and closes at once. Its system answers the echo with a reset, so the
     * server's later send() fails: EPIPE on POSIX, which must not raise a fatal SIGPIPE. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    char data[64 * 1024];
    harness_fill_random(data, sizeof data, 11);
    for (int i = 0; i < 3; i++) {
        SOCKET leaver = client_connect(server.host, server.port);
        client_send_all(leaver, data, sizeof data);
        closesocket(leaver);
    }
    client_echo_random(server.host, server.port, 5000, 12);
    /* Whether each leaver was served or failed depends on timing; the last one is served. */
    while (strstr(child_expect_line_hint(server.process, "served ", HARNESS_DEADLINE_MS,
                                         "The last client's line, `served ADDRESS: echoed 5000 "
                                         "bytes`, is the one awaited; the clients before it "
                                         "left without reading."),
                  ": echoed 5000 bytes") == NULL)
        continue;
    child_free(server.process); /* how it stops is step 9's subject */
}

TEST(stops_after_the_number_of_clients_given)
{
    struct server server = server_start(harness_program(), "listening on ", "--clients", "2", NULL);
    client_echo_random(server.host, server.port, 10, 1);
    client_echo_random(server.host, server.port, 20, 2);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 2 clients\n");
    client_expect_refused_on_reserved(server.host, server.port);
    child_free(server.process);
}

TEST(serves_ipv6_clients)
{
    struct server server =
        server_start(harness_program(), "listening on ", "--host", "::1", "--clients", "1", NULL);
    ASSERT_STR_EQ(server.host, "::1");
    client_echo_random(server.host, server.port, 3000, 13);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    ASSERT_CONTAINS(child_stdout(server.process), "served [::1]:");
    child_free(server.process);
}

TEST(out_of_descriptors_pauses_and_recovers)
{
    if (getenv("HARNESS_WRAPPER") != NULL)
        harness_skip("a wrapper such as valgrind needs descriptors of its own");
    /* No more descriptors than the server holds once it listens: stdin, stdout, stderr and the
     * listening socket, and on Linux whatever else the step keeps open (step 19's pipe), as a
     * first run shows. accept() has no descriptor left. */
    unsigned long held = 4;
#ifdef __linux__
    struct server counted = server_start(harness_program(), "listening on ", NULL);
    held = (unsigned long)child_open_descriptors(counted.process);
    child_free(counted.process);
#endif
    child_limit_open_files(held);
    struct server server = server_start(harness_program(), "listening on ", "--clients", "1", NULL);
    child_limit_open_files(0);
    SOCKET client = client_connect(server.host, server.port); /* queued by the kernel */

    char failure[64];
    snprintf(failure, sizeof failure, "accept failed: %s", ERROR_NAME(EMFILE));
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    child_await(server.process, true, failure, 1, HARNESS_DEADLINE_MS);
    long long first = harness_now_ms();
    long long left = deadline - first;
    child_await(server.process, true, failure, 3, left > 0 ? (int)left : 0);
    /* Three failures took at least two pauses (250 ms each): it waits, it does not spin. */
    long long ms_from_first_to_third_failure = harness_now_ms() - first;
    printf("3 accept failures in %lld ms\n", ms_from_first_to_third_failure);
    ASSERT_GE(ms_from_first_to_third_failure, 400);

    child_set_open_files_limit(server.process, 64);
    static const char message[] = "served at last";
    client_echo_exchange(client, message, strlen(message), HARNESS_DEADLINE_MS);
    server_expect_served(&server, strlen(message));
    closesocket(client);
    server_expect_exit_after(&server, 1);
}

TEST(echoes_what_netcat_sends)
{
#ifdef _WIN32
    /* The Windows build runs Windows programs (under Wine, here); nc is a Linux program. */
    harness_skip("nc is a program of Linux and macOS: the Windows build leaves this test out");
#else
    if (strcmp(harness_program_at(1), "NETCAT-NOTFOUND") == 0)
        harness_skip("nc (netcat-openbsd) was not found when the build was configured");
    struct server server = server_start(harness_program(), "listening on ", "--clients", "1", NULL);
    /* -N: shut down the sending side at the end of input, as our own clients do. */
    struct child *nc = child_start(harness_program_at(1), "-N", server.host, server.port, NULL);
    child_write(nc, "hello from netcat\n");
    child_close_stdin(nc);
    child_expect_exit(nc, 0, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stdout(nc), "hello from netcat\n");
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    child_free(nc);
    child_free(server.process);
#endif
}

static const struct test_case tests[] = {
    TEST_CASE(serves_several_clients_in_sequence),
    TEST_CASE(echoes_8_mib_byte_for_byte),
    TEST_CASE(survives_a_client_that_resets_mid_transfer),
    TEST_CASE(survives_a_client_that_leaves_without_reading),
    TEST_CASE(stops_after_the_number_of_clients_given),
    TEST_CASE(serves_ipv6_clients),
    TEST_CASE(out_of_descriptors_pauses_and_recovers),
    TEST_CASE(echoes_what_netcat_sends),
};
TEST_MAIN(tests)
