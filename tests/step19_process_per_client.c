/**
 * @file step19_process_per_client.c
 * @brief Step 19 serves each client in a process of its own: every byte echoed, no zombie and
 *        no descriptor left after hundreds of clients, a child's death ends that client only,
 *        the children do not keep the port, --max-clients bounds them, Ctrl-C stops them all.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

/** Waits up to @p timeout_ms until the server has no child process left; fails otherwise. */
static void expect_no_children_left(struct child *server, int timeout_ms)
{
    long pids[8];
    int zombies = 0;
    long long deadline = harness_now_ms() + timeout_ms;
    int count = child_descendants(server, pids, 8, &zombies);
    while (count > 0) {
        if (harness_now_ms() >= deadline)
            harness_fail(__FILE__, __LINE__,
                         "%d child processes left (%d of them zombies: ended, "
                         "never reaped with waitpid())",
                         count, zombies);
        net_sleep_ms(20);
        count = child_descendants(server, pids, 8, &zombies);
    }
}

TEST(serves_200_clients_in_turn_and_leaves_no_zombie_or_descriptor)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    client_echo_random(server.host, server.port, 100, 1); /* a first one, then count */
    child_await(server.process, false, "served ", 1, HARNESS_DEADLINE_MS);
    expect_no_children_left(server.process, HARNESS_DEADLINE_MS);
    int before = child_settled(server.process, child_open_descriptors);
    for (int i = 0; i < 200; i++)
        client_echo_random(server.host, server.port, 1 + (size_t)i * 97 % 20000, 2 + (unsigned)i);
    child_await(server.process, false, "served ", 201, HARNESS_DEADLINE_MS);
    /* Every child ended and was reaped; the parent kept no copy of any connection. */
    expect_no_children_left(server.process, HARNESS_DEADLINE_MS);
    int after = child_settled(server.process, child_open_descriptors);
    printf("the parent's descriptors: %d before, %d after 200 clients\n", before, after);
    ASSERT_EQ(after, before);
    server_stop(&server);
}

TEST(serves_100_clients_at_once_and_reaps_every_child)
{
    /* Many children end within a moment of each other: one SIGCHLD may stand for several, and
     * each must still be reaped. */
    struct server server =
        server_start(harness_program(), "listening on ", "--max-clients", "200", NULL);
    client_echo_many(server.host, server.port, 100, 20000, 3, HARNESS_DEADLINE_MS * 2);
    child_await(server.process, false, "served ", 100, HARNESS_DEADLINE_MS);
    /* Within a few turns of the server's loop (200 ms each), not one child per turn. */
    expect_no_children_left(server.process, 2000);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    server_stop(&server);
}

TEST(a_child_killed_ends_its_client_only)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET victim = client_connect(server.host, server.port);
    char byte = 'x';
    client_send_all(victim, &byte, 1);
    ASSERT_EQ(net_wait_readable(victim, HARNESS_DEADLINE_MS), 1);
    ASSERT_EQ(recv(victim, &byte, 1, 0), 1); /* a child serves it now */
    long pids[4];
    int zombies = 0;
    ASSERT_EQ(child_descendants(server.process, pids, 4, &zombies), 1);
    harness_kill_process(pids[0]); /* as a crash would end it: no shutdown(), no clean-up */
    /* The child held the only other copy of the connection: its client reads the end. */
    char buf[16];
    size_t got = 0;
    ASSERT_EQ(client_recv_until_closed(victim, buf, sizeof buf, &got, HARNESS_DEADLINE_MS), 0);
    closesocket(victim);
    child_await(server.process, true, "was killed by signal 9", 1, HARNESS_DEADLINE_MS);
    /* The server goes on. */
    client_echo_random(server.host, server.port, 5000, 4);
    expect_no_children_left(server.process, HARNESS_DEADLINE_MS);
    server_stop(&server);
}

TEST(children_do_not_keep_the_port_when_the_server_is_gone)
{
    /* A child serving a client outlives the server: the port must close with the server,
     * not stay open in the child, queueing connections that nobody will accept. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET client = client_connect(server.host, server.port);
    char byte = 'x';
    client_send_all(client, &byte, 1);
    ASSERT_EQ(net_wait_readable(client, HARNESS_DEADLINE_MS), 1);
    ASSERT_EQ(recv(client, &byte, 1, 0), 1);
    long pids[4];
    int zombies = 0;
    ASSERT_EQ(child_descendants(server.process, pids, 4, &zombies), 1);
    long orphan = pids[0];
    child_free(server.process); /* SIGKILL: no clean-up, no word to the children */
    /* Nothing listens there any more, although the orphaned child still runs. */
    ASSERT_EQ(client_connect_error_on_reserved(server.host, server.port), ERROR_CODE(ECONNREFUSED));
    /* It still serves its client, and ends when the client does. */
    client_echo_exchange(client, "still here", 10, HARNESS_DEADLINE_MS);
    closesocket(client);
    (void)orphan;
}

TEST(ctrl_c_stops_the_server_and_its_children)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET idle[3];
    for (int i = 0; i < 3; i++) {
        char byte = 'x';
        idle[i] = client_connect(server.host, server.port);
        client_send_all(idle[i], &byte, 1);
        ASSERT_EQ(net_wait_readable(idle[i], HARNESS_DEADLINE_MS), 1);
        ASSERT_EQ(recv(idle[i], &byte, 1, 0), 1);
    }
    child_interrupt(server.process); /* the server; it asks its children to stop */
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 3 clients\n");
    ASSERT_EQ(harness_count(child_stderr(server.process), "stopping: closing the connection to "),
              3);
    for (int i = 0; i < 3; i++) {
        char buf[8];
        size_t got = 0;
        ASSERT_EQ(client_recv_until_closed(idle[i], buf, sizeof buf, &got, HARNESS_DEADLINE_MS), 0);
        closesocket(idle[i]);
    }
    child_free(server.process);
}

TEST(exits_after_the_number_of_clients_given)
{
    struct server server = server_start(harness_program(), "listening on ", "--clients", "3", NULL);
    for (int i = 0; i < 3; i++)
        client_echo_random(server.host, server.port, 1000, 10 + (unsigned)i);
    server_expect_exit_after(&server, 3);
}

static const struct test_case tests[] = {
    TEST_CASE(serves_200_clients_in_turn_and_leaves_no_zombie_or_descriptor),
    TEST_CASE(serves_100_clients_at_once_and_reaps_every_child),
    TEST_CASE(a_child_killed_ends_its_client_only),
    TEST_CASE(children_do_not_keep_the_port_when_the_server_is_gone),
    TEST_CASE(ctrl_c_stops_the_server_and_its_children),
    TEST_CASE(exits_after_the_number_of_clients_given),
};
TEST_MAIN(tests)
