/**
 * @file step20_conditional_accept.c
 * @brief Step 20 serves only the clients --allow names: a client in the list is echoed, one
 *        outside it is turned away (on POSIX with a reset) and the server goes on; prefixes
 *        of IPv4 and IPv6 networks match bit by bit; bad values are usage errors.
 *
 * A second loopback address stands for another machine: a client bound to 127.0.0.2 before
 * it connects comes from 127.0.0.2, while the test's other clients come from 127.0.0.1.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

/** Starts the server on @p host with the --allow values that follow (NULL-terminated: at
 *  most two, which is all these tests need). */
static struct server start_allowing(const char *host, const char *allow1, const char *allow2)
{
    if (allow2 != NULL)
        return server_start(harness_program(), "listening on ", "--host", host, "--allow", allow1,
                            "--allow", allow2, NULL);
    if (allow1 != NULL)
        return server_start(harness_program(), "listening on ", "--host", host, "--allow", allow1,
                            NULL);
    return server_start(harness_program(), "listening on ", "--host", host, NULL);
}

/** Connects from @p local (NULL: from anywhere). Returns INVALID_SOCKET when the server's
 *  reset came so soon that connect() itself reported it, which Linux can do (see
 *  client_try_connect_from()); any other failure fails the test. */
static SOCKET connect_from(const struct server *server, const char *local)
{
    int error = 0;
    SOCKET s = client_try_connect_from(server->host, server->port, local, &error);
    if (s == INVALID_SOCKET && error != ERROR_CODE(ECONNRESET))
        harness_fail(__FILE__, __LINE__, "expected a connection (or ECONNRESET), got %s",
                     net_error_name(error));
    return s;
}

/** Connects from @p local (NULL: from anywhere), sends a line, and returns whether the echo
 *  came back: 1 if served, 0 if turned away (no byte back, then the connection ended). */
static int served_from(const struct server *server, const char *local)
{
    SOCKET s = connect_from(server, local);
    if (s == INVALID_SOCKET)
        return 0; /* reset before connect() returned */
    char buf[16];
    size_t got = 0;
    /* A turned-away client's connection may be reset already: send() and shutdown() then
     * fail, and what comes back decides. A served client gets its echo only if both worked. */
    (void)send(s, "hello\n", 6, 0);
    (void)shutdown(s, SD_SEND);
    client_recv_until_closed(s, buf, sizeof buf, &got, HARNESS_DEADLINE_MS);
    closesocket(s);
    if (got == 6 && memcmp(buf, "hello\n", 6) == 0)
        return 1;
    ASSERT_EQ(got, 0); /* either the whole echo or nothing */
    return 0;
}

TEST(serves_an_allowed_client_and_turns_away_another)
{
    struct server server = start_allowing("127.0.0.1", "127.0.0.2", NULL);
    ASSERT_EQ(served_from(&server, NULL), 0); /* from 127.0.0.1: not in the list */
    child_await(server.process, false, "refused 127.0.0.1:", 1, HARNESS_DEADLINE_MS);
    ASSERT_EQ(served_from(&server, "127.0.0.2"), 1); /* and the server goes on */
    child_await(server.process, false, "served 127.0.0.2:", 1, HARNESS_DEADLINE_MS);
    server_stop(&server);
}

TEST(after_200_clients_served_or_refused_no_descriptor_is_left)
{
    /* Every other client comes from outside the list: the refused ones are closed too. */
    struct server server = start_allowing("127.0.0.1", "127.0.0.2", NULL);
    int before = child_settled(server.process, child_open_descriptors);
    for (int i = 0; i < 200; i++) {
        int allowed = i % 2 == 0;
        ASSERT_EQ(served_from(&server, allowed ? "127.0.0.2" : NULL), allowed);
        child_await(server.process, false,
                    allowed ? "served 127.0.0.2:" : "refused 127.0.0.1:", i / 2 + 1,
                    HARNESS_DEADLINE_MS);
    }
    int after = child_settled(server.process, child_open_descriptors);
    printf("open descriptors: %d before, %d after 100 clients served and 100 refused\n", before,
           after);
    ASSERT_EQ(after, before);
    server_stop(&server);
}

TEST(with_no_allow_every_client_is_served)
{
    struct server server = start_allowing("127.0.0.1", NULL, NULL);
    ASSERT_EQ(served_from(&server, NULL), 1);
    ASSERT_EQ(served_from(&server, "127.0.0.2"), 1);
    server_stop(&server);
}

