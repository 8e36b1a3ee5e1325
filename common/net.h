/**
 * @file net.h
 * @brief Portability layer: the Winsock vocabulary on every platform, start-up and clean-up,
 *        and small helpers for addresses and waiting.
 *
 * Step programs include this header and then write the code of the Winsock tutorial:
 * `SOCKET`, `INVALID_SOCKET`, `SOCKET_ERROR`, `closesocket()`, `SD_SEND`. On Windows these
 * come from `<winsock2.h>`; on POSIX systems this header maps them onto file descriptors,
 * `-1`, `close()` and `SHUT_WR`. Everything that needs `#ifdef _WIN32` lives here and in
 * the other files of `common/`, so the steps stay free of it.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>

#ifdef _WIN32
/* Leave out the parts of <windows.h> a socket program never uses; among them the old
 * <winsock.h>, which would clash with <winsock2.h>. */
#    ifndef WIN32_LEAN_AND_MEAN
#        define WIN32_LEAN_AND_MEAN
#    endif
#    include <winsock2.h>
#    include <ws2tcpip.h>
#    include <windows.h>

/* Winsock never raises a signal: writing to a connection the peer has closed fails with
 * WSAECONNRESET or WSAESHUTDOWN. The flag exists so that portable code can pass it. */
#    ifndef MSG_NOSIGNAL
#        define MSG_NOSIGNAL 0
#    endif

#else /* POSIX */
#    include <sys/types.h>
#    include <sys/socket.h>
#    include <netinet/in.h>
#    include <netinet/tcp.h>
#    include <arpa/inet.h>
#    include <netdb.h>
#    include <sys/select.h> /* select(), which Winsock declares in <winsock2.h> */
#    include <unistd.h>
#    include <errno.h>
#    include <poll.h>

/** A socket handle. On POSIX it is a file descriptor; Winsock's is an unsigned `UINT_PTR`. */
typedef int SOCKET;
/** What `socket()` and `accept()` return on failure (Winsock: `~0`; POSIX: `-1`). */
#    define INVALID_SOCKET (-1)
/** What the other socket calls return on failure. */
#    define SOCKET_ERROR   (-1)
/** Winsock closes sockets with `closesocket()`; POSIX sockets are files, closed by `close()`. */
#    define closesocket(s) close(s)
/** `shutdown()` direction: no more receives. */
#    define SD_RECEIVE     SHUT_RD
/** `shutdown()` direction: no more sends; the peer reads end of stream after the last byte. */
#    define SD_SEND        SHUT_WR
/** `shutdown()` direction: both. */
#    define SD_BOTH        SHUT_RDWR

/* On POSIX, send() on a connection that can no longer carry data (the peer has reset it
 * after our end of stream, or we shut our side down) fails with EPIPE and also raises
 * SIGPIPE, whose default action kills the process. The flag MSG_NOSIGNAL asks for the error
 * alone: Linux, the BSDs, and macOS from version 11 have it. Older systems without it have
 * the per-socket option SO_NOSIGPIPE instead; there net_startup() simply ignores SIGPIPE for
 * the whole process. */
#    ifndef MSG_NOSIGNAL
#        define MSG_NOSIGNAL       0
#        define NET_IGNORE_SIGPIPE 1
#    endif
#endif

/**
 * @brief Room for any address formatted by net_format_address(), terminating NUL included:
 *        `[` + an IPv6 address with scope + `]:` + five digits.
 */
#define NET_ADDRESS_STRLEN 80

/* The names of the calls that the helpers below make, for reports: a learner reading
 * "select failed" or "fcntl failed" knows which call to look up; "net_wait_readable failed"
 * would send them into this library. */
#ifdef _WIN32
#    define NET_WAIT_CALL        "select"
#    define NET_POLL_CALL        "WSAPoll"
#    define NET_NONBLOCKING_CALL "ioctlsocket"
#else
/** The call net_wait_readable() and net_wait_writable() make, for a report's CALL:
 *  "poll" on POSIX, "select" on Windows. */
#    define NET_WAIT_CALL        "poll"
/** The call net_poll() makes: "poll" on POSIX, "WSAPoll" on Windows. */
#    define NET_POLL_CALL        "poll"
/** The call net_set_nonblocking() makes: "fcntl" on POSIX, "ioctlsocket" on Windows. */
#    define NET_NONBLOCKING_CALL "fcntl"
#endif

