/**
 * @file step15_completion_loop.c
 * @brief Step 15's own tests: one thread serves clients at once, a client that says nothing
 *        holds up nobody, a client that does not read its echo is not read from until it
 *        does, and out of descriptors the server pauses its accepts instead of spinning. What
 *        the completion steps share is in completion_ports.c.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

TEST(stops_reading_a_client_that_does_not_read_and_resumes_when_it_does)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    size_t sent = client_send_until_stuck(hog, 5);
    /* What the server holds is bounded: what went is the kernel buffers on both sides plus
     * the server's own buffer, not everything the client could send. */
    printf("sent %lu bytes before the connection took no more\n", (unsigned long)sent);
    ASSERT_TRUE(sent < (64u << 20));

    /* Now read: the echo is exactly what was sent, and more goes through again. */
    char *expected = malloc(sent);
    char *got = malloc(sent);
    ASSERT_TRUE(expected != NULL && got != NULL);
    for (size_t at = 0; at < sent; at += 65536)
        harness_fill_random(expected + at, sent - at < 65536 ? sent - at : 65536, 5);
    ASSERT_EQ(shutdown(hog, SD_SEND), 0);
    size_t received = 0;
    ASSERT_EQ(client_recv_until_closed(hog, got, sent, &received, HARNESS_DEADLINE_MS * 2), 0);
    ASSERT_EQ(received, sent);
    ASSERT_TRUE(memcmp(expected, got, sent) == 0);
    free(expected);
    free(got);
    closesocket(hog);
    server_stop(&server);
}

/** How many descriptors the server holds before any client connects: stdin, stdout,
 *  stderr and the listener, and whatever its model needs besides (an io_uring is one). */
static unsigned long descriptors_of_an_idle_server(void)
{
    struct server probe = server_start(harness_program(), "listening on ", NULL);
    int count = child_open_descriptors(probe.process); /* skips where it cannot count */
    server_stop(&probe);
    return (unsigned long)count;
}

TEST(out_of_descriptors_neither_stops_nor_spins)
{
    if (getenv("HARNESS_WRAPPER") != NULL)
        harness_skip("a wrapper such as valgrind needs descriptors of its own");
    /* What the server holds, and one client: the next accept() fails. */
    child_limit_open_files(0); /* no limit yet; skips where there is no such limit */
    unsigned long idle = descriptors_of_an_idle_server();
    child_limit_open_files(idle + 1);
    struct server server = server_start(harness_program(), "listening on ", NULL);
    child_limit_open_files(0);
    SOCKET first = client_connect(server.host, server.port);
    client_send_all(first, "a", 1);
    char byte;
    ASSERT_EQ(net_wait_readable(first, HARNESS_DEADLINE_MS), 1);
    ASSERT_EQ(recv(first, &byte, 1, 0), 1); /* served: it holds the last descriptor */
    SOCKET second = client_connect(server.host, server.port); /* waits in the backlog */

    char failure[64];
    snprintf(failure, sizeof failure, "accept failed: %s", ERROR_NAME(EMFILE));
    child_await(server.process, true, failure, 1, HARNESS_DEADLINE_MS);
    long long cpu_before = child_cpu_time_ms(server.process);
    long long start = harness_now_ms();
    int reports_before = harness_count(child_stderr(server.process), failure);
    /* The first client is still served while the second waits. */
    client_send_all(first, "b", 1);
    ASSERT_EQ(net_wait_readable(first, HARNESS_DEADLINE_MS), 1);
    ASSERT_EQ(recv(first, &byte, 1, 0), 1);
    ASSERT_EQ(byte, 'b');
    child_await(server.process, true, failure, reports_before + 4, HARNESS_DEADLINE_MS);
    long long elapsed = harness_now_ms() - start;
    long long cpu = child_cpu_time_ms(server.process) - cpu_before;
    int reports = harness_count(child_stderr(server.process), failure) - reports_before;
    printf("%d more accept failures in %lld ms, using %lld ms of processor time\n", reports,
           elapsed, cpu);
    /* It retries every 250 ms: a loop that polled the listener again at once would report
     * thousands of failures and burn the processor. */
    ASSERT_TRUE(reports <= elapsed / 200 + 2);
    ASSERT_TRUE(cpu < elapsed / 4 + 20);

    /* When the first client leaves, the second is accepted and served. */
    client_echo_exchange(first, "", 0, HARNESS_DEADLINE_MS);
    closesocket(first);
    client_echo_exchange(second, "at last", 7, HARNESS_DEADLINE_MS);
    closesocket(second);
    server_stop(&server);
}

static const struct test_case tests[] = {
    TEST_CASE(serves_a_client_while_another_is_in_the_middle_of_its_message),
    TEST_CASE(a_client_that_says_nothing_holds_up_nobody),
    TEST_CASE(echoes_100_clients_at_once_byte_for_byte),
    TEST_CASE(stops_reading_a_client_that_does_not_read_and_resumes_when_it_does),
    TEST_CASE(out_of_descriptors_neither_stops_nor_spins),
};
TEST_MAIN(tests)
