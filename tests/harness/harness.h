/**
 * @file harness.h
 * @brief The test harness: self-explaining assertions, a step program run as a child process
 *        with its output captured, and a real TCP client with deadlines.
 *
 * A test file defines its tests with TEST() and lists them with TEST_CASE():
 * @code
 *     TEST(prints_bound_address) {
 *         struct child *bind = child_start(harness_program(), "--port", "0", NULL);
 *         ...
 *     }
 *     static const struct test_case tests[] = {TEST_CASE(prints_bound_address)};
 *     TEST_MAIN(tests)
 * @endcode
 * CMake reads the TEST(...) lines to register one CTest test per function, run as
 * `TESTS_EXE NAME PROGRAM [MORE PROGRAMS]`. When an assertion fails, the harness prints the
 * expression and both values (or, for a wait, what was expected and what came instead), the
 * sentence in HARNESS_EXPLAINS, and everything the step programs wrote, then kills them.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include "net.h"
#include "report.h"

#include <stdbool.h>
#include <stddef.h>

/**
 * How long any single network or process wait may take before the test fails, in ms: 15000,
 * generous enough for Wine (which starts processes slowly) and valgrind, or the value of the
 * environment variable `HARNESS_DEADLINE_MS`. Checks that expect many programs to fail (the
 * learner's progress, the starter check) set it lower, so that a failure comes sooner.
 */
#define HARNESS_DEADLINE_MS harness_deadline_ms()
/** How long to wait for a program to print its readiness line: the same deadline. */
#define HARNESS_READY_MS harness_deadline_ms()

/** The deadline of HARNESS_DEADLINE_MS, read once from the environment. */
int harness_deadline_ms(void);

/**
 * The environment variable whose value a failing test prints, verbatim, as one line after
 * its failure message and before what the programs wrote; nothing if it is unset or empty.
 * CMake sets it per test to the sentence a learner needs next to the failure ("This test
 * proves step 5's lesson: ... Read: ..."); the harness only prints it.
 */
#define HARNESS_EXPLAINS "HARNESS_EXPLAINS"

/**
 * The name and code a report uses for the POSIX error @p name on this platform:
 * ERROR_NAME(EADDRINUSE) is "EADDRINUSE" on POSIX and "WSAEADDRINUSE" on Windows.
 */
#ifdef _WIN32
#    define ERROR_NAME(name) "WSA" #    name
#    define ERROR_CODE(name) WSA##name
#else
#    define ERROR_NAME(name) #    name
#    define ERROR_CODE(name) name
#endif

/* ---- Tests and assertions --------------------------------------------------------------- */

/** A test function and its name. */
struct test_case {
    const char *name;
    void (*run)(void);
};

/** Defines a test function; the name says what it proves. */
#define TEST(name) static void test_##name(void)
/** A row of the tests table. */
#define TEST_CASE(name)                                                                            \
    {                                                                                              \
#        name, test_##name                                                                         \
    }
/** Defines main() for a table of tests. */
#define TEST_MAIN(table)                                                                           \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        return harness_main(argc, argv, table, sizeof(table) / sizeof((table)[0]));                \
    }

/** Runs the test named by argv[1]; argv[2...] are the programs under test. */
int harness_main(int argc, char **argv, const struct test_case *tests, size_t count);

/** The program under test (the first program argument). */
const char *harness_program(void);
/** How many program arguments the test was given. */
int harness_program_count(void);

/** Counts the places where @p needle occurs in @p text. */
int harness_count(const char *text, const char *needle);

/** The Nth program argument (0 is harness_program()); fails the test if absent. */
const char *harness_program_at(int index);

/** The exit code of a skipped test; CTest's SKIP_RETURN_CODE is set to it. */
#define HARNESS_SKIPPED 77

/** Ends the test as skipped, saying why (something this platform cannot do). */
_Noreturn void harness_skip(const char *reason);

/** Skips the test unless the harness may open @p count descriptors (its limit is raised to
 *  the system's hard limit at start; the programs it starts inherit it). */
void harness_need_descriptors(unsigned long count);

