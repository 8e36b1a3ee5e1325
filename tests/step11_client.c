/**
 * @file step09_client.c
 * @brief Step 11 connects to the first address that answers, sends its message or its standard
 *        input, shuts down its sending side, and prints exactly what the server sends back;
 *        its failures are reported in the common format, with the common exit codes.
 *
 * Program arguments: the client (11-client), the complete server (10-complete-server), and
 * the nss_wrapper library (or NSS_WRAPPER-NOTFOUND).
 * Where a test plays the server itself, it uses the harness's sockets: the client runs as a
 * child process meanwhile, so this single-threaded test can accept, read and answer.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The complete server, started on a free port; it exits after @p clients clients. */
static struct server start_complete_server(const char *host, const char *clients)
{
    return server_start(harness_program_at(1), "listening on ", "--host", host, "--clients",
                        clients, NULL);
}

/** Checks that the complete server served its last client and exited 0, then frees it. */
static void expect_server_done(struct server *server, size_t echoed)
{
    char expected[64];
    snprintf(expected, sizeof expected, ": echoed %lu bytes\n", (unsigned long)echoed);
    ASSERT_EQ(child_wait(server->process, HARNESS_DEADLINE_MS), 0);
    ASSERT_CONTAINS(child_stdout(server->process), expected);
    child_free(server->process);
}

/** Checks the client's closing line on stderr: `11-client: sent N bytes, received M bytes`. */
static void expect_counts(struct child *client, size_t sent, size_t received)
{
    char expected[96];
    snprintf(expected, sizeof expected, "11-client: sent %lu bytes, received %lu bytes\n",
             (unsigned long)sent, (unsigned long)received);
    ASSERT_CONTAINS(child_stderr(client), expected);
}

/** Reads what the client sent, up to its shutdown(SD_SEND), and checks it is @p expected. */
static void expect_request(SOCKET server, const char *expected)
{
    char request[256];
    size_t got = 0;
    ASSERT_EQ(
        client_recv_until_closed(server, request, sizeof request - 1, &got, HARNESS_DEADLINE_MS),
        0);
    request[got] = '\0';
    ASSERT_STR_EQ(request, expected);
}

TEST(round_trip_through_the_complete_server)
{
    struct server server = start_complete_server("127.0.0.1", "1");
    struct child *client = child_run(harness_program(), "--host", server.host, "--port",
                                     server.port, "hello,", "echo", NULL);
    ASSERT_EQ(child_exit_code(client), 0);
    /* The arguments go out as one line, and exactly that line comes back on stdout. */
    ASSERT_STR_EQ(child_stdout(client), "hello, echo\n");
    char expected[160];
    snprintf(expected, sizeof expected,
             "11-client: connected to %s:%s\n11-client: sent 12 bytes, received 12 bytes\n",
             server.host, server.port);
    ASSERT_STR_EQ(child_stderr(client), expected);
    child_free(client);
    expect_server_done(&server, 12);
}

TEST(pipes_16_mib_of_binary_input_back_unchanged)
{
    /* More than the socket buffers of both directions hold (on Linux, where they grow to a
     * few MiB each, 8 MiB were enough): a client that sent everything before reading anything
     * would wait forever on the echo server, which waits on it. */
    const size_t size = 16u << 20;
    char *data = malloc(size);
    ASSERT_TRUE(data != NULL);
    harness_fill_random(data, size, 9);
    /* Bytes that text mode would alter on Windows: line breaks, Ctrl-Z (its end of input),
     * and a NUL byte. Random data has them too; here they come first, for all to see. */
    static const char awkward[] = "line\r\nbare\n\x1a\0end";
    memcpy(data, awkward, sizeof awkward);

    struct server server = start_complete_server("127.0.0.1", "1");
    struct child *client =
        child_start(harness_program(), "--host", server.host, "--port", server.port, NULL);
    child_keep_stdout_raw(client);
    child_write_bytes(client, data, size);
    child_close_stdin(client);
    ASSERT_EQ(child_wait(client, HARNESS_DEADLINE_MS * 2), 0);

    size_t length = 0;
    const char *echoed = child_stdout_bytes(client, &length);
    ASSERT_EQ(length, size);
    for (size_t i = 0; i < size; i++) {
        if (echoed[i] != data[i])
            harness_fail(__FILE__, __LINE__, "stdout differs from the input at byte %lu",
                         (unsigned long)i);
    }
    expect_counts(client, size, size);
    child_free(client);
    free(data);
    expect_server_done(&server, size);
}

