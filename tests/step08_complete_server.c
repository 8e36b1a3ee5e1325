/**
 * @file step08_complete_server.c
 * @brief Step 8 serves client after client; one client's trouble ends that client only; it
 *        stops after --clients N or on Ctrl-C, cleanly.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Waits for the server's line about one served client and checks its byte count. */
static void expect_served(const struct server *server, size_t bytes)
{
    char suffix[64];
    const char *line = child_expect_line(server->process, "served ", HARNESS_DEADLINE_MS);
    snprintf(suffix, sizeof suffix, ": echoed %lu bytes", (unsigned long)bytes);
    ASSERT_TRUE(strlen(line) > strlen(suffix));
    ASSERT_STR_EQ(line + strlen(line) - strlen(suffix), suffix);
}

/** Checks that a server started with `--clients N` exits 0 after its N clients. */
static void expect_exit_after(struct server *server, const char *clients)
{
    char expected[64];
    snprintf(expected, sizeof expected, "shut down after %s client%s\n", clients,
             strcmp(clients, "1") == 0 ? "" : "s");
    ASSERT_EQ(child_wait(server->process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server->process), expected);
    child_free(server->process);
}

TEST(serves_several_clients_in_sequence)
{
    struct server server = server_start(harness_program(), "listening on ", "--clients", "5", NULL);
    static const size_t sizes[] = {1, 1000, 65536, 0, 200000};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        client_echo_random(server.host, server.port, sizes[i], i + 1);
        expect_served(&server, sizes[i]);
    }
    ASSERT_STR_EQ(child_stderr(server.process), "");
    expect_exit_after(&server, "5");
}

TEST(echoes_8_mib_byte_for_byte)
{
    /* Far more than the socket buffers hold: only correct partial sends get it all back. */
    struct server server = server_start(harness_program(), "listening on ", "--clients", "1", NULL);
    client_echo_random(server.host, server.port, 8u << 20, 8);
    expect_served(&server, 8u << 20);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
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
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (strstr(child_stderr(server.process), " failed: ") == NULL) {
        ASSERT_TRUE(harness_now_ms() < deadline);
        net_sleep_ms(10);
    }
    ASSERT_STARTS_WITH(child_stderr(server.process), "08-complete-server: ");
    client_echo_random(server.host, server.port, 100000, 10);
    expect_served(&server, 100000);
    server_stop(&server);
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
    while (strstr(child_expect_line(server.process, "served ", HARNESS_DEADLINE_MS),
                  ": echoed 5000 bytes") == NULL)
        continue;
    server_stop(&server);
}

TEST(stops_after_the_number_of_clients_given)
{
    struct server server = server_start(harness_program(), "listening on ", "--clients", "2", NULL);
    client_echo_random(server.host, server.port, 10, 1);
    client_echo_random(server.host, server.port, 20, 2);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 2 clients\n");
    ASSERT_EQ(client_connect_error_on_reserved(server.host, server.port), ERROR_CODE(ECONNREFUSED));
    child_free(server.process);
}

TEST(serves_ipv6_clients)
{
    struct server server =
        server_start(harness_program(), "listening on ", "--host", "::1", "--clients", "1", NULL);
    ASSERT_STR_EQ(server.host, "::1");
    client_echo_random(server.host, server.port, 3000, 13);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server.process), "served [::1]:");
    child_free(server.process);
}

TEST(ctrl_c_stops_it_within_a_second_when_idle)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    long long start = harness_now_ms();
    child_interrupt(server.process);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    long long elapsed = harness_now_ms() - start;
    printf("stopped %lld ms after Ctrl-C\n", elapsed);
    /* The server looks at its stop flag every 200 ms; allow for a slow or emulated machine. */
    ASSERT_TRUE(elapsed < 3000);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 0 clients\n");
    child_free(server.process);
}

TEST(ctrl_c_closes_the_current_client_and_exits)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET idle = client_connect(server.host, server.port);
    client_send_all(idle, "x", 1);
    char echo[1];
    size_t got = 0;
    /* Wait for the echo: the server is now serving this client, which then stays silent. */
    ASSERT_EQ(recv(idle, echo, 1, 0), 1);
    child_interrupt(server.process);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing the connection to ");
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 1 client\n");
    client_recv_until_closed(idle, echo, sizeof echo, &got, HARNESS_DEADLINE_MS);
    ASSERT_EQ(got, 0);
    closesocket(idle);
    child_free(server.process);
}