/** True when the tests run under Wine, whose sockets differ from Windows' in a few ways. */
bool harness_under_wine(void);

/**
 * Prints a failure with its location, then the value of HARNESS_EXPLAINS, then everything the
 * children wrote, saying of each whether it still runs; kills them, and never returns.
 */
_Noreturn void harness_fail(const char *file, int line, const char *format, ...)
    REPORT_PRINTF_FORMAT(3, 4);

/** Fails unless @p expr is true. */
#define ASSERT_TRUE(expr)                                                                          \
    do {                                                                                           \
        if (!(expr))                                                                               \
            harness_fail(__FILE__, __LINE__, "`%s` is false", #expr);                              \
    } while (0)

/**
 * Fails unless `a OP b` holds for two integers, each evaluated once, and reports the failure
 * at @p file and @p line: @p text, the expression as written, and both values
 * (`` `got == 0` (1 == 0) ``). The ASSERT_EQ() family is this at the test's own line; a harness
 * helper passes its caller's.
 */
#define HARNESS_ASSERT_CMP(file, line, a, op, b, text)                                             \
    do {                                                                                           \
        long long assert_a_ = (long long)(a), assert_b_ = (long long)(b);                          \
        if (!(assert_a_ op assert_b_))                                                             \
            harness_fail(file, line, "`%s` (%lld %s %lld)", text, assert_a_, #op, assert_b_);      \
    } while (0)

/** Fails unless two integers are equal; each side is evaluated once. */
#define ASSERT_EQ(a, b) HARNESS_ASSERT_CMP(__FILE__, __LINE__, a, ==, b, #a " == " #b)
/** Fails unless two integers differ. */
#define ASSERT_NE(a, b) HARNESS_ASSERT_CMP(__FILE__, __LINE__, a, !=, b, #a " != " #b)
/** Fails unless @p a is less than @p b (integers). */
#define ASSERT_LT(a, b) HARNESS_ASSERT_CMP(__FILE__, __LINE__, a, <, b, #a " < " #b)
/** Fails unless @p a is at most @p b (integers). */
#define ASSERT_LE(a, b) HARNESS_ASSERT_CMP(__FILE__, __LINE__, a, <=, b, #a " <= " #b)
/** Fails unless @p a is greater than @p b (integers). */
#define ASSERT_GT(a, b) HARNESS_ASSERT_CMP(__FILE__, __LINE__, a, >, b, #a " > " #b)
/** Fails unless @p a is at least @p b (integers). */
#define ASSERT_GE(a, b) HARNESS_ASSERT_CMP(__FILE__, __LINE__, a, >=, b, #a " >= " #b)

/*
 * The string assertions take what the test saw first and what it expects second; a failure
 * shows both, quoted and escaped as C writes them ("\n"), under "seen:" and "expected:".
 */
/** Fails unless two strings are equal. */
#define ASSERT_STR_EQ(seen, expected)                                                              \
    harness_assert_str(__FILE__, __LINE__, #seen, #expected, (seen), (expected), HARNESS_STR_EQUAL)
/** Fails if two strings are equal. */
#define ASSERT_STR_NE(seen, unexpected)                                                            \
    harness_assert_str(__FILE__, __LINE__, #seen, #unexpected, (seen), (unexpected),               \
                       HARNESS_STR_NOT_EQUAL)
/** Fails unless string @p haystack contains @p needle. */
#define ASSERT_CONTAINS(haystack, needle)                                                          \
    harness_assert_str(__FILE__, __LINE__, #haystack, #needle, (haystack), (needle),               \
                       HARNESS_STR_CONTAINS)
/** Fails unless string @p text starts with @p prefix. */
#define ASSERT_STARTS_WITH(text, prefix)                                                           \
    harness_assert_str(__FILE__, __LINE__, #text, #prefix, (text), (prefix),                       \
                       HARNESS_STR_STARTS_WITH)
/** Fails if string @p haystack contains @p needle. */
#define ASSERT_NOT_CONTAINS(haystack, needle)                                                      \
    harness_assert_str(__FILE__, __LINE__, #haystack, #needle, (haystack), (needle),               \
                       HARNESS_STR_NOT_CONTAINS)

/** The string comparisons of harness_assert_str(). */
enum harness_str_check {
    HARNESS_STR_EQUAL,
    HARNESS_STR_NOT_EQUAL,
    HARNESS_STR_CONTAINS,
    HARNESS_STR_STARTS_WITH,
    HARNESS_STR_NOT_CONTAINS
};
/** The implementation of the string assertions: @p seen_text and @p expected_text are the
 *  expressions as written. */
void harness_assert_str(const char *file, int line, const char *seen_text,
                        const char *expected_text, const char *seen, const char *expected,
                        enum harness_str_check check);

/**
 * A failure message being written piece by piece, for harness_fail(): the harness's helpers
 * build their reports with it. What does not fit is cut.
 */
struct harness_message {
    char text[16384];
    size_t length;
};

/** Adds formatted text to @p message. */
void harness_message_add(struct harness_message *message, const char *format, ...)
    REPORT_PRINTF_FORMAT(2, 3);

/**
 * Adds @p length bytes of @p data to @p message in double quotes, escaped as C writes them
 * (`\n`, `\"`, `\x01`), so that a line break or a stray byte shows; of a long text, the start
 * and the end, saying how much was left out.
 */
void harness_message_add_quoted(struct harness_message *message, const char *data, size_t length);

/** Milliseconds on a clock that never jumps. */
long long harness_now_ms(void);

/* ---- Child processes ---------------------------------------------------------------------- */

/*
 * The waits for what a program prints and for its exit, and the expectations of the server and
 * client sections below, are macros: each passes the test's own file and line to the function
 * of the same name ending in `_at`, so that a failure names the line of the test that waited,
 * not a line of the harness. A failed wait for output says what it expected, what the program
 * wrote meanwhile (stdout and stderr), and whether the program still runs or how it ended (its
 * exit code, or the signal that killed it, and what that signal means).
 */

/** A step program running under test, its stdin a pipe, its stdout and stderr captured. */
struct child;

/**
 * Starts @p program with the arguments that follow, ending with NULL. The child is watched:
 * if the test fails, what it wrote is printed and it is killed. On POSIX, the environment
 * variable `HARNESS_WRAPPER` (e.g. "valgrind --error-exitcode=99") is put in front.
 */
struct child *child_start(const char *program, ...);

/**
 * Limits the number of open files of the children started from now on (POSIX
 * `RLIMIT_NOFILE`); 0 removes the limit. Skips the test on Windows.
 */
void child_limit_open_files(unsigned long limit);

/** Changes the open-files limit of a running child (Linux `prlimit()`); skips elsewhere. */
void child_set_open_files_limit(struct child *c, unsigned long limit);

/** Starts @p program with an argument vector (NULL-terminated). */
struct child *child_start_argv(const char *program, const char *const *args);

/**
 * Reads the child's next line of stdout (without the line break); NULL at end of stream.
 * Fails the test if no line comes within @p timeout_ms. The string lives until the next call.
 * To wait for a particular line, use child_expect_next_line() or child_expect_line(): their
 * failure says which line was expected.
 */
#define child_read_line(c, timeout_ms) child_read_line_at(__FILE__, __LINE__, c, timeout_ms)
const char *child_read_line_at(const char *file, int line, struct child *c, int timeout_ms);

/** Reads lines until one starts with @p prefix and returns it; fails the test otherwise. */
#define child_expect_line(c, prefix, timeout_ms)                                                   \
    child_expect_line_at(__FILE__, __LINE__, c, prefix, timeout_ms, NULL)

/** The same, and on failure says @p hint: what the program should do, in a learner's terms. */
#define child_expect_line_hint(c, prefix, timeout_ms, hint)                                        \
    child_expect_line_at(__FILE__, __LINE__, c, prefix, timeout_ms, hint)
const char *child_expect_line_at(const char *file, int line, struct child *c, const char *prefix,
                                 int timeout_ms, const char *hint);

/** Reads the child's next line and fails the test unless it is exactly @p expected. */
#define child_expect_next_line(c, expected, timeout_ms)                                            \
    child_expect_next_line_at(__FILE__, __LINE__, c, expected, timeout_ms)
void child_expect_next_line_at(const char *file, int line, struct child *c, const char *expected,
                               int timeout_ms);

/** Fails the test if the child prints another line: its stdout must end (the child exits, or
 *  closes it) within @p timeout_ms, with no line left unread. */
#define child_expect_no_more_lines(c, timeout_ms)                                                  \
    child_expect_no_more_lines_at(__FILE__, __LINE__, c, timeout_ms)
void child_expect_no_more_lines_at(const char *file, int line, struct child *c, int timeout_ms);

/** Writes text to the child's stdin. */
void child_write(struct child *c, const char *text);

/**
 * Writes @p length bytes to the child's stdin, any bytes. While the pipe is full, captures
 * the child's output: a child that answers as it reads may be waiting for room in its stdout
 * pipe before it reads more. Fails the test if the child takes nothing for a deadline.
 */
void child_write_bytes(struct child *c, const void *data, size_t length);

/** Closes the child's stdin: it reads end of file. */
void child_close_stdin(struct child *c);

/** Waits for the child to exit and returns its exit code; fails the test after the timeout. */
#define child_wait(c, timeout_ms) child_wait_at(__FILE__, __LINE__, c, timeout_ms)
int child_wait_at(const char *file, int line, struct child *c, int timeout_ms);

/**
 * Waits for the child to exit, as child_wait(), and fails the test unless its exit code is
 * @p code; the failure says how it ended instead (a signal, with what the signal means).
 */
#define child_expect_exit(c, code, timeout_ms)                                                     \
    child_expect_exit_at(__FILE__, __LINE__, c, code, timeout_ms)
void child_expect_exit_at(const char *file, int line, struct child *c, int code, int timeout_ms);

/**
 * Presses Ctrl-C (child_interrupt()) and expects exit code 0, as child_expect_exit() does;
 * prints and returns the milliseconds from Ctrl-C to the exit, for the test's own limit.
 */
#define child_interrupt_and_time_exit(c) child_interrupt_and_time_exit_at(__FILE__, __LINE__, c)
long long child_interrupt_and_time_exit_at(const char *file, int line, struct child *c);

/**
 * Asks the child to stop as Ctrl-C would: SIGINT on POSIX, CTRL_BREAK_EVENT on Windows (where
 * no console carries it, as under Wine, the handler is called through the system's own Ctrl
 * dispatcher, started in the child).
 */
void child_interrupt(struct child *c);

/** Stops the child (SIGSTOP) and waits until it is stopped; skips the test on Windows. Its
 *  kernel goes on answering the network meanwhile: connections queue, segments are ACKed. */
void child_pause(struct child *c);

/** Lets a child stopped by child_pause() go on (SIGCONT). */
void child_resume(struct child *c);

/** Closes the harness's end of the child's stdout, as `program | head -n 1` does once `head`
 *  has exited: the child's next write to stdout fails (POSIX: EPIPE, and SIGPIPE). */
void child_close_stdout_reader(struct child *c);

/** The next child starts with no stdout at all, as `program >&-` in a shell. */
void child_close_stdout_at_start(void);

/** The children started from now on start with descriptors 3 to @p count - 1 open (on
 *  /dev/null), so that their first socket is numbered @p count or more; skips on Windows. */
void child_occupy_descriptors(int count);

/** Everything the child has written to stdout so far (read what is pending first). */
const char *child_stdout(struct child *c);
/**
 * Captures the child's stdout byte for byte: no carriage returns are dropped on Windows. For
 * a child that writes binary data; call it right after starting the child.
 */
void child_keep_stdout_raw(struct child *c);

/** Everything the child has written to stdout so far, as bytes: stores the count in @p length. */
const char *child_stdout_bytes(struct child *c, size_t *length);

/** Everything the child has written to stderr so far. */
const char *child_stderr(struct child *c);

/**
 * Waits until the child's stdout (or, if @p on_stderr, its stderr) holds @p needle at least
 * @p times times; fails the test after @p timeout_ms.
 */
#define child_await(c, on_stderr, needle, times, timeout_ms)                                       \
    child_await_at(__FILE__, __LINE__, c, on_stderr, needle, times, timeout_ms)
void child_await_at(const char *file, int line, struct child *c, bool on_stderr, const char *needle,
                    int times, int timeout_ms);

/** Kills the child if it still runs and frees it. */
void child_free(struct child *c);

/**
 * Runs @p program to completion with the given arguments (NULL-terminated), its stdin empty.
 * @return the child, exited; its exit code is in child_exit_code(). Free it with child_free().
 */
struct child *child_run(const char *program, ...);

/** The exit code of a child that child_wait() or child_run() saw exit. */
int child_exit_code(const struct child *c);

/** Reads what every child has written so far, without waiting: a server whose stdout pipe
 *  is full blocks in printf(), and a single-threaded one then stops serving. For loops that
 *  run for long without reading the children's output (load.c, the benchmark). */
void child_pump_all(void);

/* ---- Servers and clients ------------------------------------------------------------------ */

/** A step program started as a server on `--port 0`, with the port it announced. */
struct server {
    struct child *process;
    char host[64]; /**< the host it listens on, as announced, without brackets */
    char port[8];  /**< the port it announced */
};

/**
 * Starts a server step with `--port 0` plus the extra arguments (NULL-terminated), waits for
 * its line that starts with @p ready_prefix (e.g. "listening on "), and parses the address.
 * (The program and the prefix come first; a macro passes the test's line as well.)
 */
#define server_start(...) server_start_at(__FILE__, __LINE__, __VA_ARGS__)
struct server server_start_at(const char *file, int line, const char *program,
                              const char *ready_prefix, ...);

/** Waits for the server's `served ADDRESS: echoed N bytes` line and checks N. */
#define server_expect_served(server, bytes)                                                        \
    server_expect_served_at(__FILE__, __LINE__, server, bytes)
void server_expect_served_at(const char *file, int line, const struct server *server, size_t bytes);

/** Checks that a server started with `--clients N` exits 0 after its N clients, saying so,
 *  and frees it. */
#define server_expect_exit_after(server, clients)                                                  \
    server_expect_exit_after_at(__FILE__, __LINE__, server, clients)
void server_expect_exit_after_at(const char *file, int line, struct server *server,
                                 unsigned long clients);

/** The program's name as its reports spell it (the file name without `.exe`), stored in
 *  @p name. */
void harness_program_name(const char *path, char *name, size_t size);

/**
 * For a server started with `--idle-timeout 1`: checks that it closed @p silent, a client
 * that connected at @p connected_ms (harness_now_ms()) and said nothing, no sooner than 1 s
 * later and without sending anything, and that it reported `: nothing moved for 1 s`.
 */
#define server_expect_idle_close(server, silent, connected_ms)                                     \
    server_expect_idle_close_at(__FILE__, __LINE__, server, silent, connected_ms)
void server_expect_idle_close_at(const char *file, int line, const struct server *server,
                                 SOCKET silent, long long connected_ms);

/**
 * Stops a server that has no `--clients` limit with Ctrl-C (child_interrupt()), checks that
 * it says "shut down after" and exits 0, and frees it.
 */
#define server_stop(server) server_stop_at(__FILE__, __LINE__, server)
void server_stop_at(const char *file, int line, struct server *server);

/** Connects to host:port; fails the test if it cannot. */
SOCKET client_connect(const char *host, const char *port);

/** Connects to host:port from the local address @p local (bound first: 127.0.0.2, say, is
 *  loopback too); fails the test if it cannot. */
SOCKET client_connect_from(const char *host, const char *port, const char *local);

/** Tries to connect to host:port, from @p local if it is not NULL: returns the socket, or
 *  INVALID_SOCKET with the error in @p error. A server that resets a connection as soon as it
 *  accepts it can make connect() itself fail with ECONNRESET on Linux: the reset arrived
 *  before the connecting thread ran again, and connect() reports the socket's state then. */
SOCKET client_try_connect_from(const char *host, const char *port, const char *local, int *error);

/** Tries to connect to host:port and returns the error code (0 if it connected, then closes). */
int client_connect_error(const char *host, const char *port);

/** Fails the test unless a connection to host:port is refused (ECONNREFUSED): nothing may
 *  listen there. The failure says what happened instead: a connection, or another error. */
#define client_expect_refused(host, port) client_expect_refused_at(__FILE__, __LINE__, host, port)
void client_expect_refused_at(const char *file, int line, const char *host, const char *port);

/** Sends every byte (looping on partial sends); fails the test on error. */
void client_send_all(SOCKET s, const void *data, size_t length);

/**
 * Receives until the peer closes, an error, the buffer is full, or the deadline.
 * @return 0 on end of stream, the error code on a receive error; fails the test on timeout.
 *         The byte count goes to @p received.
 */
int client_recv_until_closed(SOCKET s, char *buf, size_t size, size_t *received, int timeout_ms);

/**
 * Fails the test unless the peer ends the connection in order (recv() returns 0: its FIN)
 * within @p timeout_ms, sending nothing first. The failure tells a reset from an end of stream.
 */
#define client_expect_end_of_stream(s, timeout_ms)                                                 \
    client_expect_end_of_stream_at(__FILE__, __LINE__, s, timeout_ms)
void client_expect_end_of_stream_at(const char *file, int line, SOCKET s, int timeout_ms);

/** Fails the test unless the peer ends the connection, in order or by a reset, within
 *  @p timeout_ms, sending nothing first. */
#define client_expect_closed(s, timeout_ms)                                                        \
    client_expect_closed_at(__FILE__, __LINE__, s, timeout_ms)
void client_expect_closed_at(const char *file, int line, SOCKET s, int timeout_ms);

/**
 * Receives until the peer ends the connection in order (its FIN), storing what fits of what
 * came in @p buf, and returns the count stored. Fails the test on a reset, saying so, or if
 * the connection stays open for @p timeout_ms.
 */
#define client_recv_to_end_of_stream(s, buf, size, timeout_ms)                                     \
    client_recv_to_end_of_stream_at(__FILE__, __LINE__, s, buf, size, timeout_ms)
size_t client_recv_to_end_of_stream_at(const char *file, int line, SOCKET s, char *buf, size_t size,
                                       int timeout_ms);

/** Receives @p count bytes (4096 at most), whatever they are, leaving the connection open;
 *  fails the test, saying what came instead, unless they come within @p timeout_ms. */
#define client_expect_bytes(s, count, timeout_ms)                                                  \
    client_expect_bytes_at(__FILE__, __LINE__, s, count, timeout_ms)
void client_expect_bytes_at(const char *file, int line, SOCKET s, size_t count, int timeout_ms);

/** Shuts down the client's sending side (the peer reads an end of stream); fails the test,
 *  saying why, if the connection is gone. */
void client_shutdown_sending(SOCKET s);

/** client_recv_exact(): the connection ended before all the bytes came. */
#define HARNESS_RECV_ENDED (-1)
/** client_recv_exact(): not all the bytes came within the time. */
#define HARNESS_RECV_TIMED_OUT (-2)

/**
 * Receives exactly @p length bytes, leaving the connection open. Returns 0 when they came;
 * otherwise #HARNESS_RECV_ENDED, #HARNESS_RECV_TIMED_OUT or the socket error code. The count
 * received goes to @p received.
 */
int client_recv_exact(SOCKET s, char *buf, size_t length, size_t *received, int timeout_ms);

/**
 * Sends @p length bytes while receiving what comes back, as an echo client must: a server
 * that echoes stops reading once its replies fill the client's receive buffer. Then shuts
 * down sending and reads until the peer closes. Fails the test unless the bytes received are
 * exactly the bytes sent followed by end of stream.
 */
void client_echo_exchange(SOCKET s, const char *data, size_t length, int timeout_ms);

/** Sends one byte and reads it back, leaving the connection open: the server has accepted
 *  @p s and serves it. Fails the test otherwise. */
void client_echo_byte(SOCKET s, char byte);

/**
 * Connects to host:port, echoes @p length pseudo-random bytes made from @p seed through
 * client_echo_exchange() (which checks every byte and the end of stream), and closes.
 */
void client_echo_random(const char *host, const char *port, size_t length, unsigned seed);

/**
 * Sends @p seed's 64 KiB pattern on @p s over and over, without reading, until the connection
 * takes no more for half a second: the peer's buffers and ours are full, and the peer reads
 * no more. Returns how many bytes went; the socket is left non-blocking.
 */
size_t client_send_until_stuck(SOCKET s, unsigned seed);

/** Closes with SO_LINGER {1, 0}: the peer gets a reset (RST) instead of an orderly close. */
void client_reset(SOCKET s);

/** Waits until the peer's kernel has acknowledged the FIN that shutdown(SD_SEND) sent on
 *  @p s (Linux: TCP_INFO shows FIN_WAIT_2 or later); skips the test elsewhere. */
void client_await_fin_acked(SOCKET s);

/** Binds (without listening) a socket to host:port, so that no other program can listen
 *  there; fails the test if the port is still bound by something. */
SOCKET harness_reserve_port(const char *host, const char *port);

/** Tries to connect to host:port while holding it with harness_reserve_port(), and returns
 *  the error (ECONNREFUSED expected): proof that nothing listens there, which no test run in
 *  parallel can disturb by taking the port in the meantime. */
int client_connect_error_on_reserved(const char *host, const char *port);

/** client_expect_refused() while holding the port (client_connect_error_on_reserved()). */
#define client_expect_refused_on_reserved(host, port)                                              \
    client_expect_refused_on_reserved_at(__FILE__, __LINE__, host, port)
void client_expect_refused_on_reserved_at(const char *file, int line, const char *host,
                                          const char *port);

/** The port of a local socket, as a string. */
void client_local_port(SOCKET s, char *port, size_t size);

/** Fills @p buf with pseudo-random bytes from @p seed (repeatable). */
void harness_fill_random(char *buf, size_t length, unsigned seed);

/** Occupies a port with a listening socket on host; returns it and stores the port. */
SOCKET harness_listen(const char *host, char *port, size_t size);

/**
 * Accepts a connection on a socket from harness_listen(), for a test that plays the server;
 * fails the test if none comes within @p timeout_ms.
 */
SOCKET harness_accept(SOCKET listener, int timeout_ms);

/* ---- Many clients at once (load.c) -------------------------------------------------------- */

/** Many echo clients running side by side, all driven by one poll loop in the test. */
struct echo_load;

/**
 * Connects @p clients clients to host:port, one after another (the server's kernel queues
 * them even before it accepts). Each will send its own pseudo-random payload of 1 to
 * @p max_size bytes (from @p seed: repeatable) while reading the echo, shut down sending, and
 * expect exactly its bytes back, then end of stream. Nothing moves until echo_load_run().
 */
struct echo_load *echo_load_start(const char *host, const char *port, int clients, size_t max_size,
                                  unsigned seed);

/** Moves every client on until all have finished or @p timeout_ms passed; returns how many
 *  are still running. */
int echo_load_run(struct echo_load *load, int timeout_ms);

/** How many clients got all their bytes back, then end of stream. */
int echo_load_echoed(const struct echo_load *load);

/** How many clients failed: an error, a changed byte, or a close before the whole echo. */
int echo_load_failed(const struct echo_load *load);

/** How many clients have received at least one byte of echo so far. */
int echo_load_receiving(const struct echo_load *load);

/** Runs the load until every client has its echo; fails the test otherwise, naming the first
 *  client that failed and why, or how many had not finished within @p timeout_ms. */
void echo_load_expect_all_echoed(struct echo_load *load, int timeout_ms);

/** Closes the load's remaining connections and frees it. */
void echo_load_free(struct echo_load *load);

/** Runs @p clients clients at once (see echo_load_start()); fails the test unless every one
 *  of them gets its payload back byte for byte within @p timeout_ms. */
void client_echo_many(const char *host, const char *port, int clients, size_t max_size,
                      unsigned seed, int timeout_ms);

/**
 * Serves 2000 connections, 200 at a time, after a first round of 10, and reads @p count of
 * the server (child_open_descriptors(), child_thread_count()) once settled after the first
 * round, into @p before, and after the last, into @p after; prints both, named @p what. A
 * server whose clients leave nothing behind has the same count.
 */
void server_count_around_2000_clients(const struct server *server, const char *what,
                                      int (*count)(struct child *), int *before, int *after);

/**
 * Connects @p count clients that say nothing, into @p sockets, and waits until the server has
 * accepted them all: until it has @p descriptors (child_open_descriptors() before) plus one
 * per client open. For measuring what an idle client costs.
 */
void server_connect_idle_clients(const struct server *server, SOCKET *sockets, int count,
                                 int descriptors);

/* ---- What a running child holds (child.c) ------------------------------------------------- */

/** The number of descriptors the child has open (Linux: the entries of /proc/PID/fd);
 *  skips the test on other systems. */
int child_open_descriptors(struct child *c);

/**
 * Reads @p count of the child (child_open_descriptors(), child_thread_count()) until it has
 * not changed for 300 ms, and returns it: longer than a turn of the servers' loops (200 ms),
 * in which they close what their last clients left. Fails the test if it never settles.
 */
int child_settled(struct child *c, int (*count)(struct child *));

/**
 * The child's own child processes (Linux: the processes whose parent it is, from /proc):
 * stores up to @p max of their pids in @p pids, the number of those that ended and wait to
 * be reaped (zombies) in @p zombies, and returns how many there are. Skips elsewhere.
 */
int child_descendants(struct child *c, long *pids, int max, int *zombies);

/** Kills process @p pid at once: POSIX SIGKILL, which it cannot catch; Windows
 *  TerminateProcess() with exit code 9. */
void harness_kill_process(long pid);

/** The child's process id, which stays known after child_free(). */
long child_pid(const struct child *c);

/**
 * The processes still running @p program that process @p pid started, even after it has
 * ended: stores up to @p max of their pids in @p pids and returns how many there are. Linux:
 * every program the harness starts carries `HARNESS_FAMILY=<its pid>` in its environment, and
 * the processes it starts inherit it, wherever they are moved when their parent ends (zombies
 * are not counted). Windows: the processes whose parent process id is @p pid (a Toolhelp32
 * snapshot; Windows keeps that id when the parent ends) and whose executable has
 * @p program's name: Wine starts programs of its own (`services.exe`, ...) as children of the
 * first program that needs them. Skips elsewhere.
 */
int harness_processes_started_by(long pid, const char *program, long *pids, int max);

/**
 * Waits up to @p timeout_ms until no process running @p program that process @p pid started is
 * left (harness_processes_started_by()); fails the test otherwise, naming those left, after
 * ending them, so that they outlive no test.
 */
#define expect_no_process_started_by(pid, program, timeout_ms)                                     \
    expect_no_process_started_by_at(__FILE__, __LINE__, pid, program, timeout_ms)
void expect_no_process_started_by_at(const char *file, int line, long pid, const char *program,
                                     int timeout_ms);

/** The child's resident memory in KiB (Linux: VmRSS in /proc/PID/status); skips elsewhere. */
long child_resident_kib(struct child *c);

/** The number of threads the child runs (Linux: /proc/PID/status); skips elsewhere. */
int child_thread_count(struct child *c);

/** The processor time the child has used so far, user and system, in milliseconds (Linux:
 *  /proc/PID/stat, with the time of its own children that ended and that it reaped, such as
 *  a process-per-client server's; Windows: GetProcessTimes(), the child's own only); skips
 *  elsewhere. */
long long child_cpu_time_ms(struct child *c);

#endif /* HARNESS_H */
