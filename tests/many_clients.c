/**
 * @file many_clients.c
 * @brief What every server of many clients at once must do, registered under each
 *        step's label: serve hundreds of clients at once; let a silent client, or one that
 *        does not read, hold up nobody; close a silent client after --idle-timeout and only
 *        it; close every socket it opened; survive a flood with
 *        few descriptors; neither stop nor spin when out of descriptors; stop cleanly on
 *        Ctrl-C under load.
 *
 * CMake runs it as `many_clients TEST PROGRAM [SERVER OPTION]`: step 12 passes its
 * `--max-clients`, so that every client of the big tests has a thread at once. Step 13, the
 * first poll loop, runs only the tests that need neither `--idle-timeout` nor
 * `--max-clients` nor a pause of the accepting alone: step 14 adds those.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/**
 * How many clients connect at once in the big test: a thread each in step 12, as many
 * sockets in the poll set of steps 13 and 14 (far past the 64 that select() takes on Windows
 * by default). Wine: measured on this project's 2-core machine with Wine 8.0, both servers
 * (steps 12 and 14) get every byte back to 1000 clients at once (the thread server in 12.6 s,
 * the event loop in 4.2 s), 2000 (29 s and 31 s) and 4000 (92 s and 83 s): Wine's sockets go
 * through its wineserver, so the time grows faster than the count. The test stays at 500
 * there too, a few seconds.
 */
#define MANY_CLIENTS 500

/** The server option CMake gave for this step, or NULL (which ends server_start()'s list). */
static const char *server_option(void)
{
    if (harness_program_count() < 2)
        return NULL;
    /* Valgrind runs at most 500 threads (--max-threads): under it, a thread-per-client
     * server takes 200 clients at a time and the others wait their turn in the backlog. */
    if (getenv("HARNESS_WRAPPER") != NULL &&
        strncmp(harness_program_at(1), "--max-clients", 13) == 0)
        return "--max-clients=200";
    return harness_program_at(1);
}