/** True if the name localhost resolves, among its addresses, to one of @p family here. */
static bool localhost_resolves_to(int family)
{
    struct addrinfo hints, *res = NULL;
    bool found = false;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo("localhost", "1", &hints, &res) != 0)
        return false;
    for (const struct addrinfo *p = res; p != NULL; p = p->ai_next)
        found = found || p->ai_family == family;
    freeaddrinfo(res);
    return found;
}

/** Starts the complete server on @p host and checks that `--host localhost` reaches it. */
static void expect_localhost_reaches(const char *host, int family, const char *shown)
{
    if (!localhost_resolves_to(family)) {
        char reason[128];
        snprintf(reason, sizeof reason, "localhost does not resolve to %s on this machine", host);
        harness_skip(reason);
    }
    struct server server = start_complete_server(host, "1");
    struct child *client = child_run(harness_program(), "--host", "localhost", "--port",
                                     server.port, "via", "localhost", NULL);
    ASSERT_EQ(child_exit_code(client), 0);
    ASSERT_STR_EQ(child_stdout(client), "via localhost\n");
    /* Whatever order the addresses came in, the one that connected is the server's. */
    char expected[96];
    snprintf(expected, sizeof expected, "11-client: connected to %s:%s\n", shown, server.port);
    ASSERT_STARTS_WITH(child_stderr(client), expected);
    child_free(client);
    expect_server_done(&server, strlen("via localhost\n"));
}

TEST(localhost_reaches_a_server_on_ipv4)
{
    expect_localhost_reaches("127.0.0.1", AF_INET, "127.0.0.1");
}

TEST(localhost_reaches_a_server_on_ipv6)
{
    expect_localhost_reaches("::1", AF_INET6, "[::1]");
}

TEST(tries_the_next_address_when_the_first_is_refused)
{
    /* A name with two addresses, IPv6 first, as localhost often has: ::1 and 127.0.0.1. The
     * server listens on 127.0.0.1 only, so the first connect() is refused and the client
     * must try the next address. The name comes from a hosts file of the test's own, read
     * through nss_wrapper (a library that stands in for the system's name lookup). */
#ifdef _WIN32
    harness_skip("the test's own hosts file needs nss_wrapper, a library of Linux: the Windows "
                 "build leaves this test out");
#else
    const char *nss_wrapper = harness_program_at(2);
    if (strcmp(nss_wrapper, "NSS_WRAPPER-NOTFOUND") == 0)
        harness_skip("nss_wrapper (libnss-wrapper) was not found when the build was configured");
    struct server server = start_complete_server("127.0.0.1", "1");
    /* Bound, not listening: nothing can listen on [::1] at this port while the client tries,
     * so its first connect() is refused for sure. */
    SOCKET reserved = harness_reserve_port("::1", server.port);
    const char *hosts = "two-addresses.test.hosts";
    FILE *f = fopen(hosts, "w");
    ASSERT_TRUE(f != NULL);
    fputs("::1 two-addresses.test\n127.0.0.1 two-addresses.test\n", f);
    fclose(f);
    setenv("LD_PRELOAD", nss_wrapper, 1);
    setenv("NSS_WRAPPER_HOSTS", hosts, 1);
    setenv("NSS_WRAPPER_PASSWD", "/etc/passwd", 1);
    setenv("NSS_WRAPPER_GROUP", "/etc/group", 1);
    setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1", 1);
    struct child *client = child_run(harness_program(), "--host", "two-addresses.test", "--port",
                                     server.port, "second", "address", NULL);
    unsetenv("LD_PRELOAD");
    closesocket(reserved);
    remove(hosts);
    ASSERT_EQ(child_exit_code(client), 0);
    char expected[96];
    snprintf(expected, sizeof expected, "11-client: connected to 127.0.0.1:%s\n", server.port);
    ASSERT_STARTS_WITH(child_stderr(client), expected);
    ASSERT_STR_EQ(child_stdout(client), "second address\n");
    child_free(client);
    expect_server_done(&server, strlen("second address\n"));
#endif
}

TEST(prints_exactly_what_another_server_sends)
{
    char port[8];
    SOCKET listener = harness_listen("127.0.0.1", port, sizeof port);
    struct child *client = child_start(harness_program(), "--port", port, NULL);
    child_keep_stdout_raw(client);
    child_write(client, "a request on stdin\n");
    child_close_stdin(client);

    SOCKET server = harness_accept(listener, HARNESS_READY_MS);
    expect_request(server, "a request on stdin\n");
    /* Not an echo, and with both kinds of line break: stdout must carry it unchanged. */
    static const char reply[] = "200 not an echo\r\nsecond line\n";
    client_send_all(server, reply, strlen(reply));
    closesocket(server);

    ASSERT_EQ(child_wait(client, HARNESS_DEADLINE_MS), 0);
    size_t length = 0;
    ASSERT_STR_EQ(child_stdout_bytes(client, &length), reply);
    ASSERT_EQ(length, strlen(reply));
    expect_counts(client, strlen("a request on stdin\n"), strlen(reply));
    child_free(client);
    closesocket(listener);
}