/**
 * @brief Starts the platform's socket library; reports a failure on stderr.
 *
 * Windows: calls `WSAStartup(MAKEWORD(2, 2))` and checks that version 2.2 was really
 * negotiated, since `WSAStartup` succeeds with a lower version when that is all the system
 * offers. No other Winsock function works before this call (they fail with
 * `WSANOTINITIALISED`). POSIX: sockets are part of the system and need no start-up. Two
 * precautions are taken instead: `SIGPIPE` is ignored on systems that lack `MSG_NOSIGNAL`,
 * and if descriptor 0, 1 or 2 is closed (a program started as `server >&-`), `/dev/null` is
 * opened on it. A socket is a descriptor, and `socket()` returns the lowest free number: a
 * socket numbered 1 would receive everything the program prints to stdout.
 *
 * @return 0 on success, or the error code (`WSAStartup`'s, or `WSAVERNOTSUPPORTED`).
 */
int net_startup(void);

/**
 * @brief Makes writing to a pipe or socket whose reader has gone fail with `EPIPE` instead of
 *        killing the process with `SIGPIPE`.
 *
 * A server's own output can be such a pipe: `server | head -n 1` ends the reader after one
 * line, and the server's next `printf()` would raise `SIGPIPE`, whose default action ends the
 * process, clients and all. `MSG_NOSIGNAL` protects `send()` only; `write()` and the stdio
 * functions built on it have no such flag. POSIX: `signal(SIGPIPE, SIG_IGN)` for the whole
 * process. Windows: does nothing, there is no `SIGPIPE`; a write to a closed pipe simply
 * fails.
 *
 * @return 0, or -1 if the signal's action could not be changed (`errno` says why).
 */
int net_ignore_sigpipe(void);

/**
 * @brief Releases what net_startup() acquired.
 *
 * Windows: `WSACleanup()`, once for each successful net_startup(). POSIX: does nothing.
 */
void net_cleanup(void);

/**
 * @brief Describes the socket library that net_startup() started, for a learner to read.
 *
 * Windows: the negotiated Winsock version and the `szDescription` and `szSystemStatus`
 * strings of `WSADATA`. POSIX: a sentence saying no initialization was needed.
 *
 * @return A static string; valid until the next net_startup().
 */
const char *net_library_description(void);

/**
 * @brief Formats a socket address as `127.0.0.1:27015` or `[::1]:27015`.
 *
 * Uses `getnameinfo()` with `NI_NUMERICHOST | NI_NUMERICSERV`, so it never touches DNS.
 *
 * @param addr the address, as filled in by `getaddrinfo()`, `accept()` or `getsockname()`.
 * @param addrlen its length in bytes.
 * @param buf where to write; at least #NET_ADDRESS_STRLEN bytes.
 * @param size the size of @p buf.
 * @return @p buf. If the address cannot be formatted, @p buf holds `?(getnameinfo failed: NAME
 *         (CODE): TEXT)`, as report_describe_gai_error() writes it, cut to @p size.
 */
const char *net_format_address(const struct sockaddr *addr, size_t addrlen, char *buf, size_t size);

/**
 * @brief Names an address family for printing.
 * @param family e.g. `AF_INET`.
 * @return "AF_INET", "AF_INET6", or "unknown". The same on every platform.
 */
const char *net_family_name(int family);

/**
 * @brief Names a socket type for printing.
 * @param type e.g. `SOCK_STREAM`.
 * @return "SOCK_STREAM", "SOCK_DGRAM", or "unknown".
 */
const char *net_socktype_name(int type);

/**
 * @brief Names a protocol for printing.
 * @param protocol e.g. `IPPROTO_TCP`.
 * @return "IPPROTO_TCP", "IPPROTO_UDP", or "unknown".
 */
const char *net_protocol_name(int protocol);

/**
 * @brief Waits until a socket is readable (data, end of stream, an error, or for a listening
 *        socket a connection to accept), or until a timeout expires.
 *
 * A blocking `accept()` or `recv()` cannot be told to give up; waiting first, in slices, lets
 * a server look at a stop flag between slices. POSIX uses `poll()` (no limit on descriptor
 * numbers); Windows uses `select()`, whose `fd_set` is a list of handles there, not a bitmap (`WSAPoll()`
 * could wake at once, again and again, on a socket the peer has shut down: see net_poll()).
 * Report a failure with #NET_WAIT_CALL as the call's name.
 *
 * @param s the socket.
 * @param timeout_ms how long to wait, in milliseconds; negative means no limit.
 * @return 1 if readable, 0 on timeout, `SOCKET_ERROR` on failure (error in net_last_error()).
 *         A signal that interrupts the wait on POSIX counts as a timeout.
 */
int net_wait_readable(SOCKET s, int timeout_ms);

