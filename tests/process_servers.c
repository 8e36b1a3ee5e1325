/**
 * @file process_servers.c
 * @brief What both servers of a process per client (steps 18 and 19) do, registered under
 *        each one's label: a silent client, and one that reads nothing, are closed by their own
 *        process after --idle-timeout while the others are served; on Windows a child whose
 *        hand-off never comes gives up; and a server killed in the middle of its hand-offs
 *        leaves no process behind.
 */
#include "harness.h"

#include <stdio.h>

/** The option that starts a Windows child, which then waits for its connection on stdin. */
#define CHILD_FLAG "--serve-inherited"
/** How long a Windows child waits for its connection before it gives up: the programs'
 *  HANDOFF_TIMEOUT_MS. A test waits that long, and its usual deadline on top. */
#define CHILD_GIVES_UP_MS 10000

TEST(closes_a_client_that_reads_nothing_after_the_idle_timeout)
{
    struct server server =
        server_start(harness_program(), "listening on ", "--idle-timeout", "1", NULL);
    SOCKET hog = client_connect(server.host, server.port);
    client_send_until_stuck(hog, 15); /* its process now waits for room to send, in vain */
    child_await(server.process, true, ": nothing moved for 1 s", 1, HARNESS_DEADLINE_MS);
    closesocket(hog);
    server_stop(&server);
}

TEST(serves_a_client_while_another_is_silent_and_closes_that_one_after_the_idle_timeout)
{
    struct server server =
        server_start(harness_program(), "listening on ", "--idle-timeout", "1", NULL);
    long long start = harness_now_ms();
    SOCKET silent = client_connect(server.host, server.port);
    /* Its own process serves the next client at once... */
    client_echo_random(server.host, server.port, 3000, 5);
    server_expect_served(&server, 3000);
    ASSERT_LT(harness_now_ms() - start, 1000);
    /* ...while the silent one's closes it after the timeout the parent was given. */
    server_expect_idle_close(&server, silent, start);
    closesocket(silent);
    server_stop(&server);
}

TEST(a_child_whose_connection_never_comes_gives_up)
{
#ifdef _WIN32
    /* Started as the server starts its children, but nobody writes on its standard input. */
    struct child *child = child_start(harness_program(), CHILD_FLAG, NULL);
    long long start = harness_now_ms();
    child_expect_exit(child, 1, CHILD_GIVES_UP_MS + HARNESS_DEADLINE_MS);
    printf("gave up after %lld ms\n", harness_now_ms() - start);
    ASSERT_CONTAINS(child_stderr(child), "no connection came");
    child_free(child);
#else
    harness_skip("a POSIX child is forked with its connection: it waits for no hand-off");
#endif
}

TEST(a_server_killed_outright_leaves_no_process_behind)
{
    /* Clients arrive faster than the server hands them over, and it is killed in the middle
     * of a hand-off: 20 times, since where the kill falls is a matter of chance. */
    for (int round = 0; round < 20; round++) {
        struct server server = server_start(harness_program(), "listening on ", NULL);
        long pid = child_pid(server.process);
        SOCKET clients[10];
        for (int i = 0; i < 10; i++) {
            clients[i] = client_connect(server.host, server.port);
            client_send_all(clients[i], "x", 1);
        }
        client_expect_bytes(clients[0], 1, HARNESS_DEADLINE_MS); /* the first is served... */
        /* ...the others are being handed over: the kill falls 0 to 95 ms later, so that the
         * rounds fall on every part of a hand-off (some 50 ms under Wine), not on one. */
        net_sleep_ms(round * 5);
        child_free(server.process);
        /* The children serving a client end with it; none waits for ever. */
        for (int i = 0; i < 10; i++)
            closesocket(clients[i]);
        expect_no_process_started_by(pid, harness_program(), HARNESS_DEADLINE_MS);
    }
}

static const struct test_case tests[] = {
    TEST_CASE(serves_a_client_while_another_is_silent_and_closes_that_one_after_the_idle_timeout),
    TEST_CASE(closes_a_client_that_reads_nothing_after_the_idle_timeout),
    TEST_CASE(a_child_whose_connection_never_comes_gives_up),
    TEST_CASE(a_server_killed_outright_leaves_no_process_behind),
};
TEST_MAIN(tests)
