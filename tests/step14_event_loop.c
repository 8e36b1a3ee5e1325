/**
 * @file step14_event_loop.c
 * @brief Step 14's own tests: an idle client costs a few hundred bytes; the listener closes
 *        once the last client it will serve is in; out of descriptors, the clients already in
 *        are served without a pause. What it shares with the other servers of many clients is
 *        in many_clients.c and client_limit.c.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(an_idle_client_costs_a_few_hundred_bytes)
{
    /* 1000 clients connect and say nothing. The server holds a struct for each, and no
     * buffer: what the server's resident memory grows by, per client, is its whole cost
     * (the kernel's socket buffers are not counted in it). */
    enum { CLIENTS = 1000 };
    harness_need_descriptors(2 * CLIENTS + 100); /* ours, and the server's */
    struct server server =
        server_start(harness_program(), "listening on ", "--max-clients", "2000", NULL);
    client_echo_many(server.host, server.port, 20, 100, 22, HARNESS_DEADLINE_MS);
    int descriptors = child_settled(server.process, child_open_descriptors);
    long before = child_resident_kib(server.process);
    static SOCKET idle[CLIENTS];
    server_connect_idle_clients(&server, idle, CLIENTS, descriptors);
    long after = child_resident_kib(server.process);
    long bytes_each = (after - before) * 1024 / CLIENTS;
    printf("resident memory: %ld KiB before, %ld KiB with %d idle clients: %ld bytes each\n",
           before, after, CLIENTS, bytes_each);
    ASSERT_TRUE(bytes_each <= 1024);
    for (int i = 0; i < CLIENTS; i++)
        closesocket(idle[i]);
    server_stop(&server);
}

TEST(stops_listening_once_the_last_client_it_will_serve_is_in)
{
    struct server server = server_start(harness_program(), "listening on ", "--clients", "2", NULL);
    SOCKET clients[2];
    for (int i = 0; i < 2; i++) {
        clients[i] = client_connect(server.host, server.port);
        client_echo_byte(clients[i], 'x');
    }
    /* Both are still being served, and the server still runs: a third is refused, not
     * queued for a server that will never accept it. */
    ASSERT_EQ(client_connect_error(server.host, server.port), ERROR_CODE(ECONNREFUSED));
    for (int i = 0; i < 2; i++) {
        client_echo_exchange(clients[i], "", 0, HARNESS_DEADLINE_MS);
        closesocket(clients[i]);
    }
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 2 clients\n");
    child_free(server.process);
}

TEST(out_of_descriptors_the_clients_already_in_are_served_without_a_pause)
{
    if (getenv("HARNESS_WRAPPER") != NULL)
        harness_skip("a wrapper such as valgrind needs descriptors of its own");
    /* What an idle server holds, and one client: the next accept() fails with EMFILE. */
    child_limit_open_files(0); /* no limit yet; skips where there is no such limit */
    struct server probe = server_start(harness_program(), "listening on ", NULL);
    unsigned long idle = (unsigned long)child_open_descriptors(probe.process);
    server_stop(&probe);
    child_limit_open_files(idle + 1);
    struct server server = server_start(harness_program(), "listening on ", NULL);
    child_limit_open_files(0);
    SOCKET first = client_connect(server.host, server.port);
    client_echo_byte(first, 'a'); /* served: it holds the last descriptor */
    SOCKET second = client_connect(server.host, server.port); /* waits in the backlog */
    char failure[64];
    snprintf(failure, sizeof failure, "accept failed: %s", ERROR_NAME(EMFILE));
    child_await(server.process, true, failure, 1, HARNESS_DEADLINE_MS);

    /* The loop pauses its accepting for 250 ms at a time. Had it slept instead, each of these
     * echoes would wait for the end of a pause: 10 of them, more than a second. */
    long long start = harness_now_ms();
    for (int i = 0; i < 10; i++)
        client_echo_byte(first, (char)('0' + i));
    long long elapsed = harness_now_ms() - start;
    printf("10 echoes in %lld ms while accept() fails\n", elapsed);
    ASSERT_LT(elapsed, 1000);

    client_echo_exchange(first, "", 0, HARNESS_DEADLINE_MS);
    closesocket(first);
    client_echo_exchange(second, "at last", 7, HARNESS_DEADLINE_MS);
    closesocket(second);
    server_stop(&server);
}

static const struct test_case tests[] = {
    TEST_CASE(an_idle_client_costs_a_few_hundred_bytes),
    TEST_CASE(stops_listening_once_the_last_client_it_will_serve_is_in),
    TEST_CASE(out_of_descriptors_the_clients_already_in_are_served_without_a_pause),
};
TEST_MAIN(tests)