/**
 * @brief Makes a socket non-blocking: from now on, a call that would have to wait fails at
 *        once with an error for which net_would_block() is true.
 *
 * A program that both sends and receives on one thread needs this even when it waits with
 * `select()` or `poll()` first: "writable" promises room for some bytes, but a blocking
 * `send()` returns only when it has queued all of them, and while it waits nobody reads what
 * the peer sends. Windows: `ioctlsocket(FIONBIO)`; a socket returned by `accept()` inherits
 * the mode of its listening socket. POSIX: `fcntl()` adds `O_NONBLOCK`. Whether an accepted
 * socket inherits it differs: on Linux it does not (`accept4()` can ask for it), on the BSDs
 * and macOS it does. Report a failure with #NET_NONBLOCKING_CALL as the call's name.
 *
 * @param s the socket.
 * @return 0, or `SOCKET_ERROR` (the error in net_last_error()).
 */
int net_set_nonblocking(SOCKET s);

/**
 * @brief Tells whether a call on a non-blocking socket failed only because it would have had
 *        to wait ("not now"); the program tries again when the socket is ready.
 *
 * Windows: `WSAEWOULDBLOCK`, and `WSAEINTR`, a blocking call that was cancelled. POSIX:
 * `EAGAIN` or `EWOULDBLOCK` (POSIX allows two values; on Linux, macOS and the BSDs they are
 * one), and `EINTR`, a call interrupted by a signal. In every case the call did nothing and
 * may be made again; a loop with a stop flag looks at the flag first.
 *
 * @param code the error from net_last_error() right after the call failed.
 * @return nonzero for "not now", 0 for a real failure.
 */
int net_would_block(int code);

/** What a server should do after `accept()` failed: see net_classify_accept_error(). */
enum net_accept_failure {
    NET_ACCEPT_SKIP,     /**< a problem of that one connection: accept the next at once */
    NET_ACCEPT_BACK_OFF, /**< out of descriptors or memory, or unknown: pause, then try again */
    NET_ACCEPT_FATAL     /**< the listening socket itself is broken: stop */
};

/**
 * @brief Tells whether an `accept()` failure is about one connection, about resources, or
 *        about the listening socket.
 *
 * Only a broken listening socket ends a server: `EBADF`, `ENOTSOCK`, `EINVAL` (the socket
 * does not listen), `EFAULT`; on Windows `WSAENOTSOCK`, `WSAEINVAL`, `WSAEFAULT`,
 * `WSANOTINITIALISED`, `WSAEOPNOTSUPP`. A server must not stop because one client gave up
 * before it was accepted (`ECONNABORTED`; on Windows `WSAECONNRESET`, `WSAECONNABORTED`,
 * `WSAENETRESET`, `WSAETIMEDOUT`, and `WSAEACCES` from `WSAAccept()` when the request was
 * withdrawn meanwhile), because a signal interrupted the call (`EINTR`), or because of any
 * other error of that one connection: Linux
 * passes the pending connection's network errors on through `accept()` (its manual lists
 * `ENETDOWN`, `EPROTO`, `ENOPROTOOPT`, `EHOSTDOWN`, `ENONET`, `EHOSTUNREACH`, `EOPNOTSUPP`,
 * `ENETUNREACH`), and a firewall rule can make it fail with `EPERM`. Running out of
 * descriptors (`EMFILE`, `ENFILE`; `WSAEMFILE`) or memory (`ENOBUFS`, `ENOMEM`, `ENOSR`;
 * `WSAENOBUFS`) passes when other connections close, but retrying at once would spin: the
 * pending connection stays queued and `accept()` fails again immediately. An error this
 * function does not know is treated the same way, a pause and another try: it neither ends
 * the server nor makes it spin.
 *
 * @param code the error from net_last_error() right after `accept()` failed.
 * @return #NET_ACCEPT_SKIP, #NET_ACCEPT_BACK_OFF or #NET_ACCEPT_FATAL.
 */
enum net_accept_failure net_classify_accept_error(int code);

/**
 * @brief Milliseconds on a clock that only moves forward, for timeouts and deadlines.
 *
 * The wall clock can jump (a time sync, a user setting the date); this one cannot.
 * Windows: `GetTickCount64()`. POSIX: `clock_gettime(CLOCK_MONOTONIC)`.
 *
 * @return milliseconds since an arbitrary start; only differences mean anything.
 */
long long net_now_ms(void);

/**
 * @brief Pauses the calling thread.
 * @param ms milliseconds (`Sleep()` on Windows, `nanosleep()` on POSIX).
 */
void net_sleep_ms(int ms);