TEST(sends_its_arguments_as_one_line)
{
    char port[8];
    SOCKET listener = harness_listen("127.0.0.1", port, sizeof port);
    /* After `--`, even words that look like options are part of the message. */
    struct child *client = child_start(harness_program(), "--port", port, "--",
                                       "--looks-like-an-option", "two  spaces", NULL);
    SOCKET server = harness_accept(listener, HARNESS_READY_MS);
    static const char line[] = "--looks-like-an-option two  spaces\n";
    expect_request(server, line);
    closesocket(server); /* no answer at all */

    ASSERT_EQ(child_wait(client, HARNESS_DEADLINE_MS), 0);
    ASSERT_STR_EQ(child_stdout(client), "");
    expect_counts(client, strlen(line), 0);
    child_free(client);
    closesocket(listener);
}

TEST(a_reset_exits_1_after_printing_what_came_before)
{
    char port[8], expected[96];
    SOCKET listener = harness_listen("127.0.0.1", port, sizeof port);
    struct child *client = child_start(harness_program(), "--port", port, "hello", NULL);
    SOCKET server = harness_accept(listener, HARNESS_READY_MS);
    expect_request(server, "hello\n");
    client_send_all(server, "half an answer\n", strlen("half an answer\n"));
    /* Once the client has printed it, the reset cannot overtake it. */
    ASSERT_STR_EQ(child_read_line(client, HARNESS_DEADLINE_MS), "half an answer");
    client_reset(server);

    int exit_code = child_wait(client, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stdout(client), "half an answer\n");
    if (exit_code == 0 && harness_under_wine())
        harness_skip("under Wine, recv() reports a reset connection as an orderly close (the "
                     "complete server's recv() does too), so no program can see the reset");
    ASSERT_EQ(exit_code, 1);
    snprintf(expected, sizeof expected,
             "\n11-client: recv failed: %s (%d): ", ERROR_NAME(ECONNRESET), ERROR_CODE(ECONNRESET));
    ASSERT_CONTAINS(child_stderr(client), expected);
    ASSERT_NOT_CONTAINS(child_stderr(client), "11-client: sent ");
    child_free(client);
    closesocket(listener);
}

TEST(refused_connection_reports_connect_and_exits_1)
{
    char port[8], expected[96];
    /* A port that was free a moment ago: listen on it, then close it. Bound without
     * listening, it is ours while the client tries: nothing listens there, for sure. */
    SOCKET listener = harness_listen("127.0.0.1", port, sizeof port);
    closesocket(listener);
    SOCKET reserved = harness_reserve_port("127.0.0.1", port);
    struct child *client = child_run(harness_program(), "--port", port, "hello", NULL);
    closesocket(reserved);
    ASSERT_EQ(child_exit_code(client), 1);
    snprintf(expected, sizeof expected,
             "11-client: connect failed: %s (%d): ", ERROR_NAME(ECONNREFUSED),
             ERROR_CODE(ECONNREFUSED));
    ASSERT_STARTS_WITH(child_stderr(client), expected);
    ASSERT_STR_EQ(child_stdout(client), "");
    child_free(client);
}

TEST(unknown_host_reports_getaddrinfo_and_exits_1)
{
    /* The .invalid top-level domain is reserved never to resolve (RFC 2606). */
    struct child *client =
        child_run(harness_program(), "--host", "no-such-host.invalid", "hello", NULL);
    ASSERT_EQ(child_exit_code(client), 1);
    ASSERT_STARTS_WITH(child_stderr(client), "11-client: getaddrinfo failed: ");
    ASSERT_STR_EQ(child_stdout(client), "");
    child_free(client);
}

