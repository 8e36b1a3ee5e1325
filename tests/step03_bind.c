/**
 * @file step03_bind.c
 * @brief Step 3 binds, prints the address it really got, and reports a port in use.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Checks "bound to PREFIXPORT" and that PORT is a real one the system chose. */
static void expect_bound_line(struct child *run, const char *prefix)
{
    const char *line = child_expect_line(run, prefix, HARNESS_READY_MS);
    long port = strtol(line + strlen(prefix), NULL, 10);
    ASSERT_TRUE(port > 0 && port <= 65535);
}

TEST(port_zero_prints_the_port_the_system_chose)
{
    struct child *run = child_run(harness_program(), "--port", "0", NULL);
    ASSERT_EQ(child_exit_code(run), 0);
    expect_bound_line(run, "bound to 127.0.0.1:");
    ASSERT_EQ(child_read_line(run, HARNESS_DEADLINE_MS) == NULL, 1); /* exactly one line */
    ASSERT_STR_EQ(child_stderr(run), "");
    child_free(run);
}

TEST(binds_the_ipv6_loopback)
{
    struct child *run = child_run(harness_program(), "--host", "::1", "--port", "0", NULL);
    ASSERT_EQ(child_exit_code(run), 0);
    expect_bound_line(run, "bound to [::1]:");
    child_free(run);
}

static const struct test_case tests[] = {
    TEST_CASE(port_zero_prints_the_port_the_system_chose),
    TEST_CASE(binds_the_ipv6_loopback),
};
TEST_MAIN(tests)