/**
 * @brief Puts standard input and standard output in binary mode, so that bytes pass through a
 *        program unchanged.
 *
 * Windows: the C runtime opens both in text mode, which writes every `\n` as `\r\n`, reads
 * `\r\n` as `\n`, and takes Ctrl-Z (byte 0x1A) in the input for its end: any file that is
 * not text would arrive altered. `_setmode(_fileno(...), _O_BINARY)` turns that off. POSIX:
 * text and binary streams are the same; does nothing.
 *
 * @return 0, or -1 if a stream could not be switched (`errno` says why).
 */
int net_binary_stdio(void);

/**
 * @brief Reads what standard input has now, without waiting for a full buffer.
 *
 * `fread()` returns only when the buffer is full or the input ends, so lines typed at a
 * terminal would wait for Ctrl-D. This returns as soon as there is anything: a line from a
 * terminal, what a pipe holds. POSIX: `read()` on descriptor 0, retried after a signal.
 * Windows: `_read()` (binary after net_binary_stdio()); at most 64 KiB per call.
 *
 * @param buf where to store the bytes.
 * @param size the room in @p buf.
 * @return the number of bytes read, 0 at the end of the input, -1 on an error (in `errno`).
 */
long net_read_input(char *buf, size_t size);

/**
 * @brief Tells whether standard input is a terminal (a person typing) rather than a pipe or
 *        a file.
 * @return nonzero for a terminal: `isatty()` on POSIX, `_isatty()` on Windows.
 */
int net_input_is_terminal(void);

/**
 * @brief Waits until a socket has room to send (or has failed), or until a timeout expires.
 *
 * The counterpart of net_wait_readable(): a `send()` on a non-blocking socket whose buffer is
 * full fails with "would block" (net_would_block()); this waits, in a slice the caller
 * chooses, for the peer to read. POSIX uses `poll()`; Windows uses `select()`. Report a failure with #NET_WAIT_CALL as the call's name.
 *
 * @param s the socket.
 * @param timeout_ms how long to wait, in milliseconds; negative means no limit.
 * @return 1 if writable, 0 on timeout, `SOCKET_ERROR` on failure (error in net_last_error()).
 *         A signal that interrupts the wait on POSIX counts as a timeout.
 */
int net_wait_writable(SOCKET s, int timeout_ms);

/**
 * @brief Waits until one of several sockets is ready, or a timeout expires: `poll()` on
 *        POSIX, `WSAPoll()` on Windows (Vista and later). Report a failure with
 *        #NET_POLL_CALL as the call's name.
 *
 * Both take the same array of `struct pollfd` (`fd`, `events` to watch, `revents` that
 * happened) and the same flags (`POLLIN`, `POLLOUT`; `POLLHUP`, `POLLERR` and `POLLNVAL` are
 * reported whether asked for or not). Differences to keep in mind:
 * - `WSAPoll()` fails with `WSAEINVAL` if `events` holds a flag it does not support:
 *   ask only for `POLLIN` and `POLLOUT`, never `POLLPRI`, `POLLHUP` or `POLLERR`.
 * - A peer's orderly close (its FIN) is reported differently. Linux and FreeBSD report it as
 *   `POLLIN` (a `recv()` of 0 bytes), and `POLLHUP` only once both directions are closed;
 *   macOS reports `POLLHUP` as soon as the peer's FIN arrives. `WSAPoll()` reports `POLLHUP`,
 *   often without `POLLIN`, and (seen under Wine 8; Windows itself was not tried) goes on
 *   reporting it on every call once the peer has shut down its side, whatever `events` asks
 *   for: a loop waiting for `POLLOUT` on such a socket wakes at once. Treat `POLLHUP` and
 *   `POLLERR` as "read now": `recv()` then says which it is.
 * - An entry with a negative `fd` is skipped by both (Wine marks it `POLLNVAL`, without
 *   counting it in the result).
 * - Before Windows 10 version 2004, `WSAPoll()` never reported a failed non-blocking
 *   `connect()`; a client should not wait for one without a timeout.
 *
 * @param fds the sockets and the events to wait for; `revents` is filled in.
 * @param count how many entries @p fds has.
 * @param timeout_ms how long to wait in milliseconds; negative means no limit.
 * @return the number of entries with `revents` set, 0 on timeout, or `SOCKET_ERROR` (error
 *         in net_last_error()). A signal that interrupts the wait on POSIX counts as a
 *         timeout, so that the caller looks at its stop flag.
 */
int net_poll(struct pollfd *fds, size_t count, int timeout_ms);

#endif /* NET_H */
