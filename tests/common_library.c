/**
 * @file common_library.c
 * @brief The common library's decisions that no step's run can show reliably: which
 *        `accept()` errors end a server, which concern one connection only.
 *
 * Run as `common_library TEST` (no program under test).
 */
#include "harness.h"

/** Checks that @p code, from accept(), is classified as @p expected. */
static void expect_accept_error(int code, enum net_accept_failure expected, const char *name)
{
    enum net_accept_failure seen = net_classify_accept_error(code);
    if (seen != expected)
        harness_fail(__FILE__, __LINE__,
                     "accept() failing with %s: classified %d, expected %d (0: skip that "
                     "connection, 1: pause and retry, 2: stop the server)",
                     name, (int)seen, (int)expected);
}

#define EXPECT_ACCEPT_ERROR(code, expected) expect_accept_error(code, expected, #code)

TEST(an_accept_error_of_one_connection_skips_that_connection)
{
#ifdef _WIN32
    /* The errors Microsoft's accept() and WSAAccept() pages give for a connection that broke,
     * or was withdrawn, while it waited to be accepted. */
    EXPECT_ACCEPT_ERROR(WSAECONNRESET, NET_ACCEPT_SKIP);
    EXPECT_ACCEPT_ERROR(WSAECONNABORTED, NET_ACCEPT_SKIP);
    EXPECT_ACCEPT_ERROR(WSAENETRESET, NET_ACCEPT_SKIP);
    EXPECT_ACCEPT_ERROR(WSAETIMEDOUT, NET_ACCEPT_SKIP);
    EXPECT_ACCEPT_ERROR(WSAEACCES, NET_ACCEPT_SKIP);
    EXPECT_ACCEPT_ERROR(WSAEWOULDBLOCK, NET_ACCEPT_SKIP);
#else
    EXPECT_ACCEPT_ERROR(ECONNABORTED, NET_ACCEPT_SKIP);
    EXPECT_ACCEPT_ERROR(EINTR, NET_ACCEPT_SKIP);
    EXPECT_ACCEPT_ERROR(EAGAIN, NET_ACCEPT_SKIP);
    EXPECT_ACCEPT_ERROR(EPROTO, NET_ACCEPT_SKIP);
    EXPECT_ACCEPT_ERROR(ETIMEDOUT, NET_ACCEPT_SKIP);
#endif
}

TEST(out_of_descriptors_pauses_and_a_broken_listener_stops)
{
#ifdef _WIN32
    EXPECT_ACCEPT_ERROR(WSAEMFILE, NET_ACCEPT_BACK_OFF);
    EXPECT_ACCEPT_ERROR(WSAENOBUFS, NET_ACCEPT_BACK_OFF);
    EXPECT_ACCEPT_ERROR(WSAENOTSOCK, NET_ACCEPT_FATAL);
    EXPECT_ACCEPT_ERROR(WSAEINVAL, NET_ACCEPT_FATAL);
#else
    EXPECT_ACCEPT_ERROR(EMFILE, NET_ACCEPT_BACK_OFF);
    EXPECT_ACCEPT_ERROR(ENOBUFS, NET_ACCEPT_BACK_OFF);
    EXPECT_ACCEPT_ERROR(EBADF, NET_ACCEPT_FATAL);
    EXPECT_ACCEPT_ERROR(EINVAL, NET_ACCEPT_FATAL);
#endif
}

static const struct test_case tests[] = {
    TEST_CASE(an_accept_error_of_one_connection_skips_that_connection),
    TEST_CASE(out_of_descriptors_pauses_and_a_broken_listener_stops),
};
TEST_MAIN(tests)
