/**
 * @file common_checks.c
 * @brief What every step shares: the command line (`--help`, and usage errors that name the
 *        bad option or value and exit with code 2 before any socket call), and, for every
 *        step that binds, the report of a port already in use.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

/** The program's name as its reports spell it: the file name without `.exe`. */
static void program_name(char *name, size_t size)
{
    harness_program_name(harness_program(), name, size);
}

/** Runs the program with one or two arguments and checks the usage error it must report. */
static void expect_usage_error(const char *arg1, const char *arg2, const char *message)
{
    char name[64], expected[256];
    program_name(name, sizeof name);
    snprintf(expected, sizeof expected, "%s: %s\n", name, message);
    struct child *run = child_run(harness_program(), arg1, arg2, NULL);
    child_expect_exit(run, 2, HARNESS_DEADLINE_MS);
    ASSERT_STR_EQ(child_stderr(run), expected);
    ASSERT_STR_EQ(child_stdout(run), "");
    child_free(run);
}

TEST(help_prints_usage_and_exits_0)
{
    char name[64], usage[80];
    program_name(name, sizeof name);
    snprintf(usage, sizeof usage, "Usage: %s", name);
    struct child *run = child_run(harness_program(), "--help", NULL);
    child_expect_exit(run, 0, HARNESS_DEADLINE_MS);
    ASSERT_STARTS_WITH(child_stdout(run), usage);
    ASSERT_CONTAINS(child_stdout(run), "--help");
    ASSERT_STR_EQ(child_stderr(run), "");
    child_free(run);
}

TEST(unknown_option_is_a_usage_error)
{
    expect_usage_error("--frobnicate", NULL, "unknown option '--frobnicate' (see --help)");
}

TEST(a_line_break_in_an_argument_stays_in_its_report_line)
{
    /* A report quotes what was typed; a line break in it must not start a second line. */
    expect_usage_error("--x\ny\tz", NULL, "unknown option '--x\\ny\\tz' (see --help)");
}

TEST(stray_argument_is_a_usage_error)
{
    expect_usage_error("extra", NULL, "unexpected argument 'extra' (see --help)");
}

TEST(bad_port_values_are_usage_errors)
{
    /* A server may bind port 0 (any free port); a client cannot connect to it. The program
     * says which it is in its help: a client's --port is "the server's TCP port". */
    struct child *help = child_run(harness_program(), "--help", NULL);
    bool client = strstr(child_stdout(help), "the server's TCP port") != NULL;
    child_free(help);
    /* "\xEF\xBC\x91" is U+FF11, a fullwidth digit one: no ASCII digit, whatever the system's
     * code page would make of it (Windows' "best fit" for it is "1"). */
    static const char *const bad_ports[] = {"abc", "70000", "-1",           "", "65536",
                                            "80x", "+80",   "\xEF\xBC\x91", "0"};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        char message[200];
        if (strcmp(bad_ports[i], "0") == 0 && !client)
            continue;
        snprintf(message, sizeof message,
                 "invalid --port value '%s': expected a decimal number from %d to 65535 "
                 "(see --help)",
                 bad_ports[i], client ? 1 : 0);
        expect_usage_error("--port", bad_ports[i], message);
    }
}

TEST(missing_option_value_is_a_usage_error)
{
    expect_usage_error("--port", NULL, "option '--port' needs a value (see --help)");
}

TEST(empty_host_is_a_usage_error)
{
    expect_usage_error("--host=", NULL,
                       "invalid --host value '': expected an address or a name (see --help)");
}

TEST(port_in_use_reports_bind_and_exits_1)
{
    char port[8], name[64], expected[128];
    program_name(name, sizeof name);
    SOCKET occupier = harness_listen("127.0.0.1", port, sizeof port);
    struct child *run = child_run(harness_program(), "--port", port, NULL);
    child_expect_exit(run, 1, HARNESS_DEADLINE_MS);
    snprintf(expected, sizeof expected, "%s: bind failed: %s (%d): ", name, ERROR_NAME(EADDRINUSE),
             ERROR_CODE(EADDRINUSE));
    ASSERT_STARTS_WITH(child_stderr(run), expected);
    ASSERT_STR_EQ(child_stdout(run), "");
    child_free(run);
    closesocket(occupier);
}

static const struct test_case tests[] = {
    TEST_CASE(help_prints_usage_and_exits_0),
    TEST_CASE(unknown_option_is_a_usage_error),
    TEST_CASE(stray_argument_is_a_usage_error),
    TEST_CASE(a_line_break_in_an_argument_stays_in_its_report_line),
    TEST_CASE(bad_port_values_are_usage_errors),
    TEST_CASE(missing_option_value_is_a_usage_error),
    TEST_CASE(empty_host_is_a_usage_error),
    TEST_CASE(port_in_use_reports_bind_and_exits_1),
};
TEST_MAIN(tests)