TEST(out_of_descriptors_pauses_and_recovers)
{
    if (getenv("HARNESS_WRAPPER") != NULL)
        harness_skip("a wrapper such as valgrind needs descriptors of its own");
    /* stdin, stdout, stderr and the listening socket: accept() has no descriptor left. */
    child_limit_open_files(4);
    struct server server = server_start(harness_program(), "listening on ", "--clients", "1", NULL);
    child_limit_open_files(0);
    SOCKET client = client_connect(server.host, server.port); /* queued by the kernel */

    char failure[64];
    snprintf(failure, sizeof failure, "accept failed: %s", ERROR_NAME(EMFILE));
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (harness_count(child_stderr(server.process), failure) < 1) {
        ASSERT_TRUE(harness_now_ms() < deadline);
        net_sleep_ms(5);
    }
    long long first = harness_now_ms();
    while (harness_count(child_stderr(server.process), failure) < 3) {
        ASSERT_TRUE(harness_now_ms() < deadline);
        net_sleep_ms(5);
    }
    /* Three failures took at least two pauses (250 ms each): it waits, it does not spin. */
    long long elapsed = harness_now_ms() - first;
    printf("3 accept failures in %lld ms\n", elapsed);
    ASSERT_TRUE(elapsed >= 400);

    child_set_open_files_limit(server.process, 64);
    static const char message[] = "served at last";
    client_echo_exchange(client, message, strlen(message), HARNESS_DEADLINE_MS);
    expect_served(&server, strlen(message));
    closesocket(client);
    expect_exit_after(&server, "1");
}

TEST(echoes_what_netcat_sends)
{
    if (strcmp(harness_program_at(1), "NETCAT-NOTFOUND") == 0)
        harness_skip("nc (netcat-openbsd) was not found when the build was configured");
    struct server server = server_start(harness_program(), "listening on ", "--clients", "1", NULL);
    /* -N: shut down the sending side at the end of input, as our own clients do. */
    struct child *nc = child_start(harness_program_at(1), "-N", server.host, server.port, NULL);
    child_write(nc, "hello from netcat\n");
    child_close_stdin(nc);
    ASSERT_EQ(child_wait(nc, HARNESS_DEADLINE_MS), 0);
    ASSERT_STR_EQ(child_stdout(nc), "hello from netcat\n");
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    child_free(nc);
    child_free(server.process);
}

TEST(ctrl_c_stops_it_at_once_while_a_client_reads_nothing)
{
    /* The client sends without reading: the echo fills its receive buffer and the server's
     * send buffer, and the server waits for room to send. One Ctrl-C must end that wait. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    size_t stuck_after = client_send_until_stuck(hog, 14);
    printf("the client that reads nothing got stuck after %lu bytes\n", (unsigned long)stuck_after);
    long long start = harness_now_ms();
    child_interrupt(server.process);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    long long elapsed = harness_now_ms() - start;
    printf("stopped %lld ms after one Ctrl-C\n", elapsed);
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing the connection to ");
    /* An interrupted call is a reason to look at the stop flag, never a failure to report. */
    ASSERT_NOT_CONTAINS(child_stderr(server.process), " failed: ");
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 1 client\n");
    closesocket(hog);
    child_free(server.process);
}

TEST(closes_a_silent_client_after_the_idle_timeout_and_serves_the_next)
{
    struct server server = server_start(harness_program(), "listening on ", "--idle-timeout", "1",
                                        "--clients", "2", NULL);
    long long start = harness_now_ms();
    SOCKET silent = client_connect(server.host, server.port);
    /* The next client waits in the backlog while the silent one holds the server... */
    SOCKET next = client_connect(server.host, server.port);
    char buf[16];
    size_t got = 0;
    ASSERT_EQ(client_recv_until_closed(silent, buf, sizeof buf, &got, HARNESS_DEADLINE_MS), 0);
    long long elapsed = harness_now_ms() - start;
    printf("the silent client was closed after %lld ms\n", elapsed);
    ASSERT_EQ(got, 0);
    ASSERT_TRUE(elapsed >= 1000);
    ASSERT_CONTAINS(child_stderr(server.process), ": nothing moved for 1 s\n");
    /* ...and is served once the silent one is gone. */
    client_echo_exchange(next, "finally", 7, HARNESS_DEADLINE_MS);
    closesocket(next);
    closesocket(silent);
    expect_exit_after(&server, "2");
}

