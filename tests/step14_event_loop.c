/**
 * @file step14_event_loop.c
 * @brief Step 14's own tests: an idle client costs a few hundred bytes, and the listener
 *        closes once the last client it will serve is in. What it shares with the other
 *        servers of many clients is in many_clients.c.
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

static const struct test_case tests[] = {
    TEST_CASE(an_idle_client_costs_a_few_hundred_bytes),
    TEST_CASE(stops_listening_once_the_last_client_it_will_serve_is_in),
};
TEST_MAIN(tests)
