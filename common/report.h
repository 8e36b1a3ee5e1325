/**
 * @file report.h
 * @brief Error handling: the last socket error, its symbolic name, the system's text, one
 *        uniform report on stderr, and the programs' exit codes.
 *
 * Every failure in every program is reported in one format:
 *
 *     PROGRAM: CALL failed: NAME (CODE): TEXT
 *
 * for example `03-bind: bind failed: EADDRINUSE (98): Address already in use` on Linux, or
 * `03-bind: bind failed: WSAEADDRINUSE (10048): Only one usage of each socket address ...`
 * on Windows. The report says which call failed and why; the caller decides what to clean up.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>

/* Lets GCC and Clang check report_message()'s arguments against its format, as they do for
 * printf(); other compilers (MSVC) see nothing. */
#if defined(__MINGW32__)
/* MinGW builds use its C99-conforming printf (__USE_MINGW_ANSI_STDIO), checked as gnu_printf. */
#    define REPORT_PRINTF_FORMAT(format_index, first_arg)                                          \
        __attribute__((format(gnu_printf, format_index, first_arg)))
#elif defined(__GNUC__) || defined(__clang__)
#    define REPORT_PRINTF_FORMAT(format_index, first_arg)                                          \
        __attribute__((format(printf, format_index, first_arg)))
#else
#    define REPORT_PRINTF_FORMAT(format_index, first_arg)
#endif

/** Exit code: the program did what it was asked. */
#define NET_EXIT_OK 0
/** Exit code: a socket call (or the name resolution) failed; the report says which. */
#define NET_EXIT_FAILURE 1
/** Exit code: the command line was wrong; the report names the bad option or value. */
#define NET_EXIT_USAGE 2

/**
 * @brief Sets the program name that starts every report.
 *
 * options_parse() calls this with `argv[0]`; the directory and a `.exe` suffix are dropped,
 * so reports read the same on every platform.
 *
 * @param argv0 the program's `argv[0]`, or a plain name.
 */
void report_set_program_name(const char *argv0);

/**
 * @brief The program name set by report_set_program_name().
 * @return The name, without directory or `.exe`; "program" if none was set.
 */
const char *report_program_name(void);

/**
 * @brief The error code of the socket call that just failed, in this thread.
 *
 * Windows: `WSAGetLastError()`, since Winsock does not set `errno`. POSIX: `errno`.
 * Read it right after the failing call: other calls, including printing, may overwrite it.
 *
 * @return The error code.
 */
int net_last_error(void);

/**
 * @brief The symbolic name of a socket error code.
 *
 * The table belongs to this library, so names are exact on every platform: Windows codes are
 * named `WSAEADDRINUSE`, `WSAECONNRESET`, ...; POSIX codes `EADDRINUSE`, `ECONNRESET`, ...
 *
 * @param code a value from net_last_error().
 * @return The name, or "unknown error" for a code the table does not know.
 */
const char *net_error_name(int code);

/**
 * @brief The system's message for a socket error code.
 *
 * Windows: `FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, ...)`, without the trailing period and
 * line break; when the system has no text (Wine returns none for most Winsock codes), a short
 * description from this library's table. POSIX: `strerror_r()`.
 *
 * @param code a value from net_last_error().
 * @param buf where to write the message.
 * @param size the size of @p buf.
 * @return @p buf.
 */
const char *net_error_text(int code, char *buf, size_t size);

/**
 * @brief Reports the failure of a socket call, with the error it just set.
 *
 * Prints `PROGRAM: CALL failed: NAME (CODE): TEXT` on stderr, with the code from
 * net_last_error(). Call it right after the failing call.
 *
 * @param call the name of the call that failed, e.g. "bind".
 */
void report_socket_error(const char *call);

/**
 * @brief Reports the failure of a call whose error code is given explicitly.
 *
 * For calls that return their error instead of setting it: `WSAStartup()` on Windows, and
 * codes saved before other calls could overwrite them.
 *
 * @param call the name of the call that failed.
 * @param code its error code, as net_last_error() would have returned it.
 */
void report_error_code(const char *call, int code);

/**
 * @brief Reports the failure of `getaddrinfo()` or `getnameinfo()`.
 *
 * These calls return their error. On POSIX it is an `EAI_*` code (named from this library's
 * table, described by `gai_strerror()`), and `EAI_SYSTEM` means the real error is in `errno`.
 * On Windows it is a Winsock code such as `WSAHOST_NOT_FOUND`, reported like any other.
 *
 * @param call "getaddrinfo" or "getnameinfo".
 * @param code the call's return value.
 */
void report_gai_error(const char *call, int code);

/**
 * @brief Describes a `getaddrinfo()` or `getnameinfo()` error as a report would:
 *        `NAME (CODE): TEXT`, such as `EAI_NONAME (-2): Name or service not known`.
 *
 * For a text that is not a report line of its own: net_format_address() writes it where the
 * address would have been. Names and texts as for report_gai_error(), on both systems.
 *
 * @param code the call's return value.
 * @param buf where to write the description.
 * @param size the size of @p buf.
 * @return @p buf.
 */
const char *report_describe_gai_error(int code, char *buf, size_t size);

/**
 * @brief Reports something that is not a failed call: `PROGRAM: MESSAGE` on stderr.
 * @param format a printf format.
 * @param ... its arguments.
 */
void report_message(const char *format, ...) REPORT_PRINTF_FORMAT(1, 2);

#endif /* REPORT_H */