TEST(closes_a_client_that_reads_nothing_after_the_idle_timeout)
{
    struct server server =
        server_start(harness_program(), "listening on ", "--idle-timeout", "1", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    client_send_until_stuck(hog, 15); /* the server now waits for room to send, in vain */
    child_await(server.process, true, ": nothing moved for 1 s", 1, HARNESS_DEADLINE_MS);
    closesocket(hog);
    client_echo_random(server.host, server.port, 1000, 16);
    expect_served(&server, 1000);
    server_stop(&server);
}

TEST(survives_the_reader_of_its_output_going_away)
{
    /* As `08-complete-server | head -n 1`: whoever read the server's stdout has gone. The
     * next line the server writes fails (on POSIX with EPIPE, and a SIGPIPE that would kill
     * it); the server goes on serving. */
    struct server server = server_start(harness_program(), "listening on ", "--clients", "2", NULL);
    child_close_stdout_reader(server.process);
    client_echo_random(server.host, server.port, 5000, 17); /* its "served" line is lost */
    client_echo_random(server.host, server.port, 6000, 18);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    child_free(server.process);
}

TEST(restarts_at_once_on_the_port_its_last_run_used)
{
    /* The first run closes its client first (the idle timeout), so its side of that
     * connection waits out TIME_WAIT on the port after it has exited. */
    struct server first = server_start(harness_program(), "listening on ", "--idle-timeout", "1",
                                       "--clients", "1", NULL);
    SOCKET client = client_connect(first.host, first.port);
    char buf[16];
    size_t got = 0;
    ASSERT_EQ(client_recv_until_closed(client, buf, sizeof buf, &got, HARNESS_DEADLINE_MS), 0);
    closesocket(client);
    ASSERT_EQ(child_wait(first.process, HARNESS_DEADLINE_MS), 0);
    child_free(first.process);

    /* The second run binds the same port at once. */
    struct child *second =
        child_start(harness_program(), "--port", first.port, "--clients", "1", NULL);
    char expected[64];
    snprintf(expected, sizeof expected, "listening on 127.0.0.1:%s", first.port);
    ASSERT_STR_EQ(child_read_line(second, HARNESS_READY_MS), expected);
    client_echo_random("127.0.0.1", first.port, 100, 19);
    ASSERT_EQ(child_wait(second, HARNESS_DEADLINE_MS), 0);
    child_free(second);
}

TEST(an_ipv6_wildcard_server_leaves_ipv4_to_others)
{
    /* With IPV6_V6ONLY set, a server on [::] takes IPv6 only: the same port on 127.0.0.1 is
     * free for another program (Linux would otherwise give it to [::] as well). */
    struct server server =
        server_start(harness_program(), "listening on ", "--host", "::", "--clients", "1", NULL);
    ASSERT_STR_EQ(server.host, "::");
    ASSERT_EQ(client_connect_error_on_reserved("127.0.0.1", server.port), ERROR_CODE(ECONNREFUSED));
    client_echo_random("::1", server.port, 100, 20);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    child_free(server.process);
}

static const struct test_case tests[] = {
    TEST_CASE(ctrl_c_stops_it_at_once_while_a_client_reads_nothing),
    TEST_CASE(closes_a_silent_client_after_the_idle_timeout_and_serves_the_next),
    TEST_CASE(closes_a_client_that_reads_nothing_after_the_idle_timeout),
    TEST_CASE(survives_the_reader_of_its_output_going_away),
    TEST_CASE(restarts_at_once_on_the_port_its_last_run_used),
    TEST_CASE(an_ipv6_wildcard_server_leaves_ipv4_to_others),
    TEST_CASE(serves_several_clients_in_sequence),
    TEST_CASE(echoes_8_mib_byte_for_byte),
    TEST_CASE(survives_a_client_that_resets_mid_transfer),
    TEST_CASE(survives_a_client_that_leaves_without_reading),
    TEST_CASE(stops_after_the_number_of_clients_given),
    TEST_CASE(serves_ipv6_clients),
    TEST_CASE(ctrl_c_stops_it_within_a_second_when_idle),
    TEST_CASE(ctrl_c_closes_the_current_client_and_exits),
    TEST_CASE(out_of_descriptors_pauses_and_recovers),
    TEST_CASE(echoes_what_netcat_sends),
};
TEST_MAIN(tests)