TEST(a_turned_away_client_sees_a_reset)
{
#ifdef _WIN32
    harness_skip("Windows refuses before the handshake with SO_CONDITIONAL_ACCEPT (connect() "
                 "fails: WSAECONNREFUSED); Wine 8 has no SO_CONDITIONAL_ACCEPT, and there the "
                 "client reads an orderly end instead");
#endif
    /* On POSIX the connection was complete before the server could look at the address:
     * all it can do is close, with SO_LINGER {1, 0}, which sends a reset. A plain close would
     * send FIN: the client would read an empty answer as if it had been served. */
    struct server server = start_allowing("127.0.0.1", "127.0.0.2", NULL);
    SOCKET s = connect_from(&server, NULL); /* INVALID_SOCKET: connect() saw the reset */
    child_await(server.process, false, "refused 127.0.0.1:", 1, HARNESS_DEADLINE_MS);
    if (s != INVALID_SOCKET) {
        char buf[16];
        size_t got = 0;
        ASSERT_EQ(client_recv_until_closed(s, buf, sizeof buf, &got, HARNESS_DEADLINE_MS),
                  ERROR_CODE(ECONNRESET));
        closesocket(s);
    }
    server_stop(&server);
}

TEST(ipv4_prefixes_match_bit_by_bit)
{
    /* 127.0.0.0/31 holds 127.0.0.0 and .1; 127.0.0.2/31 holds .2 and .3: the last bit
     * decides, inside the last byte. /0 holds every IPv4 address. */
    struct server server = start_allowing("127.0.0.1", "127.0.0.0/31", NULL);
    ASSERT_EQ(served_from(&server, NULL), 1);
    ASSERT_EQ(served_from(&server, "127.0.0.2"), 0);
    server_stop(&server);
    server = start_allowing("127.0.0.1", "127.0.0.2/31", NULL);
    ASSERT_EQ(served_from(&server, NULL), 0);
    ASSERT_EQ(served_from(&server, "127.0.0.3"), 1);
    server_stop(&server);
    server = start_allowing("127.0.0.1", "0.0.0.0/0", NULL);
    ASSERT_EQ(served_from(&server, "127.0.0.2"), 1);
    server_stop(&server);
}

TEST(ipv6_prefixes_match_and_families_stay_apart)
{
    /* ::/127 holds :: and ::1; ::2/127 holds ::2 and ::3. An IPv4 network never lets an
     * IPv6 client in, not even 0.0.0.0/0. */
    struct server server = start_allowing("::1", "::/127", NULL);
    ASSERT_EQ(served_from(&server, NULL), 1);
    server_stop(&server);
    server = start_allowing("::1", "::2/127", "0.0.0.0/0");
    ASSERT_EQ(served_from(&server, NULL), 0);
    server_stop(&server);
    server = start_allowing("::1", "::1", NULL);
    ASSERT_EQ(served_from(&server, NULL), 1);
    server_stop(&server);
}

TEST(ipv4_mapped_rules_match_ipv4_callers)
{
    /* ::ffff:127.0.0.0/104 is the IPv4 network 127.0.0.0/8 written as IPv6: it lets the
     * server's IPv4 callers in, as 127.0.0.0/8 would; ::ffff:127.0.0.2/127 holds .2 and .3. */
    struct server server = start_allowing("127.0.0.1", "::ffff:127.0.0.0/104", NULL);
    ASSERT_EQ(served_from(&server, NULL), 1);
    server_stop(&server);
    server = start_allowing("127.0.0.1", "::ffff:127.0.0.2/127", NULL);
    ASSERT_EQ(served_from(&server, NULL), 0);
    ASSERT_EQ(served_from(&server, "127.0.0.3"), 1);
    server_stop(&server);
}

TEST(bad_allow_values_are_usage_errors)
{
    /* ::ffff:0.0.0.0/80 reaches past the IPv4-mapped addresses into IPv6 ones. */
    static const char *const bad[] = {"10.0.0.0/33", "::/129", "localhost",         "10.0.0.0/",
                                      "10.0.0.0/x",  "1.2.3",  "::ffff:0.0.0.0/80", "::1/-1"};
    char name[64];
    harness_program_name(harness_program(), name, sizeof name);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct child *run = child_run(harness_program(), "--allow", bad[i], NULL);
        char expected[128];
        snprintf(expected, sizeof expected, "%s: invalid --allow value '%s': ", name, bad[i]);
        ASSERT_EQ(child_exit_code(run), 2);
        ASSERT_STARTS_WITH(child_stderr(run), expected);
        ASSERT_EQ(harness_count(child_stderr(run), "\n"), 1); /* one report line */
        ASSERT_STR_EQ(child_stdout(run), "");
        child_free(run);
    }
}

static const struct test_case tests[] = {
    TEST_CASE(serves_an_allowed_client_and_turns_away_another),
    TEST_CASE(with_no_allow_every_client_is_served),
    TEST_CASE(after_200_clients_served_or_refused_no_descriptor_is_left),
    TEST_CASE(a_turned_away_client_sees_a_reset),
    TEST_CASE(ipv4_prefixes_match_bit_by_bit),
    TEST_CASE(ipv6_prefixes_match_and_families_stay_apart),
    TEST_CASE(ipv4_mapped_rules_match_ipv4_callers),
    TEST_CASE(bad_allow_values_are_usage_errors),
};
TEST_MAIN(tests)
