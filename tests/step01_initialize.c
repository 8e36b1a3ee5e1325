/**
 * @file step01_initialize.c
 * @brief Step 1 starts the socket library, says what it got, and exits 0.
 */
#include "harness.h"

TEST(reports_the_socket_library_and_exits_0)
{
    struct child *run = child_run(harness_program(), NULL);
    child_expect_exit(run, 0, HARNESS_DEADLINE_MS);
#ifdef _WIN32
    /* WSAStartup negotiated 2.2 and the description of the Winsock DLL follows. */
    ASSERT_STARTS_WITH(child_stdout(run), "Winsock 2.2: ");
#else
    ASSERT_STR_EQ(child_stdout(run), "POSIX sockets: part of the system, nothing to initialize\n");
#endif
    ASSERT_STR_EQ(child_stderr(run), "");
    child_free(run);
}

static const struct test_case tests[] = {TEST_CASE(reports_the_socket_library_and_exits_0)};
TEST_MAIN(tests)
