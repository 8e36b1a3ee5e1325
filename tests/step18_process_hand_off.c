/**
 * @file step18_process_hand_off.c
 * @brief Step 18 hands each client to a process of its own: thousands of clients one after
 *        another, none reset, and no process left once the server has stopped or been killed;
 *        a child holds no listener and is the connection's only holder; a Windows child that
 *        gets no connection gives up; a child keeps step 10's idle timeout.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

/**
 * How many clients come one after another in the first test. Measured on this project's
 * 2-core machine (Debug builds): 2,000 take under a second on Linux, and 45 to 65 s under
 * Wine 8, where starting a process takes some 25 ms. By hand, 10,000 took 6 minutes under
 * Wine, and none was reset.
 */
#define SEQUENTIAL_CLIENTS 2000

/** The option that starts a Windows child, as steps/18-process-hand-off/main.c names it. */
#define CHILD_FLAG "--serve-inherited"

/** Connects a client, and waits until a process serves it: one byte comes back. */
static SOCKET connect_served_client(const struct server *server)
{
    SOCKET client = client_connect(server->host, server->port);
    client_echo_byte(client, 'x');
    return client;
}

TEST(serves_2000_clients_one_after_another_none_reset_and_leaves_no_process)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    long pid = child_pid(server.process);
    long long start = harness_now_ms();
    for (int i = 0; i < SEQUENTIAL_CLIENTS; i++) {
        /* Connect, echo a few bytes, close: a reset fails the test at once. */
        client_echo_random(server.host, server.port, 1 + (size_t)i % 64, 1 + (unsigned)i);
        child_pump_all(); /* the server's output, so that its pipe never fills */
    }
    printf("%d clients one after another in %lld ms\n", SEQUENTIAL_CLIENTS,
           harness_now_ms() - start);
    child_await(server.process, false, "served ", SEQUENTIAL_CLIENTS, HARNESS_DEADLINE_MS);
    /* Seen under Wine 8: CreateProcessW() fails now and then (a few times in 10,000 starts) with
     * ERROR_INTERNAL_ERROR; the server tries again, and the client does not notice. Windows
     * itself was not tried. Nothing else may be reported. */
    const char *errors = child_stderr(server.process);
    int wine_failures = harness_count(errors, "CreateProcessW failed: unknown error (1359)");
    if (wine_failures > 0 && harness_under_wine())
        printf("seen under Wine: CreateProcessW failed %d times, and was tried again\n",
               wine_failures);
    else
        ASSERT_STR_EQ(errors, "");
    ASSERT_EQ(harness_count(errors, "\n"), wine_failures);
    server_stop(&server);
    expect_no_process_started_by(pid, harness_program(), HARNESS_DEADLINE_MS);
}

TEST(children_do_not_keep_the_port_when_the_server_is_gone)
{
    /* A child serving a client outlives the server: the port must close with the server,
     * not stay open in the child, queueing connections that nobody will accept. */
    struct server server = server_start(harness_program(), "listening on ", NULL);
    SOCKET client = connect_served_client(&server);
    child_free(server.process); /* killed: no clean-up, no word to the children */
    /* Nothing listens there any more, although the orphaned child still runs. */
    ASSERT_EQ(client_connect_error_on_reserved(server.host, server.port), ERROR_CODE(ECONNREFUSED));
    /* It still serves its client, and ends when the client does. */
    client_echo_exchange(client, "still here", 10, HARNESS_DEADLINE_MS);
    closesocket(client);
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
    /* The server goes on. */
    client_echo_random(server.host, server.port, 5000, 4);
    server_expect_served(&server, 5000);
    server_stop(&server);
}

TEST(leaves_no_zombie_after_200_clients)
{
    struct server server = server_start(harness_program(), "listening on ", NULL);
    long pids[8];
    int zombies = 0;
    child_descendants(server.process, pids, 8, &zombies); /* skips where it cannot look */
    for (int i = 0; i < 200; i++)
        client_echo_random(server.host, server.port, 100, 6 + (unsigned)i);
    child_await(server.process, false, "served ", 200, HARNESS_DEADLINE_MS);
    /* Every child has ended; none is kept as a zombie for an exit status nobody reads. */
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (child_descendants(server.process, pids, 8, &zombies) > zombies) {
        ASSERT_LT(harness_now_ms(), deadline); /* the last ones are still ending */
        net_sleep_ms(20);
    }
    printf("%d zombies\n", zombies);
    ASSERT_EQ(zombies, 0);
    server_stop(&server);
}

TEST(a_child_whose_pipe_breaks_exits_at_once)
{
#ifdef _WIN32
    /* The server has gone before handing over the connection: the pipe's only writer. */
    struct child *child = child_start(harness_program(), CHILD_FLAG, NULL);
    child_close_stdin(child);
    child_expect_exit(child, 1, 3000);
    ASSERT_CONTAINS(child_stderr(child), "no connection came");
    child_free(child);
#else
    harness_skip("a POSIX child is forked with its connection: it has no pipe to wait on");
#endif
}

static const struct test_case tests[] = {
    TEST_CASE(serves_2000_clients_one_after_another_none_reset_and_leaves_no_process),
    TEST_CASE(children_do_not_keep_the_port_when_the_server_is_gone),
    TEST_CASE(a_child_killed_ends_its_client_only),
    TEST_CASE(leaves_no_zombie_after_200_clients),
    TEST_CASE(a_child_whose_pipe_breaks_exits_at_once),
};
TEST_MAIN(tests)