TEST(echoes_500_clients_at_once_byte_for_byte)
{
    struct server server = server_start(harness_program(), "listening on ", server_option(), NULL);
    /* All connect first, then all send, read and check at once: 1 to 16384 bytes each. */
    client_echo_many(server.host, server.port, MANY_CLIENTS, 16384, 1, HARNESS_DEADLINE_MS * 4);
    child_await(server.process, false, "served ", MANY_CLIENTS, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    server_stop(&server);
}

TEST(exits_after_the_number_of_clients_given)
{
    /* --clients ends the server without Ctrl-C: the way it ends under Wine too. */
    struct server server =
        server_start(harness_program(), "listening on ", "--clients", "50", NULL);
    client_echo_many(server.host, server.port, 50, 100000, 2, HARNESS_DEADLINE_MS * 2);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 50 clients\n");
    child_free(server.process);
}

TEST(an_idle_client_and_one_that_does_not_read_hold_up_nobody)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET idle = client_connect(server.host, server.port);
    SOCKET hog = client_connect(server.host, server.port);
    size_t stuck_after = client_send_until_stuck(hog, 3);
    printf("the client that does not read got stuck after %lu bytes\n", (unsigned long)stuck_after);
    /* Meanwhile everybody else is served as usual. */
    client_echo_many(server.host, server.port, 100, 50000, 4, HARNESS_DEADLINE_MS * 2);
    closesocket(idle);
    closesocket(hog);
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

TEST(survives_a_flood_with_few_descriptors)
{
    if (getenv("HARNESS_WRAPPER") != NULL)
        harness_skip("a wrapper such as valgrind needs descriptors of its own");
    /* 32 descriptors: stdin, stdout, stderr, the listener, and room for 28 clients. */
    child_limit_open_files(32);
    struct server server = server_start(harness_program(), "listening on ", NULL);
    child_limit_open_files(0);
    /* 40 connections that stay silent: the server accepts 28 of them, then accept() fails
     * with EMFILE and the others wait in the backlog. */
    SOCKET silent[40];
    for (int i = 0; i < 40; i++)
        silent[i] = client_connect(server.host, server.port);
    char failure[64];
    snprintf(failure, sizeof failure, "accept failed: %s", ERROR_NAME(EMFILE));
    child_await(server.process, true, failure, 1, HARNESS_DEADLINE_MS);
    /* 100 more join the queue; when the silent ones leave, everybody is served. */
    struct echo_load *load = echo_load_start(server.host, server.port, 100, 5000, 6);
    for (int i = 0; i < 40; i++)
        closesocket(silent[i]);
    echo_load_expect_all_echoed(load, HARNESS_DEADLINE_MS * 4);
    echo_load_free(load);
    /* And afterwards it serves as if nothing happened. */
    client_echo_random(server.host, server.port, 100000, 7);
    client_echo_many(server.host, server.port, 20, 5000, 8, HARNESS_DEADLINE_MS);
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

TEST(silent_clients_at_the_limit_are_closed_after_the_idle_timeout)
{
    /* Two silent clients fill the server (--max-clients 2); the third waits in the backlog
     * until the idle timeout has closed one of them, not for ever. */
    struct server server = server_start(harness_program(), "listening on ", "--max-clients", "2",
                                        "--idle-timeout", "1", NULL);
    long long start = harness_now_ms();
    SOCKET silent[2];
    for (int i = 0; i < 2; i++)
        silent[i] = client_connect(server.host, server.port);
    child_expect_line(server.process, "2 clients at once: new connections wait until one leaves",
                      HARNESS_DEADLINE_MS);
    client_echo_random(server.host, server.port, 3000, 21);
    long long elapsed = harness_now_ms() - start;
    printf("the third client was served after %lld ms\n", elapsed);
    ASSERT_TRUE(elapsed >= 1000);
    /* Both silent ones are closed, the second one at about the same time. */
    child_await(server.process, true, ": nothing moved for 1 s\n", 2, HARNESS_DEADLINE_MS);
    for (int i = 0; i < 2; i++)
        closesocket(silent[i]);
    server_stop(&server);
}

TEST(ctrl_c_exits_0_under_load)
{
    struct server server = server_start(harness_program(), "listening on ", server_option(), NULL);
    /* 200 clients with up to 1 MiB each: still busy when Ctrl-C arrives. */
    struct echo_load *load = echo_load_start(server.host, server.port, 200, 1 << 20, 9);
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (echo_load_receiving(load) < 100) {
        ASSERT_TRUE(harness_now_ms() < deadline);
        echo_load_run(load, 10);
    }
    child_interrupt(server.process);
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after ");
    /* Every client has its echo or saw the connection end: none is left hanging. */
    ASSERT_EQ(echo_load_run(load, HARNESS_DEADLINE_MS), 0);
    printf("%d clients echoed in full, %d cut off by the stop\n", echo_load_echoed(load),
           echo_load_failed(load));
    echo_load_free(load);
    child_free(server.process);
}

TEST(descriptors_return_to_where_they_started)
{
    struct server server = server_start(harness_program(), "listening on ", server_option(), NULL);
    int before = 0, after = 0;
    server_count_around_2000_clients(&server, "open descriptors", child_open_descriptors, &before,
                                     &after);
    ASSERT_EQ(after, before);
    server_stop(&server);
}

TEST(closes_a_silent_client_after_the_idle_timeout)
{
    struct server server = server_start(harness_program(), "listening on ", "--idle-timeout", "1",
                                        server_option(), NULL);
    /* A client that talks is not idle, though it takes longer than the timeout in all. It
     * connects first: only what it says moves it behind the silent one in the server's
     * list, which the server reads from the oldest activity on. */
    SOCKET talker = client_connect(server.host, server.port);
    client_echo_byte(talker, 'x');
    long long start = harness_now_ms();
    SOCKET silent = client_connect(server.host, server.port);
    for (int i = 0; i < 3; i++) {
        client_echo_byte(talker, 'x');
        ASSERT_EQ(net_wait_readable(talker, 600), 0); /* nothing more, then talk again */
    }
    server_expect_idle_close(&server, silent, start);
    client_echo_exchange(talker, "still here", 10, HARNESS_DEADLINE_MS);
    closesocket(talker);
    closesocket(silent);
    server_stop(&server);
}

static const struct test_case tests[] = {
    TEST_CASE(echoes_500_clients_at_once_byte_for_byte),
    TEST_CASE(exits_after_the_number_of_clients_given),
    TEST_CASE(an_idle_client_and_one_that_does_not_read_hold_up_nobody),
    TEST_CASE(stops_reading_a_client_that_does_not_read_and_resumes_when_it_does),
    TEST_CASE(descriptors_return_to_where_they_started),
    TEST_CASE(survives_a_flood_with_few_descriptors),
    TEST_CASE(out_of_descriptors_neither_stops_nor_spins),
    TEST_CASE(closes_a_silent_client_after_the_idle_timeout),
    TEST_CASE(silent_clients_at_the_limit_are_closed_after_the_idle_timeout),
    TEST_CASE(ctrl_c_exits_0_under_load),
};
TEST_MAIN(tests)
