/**
 * @file step19_process_per_client.c
 * @brief Step 19 keeps count of its children: every byte echoed, no zombie and no descriptor
 *        left after hundreds of clients, every child reaped however many end at once, a
 *        child's death reported and ending that client only, Ctrl-C stopping the children
 *        too, and no child left once the server has stopped or been killed.
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

/** Connects a client, and waits until a process serves it: one byte comes back. */
static SOCKET connect_served_client(const struct server *server)
{
    SOCKET client = client_connect(server->host, server->port);
    client_echo_byte(client, 'x');
    return client;
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

/** Waits up to @p timeout_ms until @p count of the server's children have ended and wait to
 *  be reaped (zombies); fails otherwise. */
static void await_zombies(struct child *server, int count, int timeout_ms)
{
    long pids[8];
    int zombies = 0;
    long long deadline = harness_now_ms() + timeout_ms;
    int children = child_descendants(server, pids, 8, &zombies);
    while (zombies < count) {
        if (harness_now_ms() >= deadline)
            harness_fail(__FILE__, __LINE__,
                         "expected %d ended children waiting for the stopped server; saw %d "
                         "children, %d of them ended",
                         count, children, zombies);
        net_sleep_ms(20);
        children = child_descendants(server, pids, 8, &zombies);
    }
}

TEST(reaps_every_child_when_one_sigchld_stands_for_many)
{
#ifdef _WIN32
    harness_skip("Windows has no SIGCHLD: the server waits on each child's process handle");
#endif
    /* A signal does not queue: while SIGCHLD is pending, more children ending add nothing.
     * How many endings share one SIGCHLD depends on timing; to leave nothing to chance, the
     * server is stopped (SIGSTOP) while 50 of its children end, then let go on: one SIGCHLD
     * then stands for all 50, and one wake-up must reap them all. */
    enum { CHILDREN = 50 };
    struct server server =
        server_start(harness_program(), "listening on ", "--max-clients", "200", NULL);
    SOCKET clients[CHILDREN];
    for (int i = 0; i < CHILDREN; i++)
        clients[i] = connect_served_client(&server);
    child_pause(server.process);
    for (int i = 0; i < CHILDREN; i++)
        closesocket(clients[i]); /* each child reads the end, and exits */
    await_zombies(server.process, CHILDREN, HARNESS_DEADLINE_MS);
    child_resume(server.process);
    /* Reaped within a few turns of the server's loop (200 ms each): reaping one child per
     * wake-up would leave more than 35 of them zombies after 2 s. */
    expect_no_children_left(server.process, 2000);
    child_await(server.process, false, "served ", CHILDREN, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stderr(server.process), "");
    server_stop(&server);
}

TEST(a_child_killed_ends_its_client_only)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET victim = connect_served_client(&server);
    long pids[4];
    ASSERT_EQ(harness_processes_started_by(child_pid(server.process), harness_program(), pids, 4),
              1);
    harness_kill_process(pids[0]); /* as a crash would end it: no shutdown(), no clean-up */
    /* The child held the only other handle to the connection: its client reads the end. */
    client_expect_closed(victim, HARNESS_DEADLINE_MS);
    closesocket(victim);
    /* The parent says how its child ended (POSIX: by signal 9; Windows: exit code 9). */
    child_await(server.process, true, "the process serving ", 1, HARNESS_DEADLINE_MS);
    /* The server goes on. */
    client_echo_random(server.host, server.port, 5000, 4);
    server_expect_served(&server, 5000);
    server_stop(&server);
}

TEST(children_do_not_keep_the_port_when_the_server_is_gone)
{
    /* A child serving a client, and its server killed: the port must close with the server,
     * not stay open in the child, queueing connections that nobody will accept. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET client = connect_served_client(&server);
    child_free(server.process); /* killed: no clean-up, no word to the children */
    ASSERT_EQ(client_connect_error_on_reserved(server.host, server.port), ERROR_CODE(ECONNREFUSED));
#ifdef _WIN32
    /* Windows: the child ends with the server (its pipe breaks, and its job closes); its
     * client reads the end. */
    client_expect_closed(client, HARNESS_DEADLINE_MS);
#else
    /* POSIX: the orphaned child still serves its client, and ends when the client does. */
    client_echo_exchange(client, "still here", 10, HARNESS_DEADLINE_MS);
#endif
    closesocket(client);
}

TEST(ctrl_c_stops_the_server_and_its_children)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    long pid = child_pid(server.process);
    SOCKET idle[3];
    for (int i = 0; i < 3; i++)
        idle[i] = connect_served_client(&server);
    child_interrupt(server.process); /* the server alone; it asks its children to stop */
    ASSERT_EQ(child_wait(server.process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server.process), "shut down after 3 clients\n");
    ASSERT_EQ(harness_count(child_stderr(server.process), "stopping: closing the connection to "),
              3);
    for (int i = 0; i < 3; i++) {
        client_expect_end_of_stream(idle[i], HARNESS_DEADLINE_MS);
        closesocket(idle[i]);
    }
    child_free(server.process);
    expect_no_process_started_by(pid, harness_program(), HARNESS_DEADLINE_MS);
}

TEST(ctrl_c_stops_it_at_once_while_a_client_reads_nothing)
{
    /* The child waits for room to send to a client that reads nothing; the parent's request
     * to stop must end that wait. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    client_send_until_stuck(hog, 14);
    child_interrupt(server.process);
    child_expect_exit(server.process, 0, HARNESS_DEADLINE_MS);
    ASSERT_CONTAINS(child_stderr(server.process), "stopping: closing the connection to ");
    ASSERT_NOT_CONTAINS(child_stderr(server.process), " failed: ");
    closesocket(hog);
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
    TEST_CASE(reaps_every_child_when_one_sigchld_stands_for_many),
    TEST_CASE(a_child_killed_ends_its_client_only),
    TEST_CASE(children_do_not_keep_the_port_when_the_server_is_gone),
    TEST_CASE(ctrl_c_stops_the_server_and_its_children),
    TEST_CASE(ctrl_c_stops_it_at_once_while_a_client_reads_nothing),
    TEST_CASE(exits_after_the_number_of_clients_given),
};
TEST_MAIN(tests)
