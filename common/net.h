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
#    include <unistd.h>
#    include <errno.h>

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

/* On POSIX, send() on a connection the peer has reset raises SIGPIPE, whose default action
 * kills the process. Linux and the BSDs accept MSG_NOSIGNAL to get EPIPE instead. macOS has
 * no such flag: there net_startup() ignores SIGPIPE for the whole process. */
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

/**
 * @brief Starts the platform's socket library; reports a failure on stderr.
 *
 * Windows: calls `WSAStartup(MAKEWORD(2, 2))` and checks that version 2.2 was really
 * negotiated, since `WSAStartup` succeeds with a lower version when that is all the system
 * offers. No other Winsock function works before this call (they fail with
 * `WSANOTINITIALISED`). POSIX: sockets are part of the system and need no start-up; the call
 * only ignores `SIGPIPE` on systems that lack `MSG_NOSIGNAL`.
 *
 * @return 0 on success, or the error code (`WSAStartup`'s, or `WSAVERNOTSUPPORTED`).
 */
int net_startup(void);

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
 * @return @p buf. If the address cannot be formatted, @p buf holds `?` and the reason.
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
 * numbers); Windows uses `select()`, whose `fd_set` is a list of handles there, not a bitmap.
 *
 * @param s the socket.
 * @param timeout_ms how long to wait, in milliseconds; negative means no limit.
 * @return 1 if readable, 0 on timeout, `SOCKET_ERROR` on failure (error in net_last_error()).
 *         A signal that interrupts the wait on POSIX counts as a timeout.
 */
int net_wait_readable(SOCKET s, int timeout_ms);

/** What a server should do after `accept()` failed: see net_classify_accept_error(). */
enum net_accept_failure {
    NET_ACCEPT_SKIP,     /**< a problem of that one connection: accept the next at once */
    NET_ACCEPT_BACK_OFF, /**< out of descriptors or memory: pause briefly, then try again */
    NET_ACCEPT_FATAL     /**< the listening socket itself is broken: stop */
};

/**
 * @brief Tells whether an `accept()` failure is about one connection, about resources, or
 *        about the listening socket.
 *
 * A server must not stop because one client gave up before it was accepted
 * (`ECONNABORTED`; on Windows `WSAECONNRESET`), nor because a signal interrupted the call
 * (`EINTR`). Running out of descriptors (`EMFILE`, `ENFILE`; `WSAEMFILE`) or buffers
 * (`ENOBUFS`, `ENOMEM`) passes when other connections close, but retrying at once would
 * spin: the pending connection stays queued and `accept()` fails again immediately.
 *
 * @param code the error from net_last_error() right after `accept()` failed.
 * @return #NET_ACCEPT_SKIP, #NET_ACCEPT_BACK_OFF or #NET_ACCEPT_FATAL.
 */
enum net_accept_failure net_classify_accept_error(int code);

/**
 * @brief Pauses the calling thread.
 * @param ms milliseconds (`Sleep()` on Windows, `nanosleep()` on POSIX).
 */
void net_sleep_ms(int ms);

#endif /* NET_H */