TEST(bad_options_are_usage_errors_before_any_connection)
{
    char port[8];
    SOCKET listener = harness_listen("127.0.0.1", port, sizeof port);
    struct child *client = child_run(harness_program(), "--port", port, "--verbose", "hi", NULL);
    ASSERT_EQ(child_exit_code(client), 2);
    ASSERT_STR_EQ(child_stderr(client), "11-client: unknown option '--verbose' (see --help)\n");
    ASSERT_STR_EQ(child_stdout(client), "");
    /* It stopped before connecting: no connection waits to be accepted. */
    ASSERT_EQ(net_wait_readable(listener, 0), 0);
    child_free(client);
    closesocket(listener);

    client = child_run(harness_program(), "--help", NULL);
    ASSERT_EQ(child_exit_code(client), 0);
    ASSERT_STARTS_WITH(child_stdout(client),
                       "Usage: 11-client [--host HOST] [--port PORT] [MESSAGE...]\n");
    /* The port names the server's: "0" (any port, for a server that binds) means nothing. */
    ASSERT_NOT_CONTAINS(child_stdout(client), "0 lets the system choose");
    child_free(client);
}

TEST(works_with_its_socket_numbered_above_fd_setsize)
{
    /* select()'s fd_set holds descriptors below FD_SETSIZE (1024) only: FD_SET() on a higher
     * number writes past its end. poll() has no such limit. */
    struct server server = start_complete_server("127.0.0.1", "1");
    child_occupy_descriptors(1100); /* skips on Windows, whose sockets are not numbered so */
    struct child *client = child_run(harness_program(), "--host", server.host, "--port",
                                     server.port, "from", "far", "up", NULL);
    child_occupy_descriptors(0);
    ASSERT_EQ(child_exit_code(client), 0);
    ASSERT_STR_EQ(child_stdout(client), "from far up\n");
    child_free(client);
    expect_server_done(&server, strlen("from far up\n"));
}

TEST(keeps_sending_after_the_server_has_finished)
{
    /* The server answers and ends its direction before the client has sent anything: the
     * client prints the answer, and goes on sending its input until the input ends. In
     * between it has nothing to wait for on the socket: no data can come any more, and none
     * waits to be sent (Winsock's select() fails on such empty sets). */
    char port[8];
    SOCKET listener = harness_listen("127.0.0.1", port, sizeof port);
    struct child *client = child_start(harness_program(), "--port", port, NULL);
    child_keep_stdout_raw(client);
    SOCKET server = harness_accept(listener, HARNESS_READY_MS);
    client_send_all(server, "bye\n", 4);
    ASSERT_NE(shutdown(server, SD_SEND), SOCKET_ERROR);
    child_write(client, "first\n");
    ASSERT_STR_EQ(child_read_line(client, HARNESS_DEADLINE_MS), "bye");
    child_write(client, "second\n");
    child_close_stdin(client);
    expect_request(server, "first\nsecond\n");
    closesocket(server);
    ASSERT_EQ(child_wait(client, HARNESS_DEADLINE_MS), 0);
    expect_counts(client, 13, 4);
    child_free(client);
    closesocket(listener);
}

TEST(with_stdout_closed_its_socket_never_takes_stdouts_place)
{
    /* Started as `11-client hello >&-`: descriptor 1 is free, and socket() returns the lowest
     * free number. Were the socket numbered 1, the echo written "to stdout" would go back to
     * the server. net_startup() puts /dev/null on descriptor 1 first. */
#ifdef _WIN32
    harness_skip("Windows sockets are handles, never the numbers of the standard streams");
#endif
    struct server server = start_complete_server("127.0.0.1", "1");
    child_close_stdout_at_start();
    struct child *client =
        child_run(harness_program(), "--host", server.host, "--port", server.port, "hello", NULL);
    ASSERT_EQ(child_exit_code(client), 0);
    expect_counts(client, 6, 6);
    child_free(client);
    expect_server_done(&server, 6); /* not 12: nothing came back a second time */
}

static const struct test_case tests[] = {
    TEST_CASE(works_with_its_socket_numbered_above_fd_setsize),
    TEST_CASE(keeps_sending_after_the_server_has_finished),
    TEST_CASE(with_stdout_closed_its_socket_never_takes_stdouts_place),
    TEST_CASE(round_trip_through_the_complete_server),
    TEST_CASE(pipes_16_mib_of_binary_input_back_unchanged),
    TEST_CASE(localhost_reaches_a_server_on_ipv4),
    TEST_CASE(localhost_reaches_a_server_on_ipv6),
    TEST_CASE(tries_the_next_address_when_the_first_is_refused),
    TEST_CASE(prints_exactly_what_another_server_sends),
    TEST_CASE(sends_its_arguments_as_one_line),
    TEST_CASE(a_reset_exits_1_after_printing_what_came_before),
    TEST_CASE(refused_connection_reports_connect_and_exits_1),
    TEST_CASE(unknown_host_reports_getaddrinfo_and_exits_1),
    TEST_CASE(bad_options_are_usage_errors_before_any_connection),
};
TEST_MAIN(tests)
