/**
 * @file net.c
 * @brief Start-up, clean-up and address helpers: see net.h.
 */
#include "net.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#    include <fcntl.h>
#    include <io.h>
static char library_description[WSADESCRIPTION_LEN + WSASYS_STATUS_LEN + 64];
#else
#    include <fcntl.h>
#    include <poll.h>
#    include <signal.h>
#    include <time.h>
#endif

int net_startup(void)
{
#ifdef _WIN32
    //! [wsastartup]
    WSADATA wsaData;
    /* Ask for Winsock 2.2, the version every Windows since 98 provides. */
    int err = WSAStartup(MAKEWORD(2, 2), &wsaData);
    if (err != 0) {
        /* WSAStartup returns its error; WSAGetLastError() is not usable before it succeeds. */
        report_error_code("WSAStartup", err);
        return err;
    }
    /* WSAStartup succeeds with a lower version if that is the best the system has; the
     * version we got is in wVersion, and it must be checked. */
    if (LOBYTE(wsaData.wVersion) != 2 || HIBYTE(wsaData.wVersion) != 2) {
        report_message("WSAStartup negotiated Winsock %d.%d; this program needs 2.2",
                       LOBYTE(wsaData.wVersion), HIBYTE(wsaData.wVersion));
        WSACleanup(); /* it did succeed, so it must be balanced */
        return WSAVERNOTSUPPORTED;
    }
    //! [wsastartup]
    snprintf(library_description, sizeof library_description, "Winsock %d.%d: %s (status: %s)",
             LOBYTE(wsaData.wVersion), HIBYTE(wsaData.wVersion), wsaData.szDescription,
             wsaData.szSystemStatus[0] != '\0' ? wsaData.szSystemStatus : "not given");
#else
    /* A closed standard descriptor would be the first number socket() hands out: a socket on
     * descriptor 1 would receive, as data for a client, what printf() writes. */
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            int opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
            if (opened != fd) {
                report_message("descriptor %d is closed and /dev/null cannot take its place", fd);
                if (opened >= 0)
                    close(opened);
                return EBADF;
            }
        }
    }
#    ifdef NET_IGNORE_SIGPIPE
    /* No MSG_NOSIGNAL here: a send() to a reset connection would raise SIGPIPE and kill the
     * process. Ignoring it makes such a send() fail with EPIPE, which the caller handles. */
    signal(SIGPIPE, SIG_IGN);
#    endif
#endif
    return 0;
}

int net_ignore_sigpipe(void)
{
#ifndef _WIN32
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        return -1;
#endif
    return 0;
}

void net_cleanup(void)
{
#ifdef _WIN32
    //! [wsacleanup]
    WSACleanup();
    //! [wsacleanup]
#endif
}

const char *net_library_description(void)
{
#ifdef _WIN32
    return library_description;
#else
    return "POSIX sockets: part of the system, nothing to initialize";
#endif
}

const char *net_format_address(const struct sockaddr *addr, size_t addrlen, char *buf, size_t size)
{
    char host[NET_ADDRESS_STRLEN];
    char port[8];
    int rc = getnameinfo(addr, (socklen_t)addrlen, host, sizeof host, port, sizeof port,
                         NI_NUMERICHOST | NI_NUMERICSERV);
    if (rc != 0) {
        /* Rare (an address of a family the system cannot format, or a length too short: a
         * caller's bug), and never worth a failure of its own: the report takes its place. */
        char why[200];
        snprintf(buf, size, "?(getnameinfo failed: %s)",
                 report_describe_gai_error(rc, why, sizeof why));
        return buf;
    }
    /* An IPv6 address contains colons, so it goes in brackets before the port (RFC 3986). */
    if (addr->sa_family == AF_INET6)
        snprintf(buf, size, "[%s]:%s", host, port);
    else
        snprintf(buf, size, "%s:%s", host, port);
    return buf;
}

const char *net_family_name(int family)
{
    switch (family) {
    case AF_INET:
        return "AF_INET";
    case AF_INET6:
        return "AF_INET6";
    case AF_UNSPEC:
        return "AF_UNSPEC";
    default:
        return "unknown";
    }
}

const char *net_socktype_name(int type)
{
    switch (type) {
    case SOCK_STREAM:
        return "SOCK_STREAM";
    case SOCK_DGRAM:
        return "SOCK_DGRAM";
    default:
        return "unknown";
    }
}

const char *net_protocol_name(int protocol)
{
    switch (protocol) {
    case IPPROTO_TCP:
        return "IPPROTO_TCP";
    case IPPROTO_UDP:
        return "IPPROTO_UDP";
    case 0:
        return "0 (the type's default)";
    default:
        return "unknown";
    }
}

int net_wait_readable(SOCKET s, int timeout_ms)
{
#ifdef _WIN32
    fd_set readable;
    struct timeval timeout;
    FD_ZERO(&readable);
    FD_SET(s, &readable);
    timeout.tv_sec = timeout_ms / 1000;
    timeout.tv_usec = (timeout_ms % 1000) * 1000;
    /* The first argument is ignored by Winsock; it exists for compatibility. */
    int rc = select(0, &readable, NULL, NULL, timeout_ms < 0 ? NULL : &timeout);
    return rc == SOCKET_ERROR ? SOCKET_ERROR : rc > 0;
#else
    struct pollfd entry;
    entry.fd = s;
    entry.events = POLLIN;
    entry.revents = 0;
    int rc = poll(&entry, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : SOCKET_ERROR;
    return rc > 0;
#endif
}

int net_set_nonblocking(SOCKET s)
{
#ifdef _WIN32
    u_long on = 1;
    return ioctlsocket(s, FIONBIO, &on) == SOCKET_ERROR ? SOCKET_ERROR : 0;
#else
    int flags = fcntl(s, F_GETFL);
    if (flags == -1 || fcntl(s, F_SETFL, flags | O_NONBLOCK) == -1)
        return SOCKET_ERROR;
    return 0;
#endif
}

int net_would_block(int code)
{
#ifdef _WIN32
    return code == WSAEWOULDBLOCK || code == WSAEINTR;
#else
    return code == EAGAIN || code == EWOULDBLOCK || code == EINTR;
#endif
}

long long net_now_ms(void)
{
#ifdef _WIN32
    return (long long)GetTickCount64();
#else
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
#endif
}

void net_sleep_ms(int ms)
{
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec pause;
    pause.tv_sec = ms / 1000;
    pause.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&pause, NULL);
#endif
}

int net_binary_stdio(void)
{
#ifdef _WIN32
    /* _setmode() returns the previous mode, or -1 with errno set. A stream the process was
     * started without (_fileno() is negative then) has no mode to change. */
    if (_fileno(stdin) >= 0 && _setmode(_fileno(stdin), _O_BINARY) == -1)
        return -1;
    if (_fileno(stdout) >= 0 && _setmode(_fileno(stdout), _O_BINARY) == -1)
        return -1;
#endif
    return 0;
}

int net_input_is_terminal(void)
{
#ifdef _WIN32
    return _isatty(_fileno(stdin)) != 0;
#else
    return isatty(STDIN_FILENO);
#endif
}

long net_read_input(char *buf, size_t size)
{
#ifdef _WIN32
    /* _read() takes an unsigned int count; a chunk of input never needs more. */
    int got = _read(_fileno(stdin), buf, size > 65536 ? 65536u : (unsigned)size);
    return got;
#else
    for (;;) {
        ssize_t got = read(STDIN_FILENO, buf, size);
        if (got >= 0 || errno != EINTR)
            return (long)got;
    }
#endif
}

enum net_accept_failure net_classify_accept_error(int code)
{
    switch (code) {
#ifdef _WIN32
    /* The listening socket itself is unusable. */
    case WSAENOTSOCK:
    case WSAEINVAL: /* it does not listen */
    case WSAEFAULT:
    case WSAEOPNOTSUPP: /* it is not a stream socket */
    case WSANOTINITIALISED:
        return NET_ACCEPT_FATAL;
    /* That one connection. */
    case WSAECONNRESET:   /* the client reset before we accepted it */
    case WSAENOTCONN:     /* the same, as Wine reports it */
    case WSAECONNABORTED: /* the connection was aborted before it was accepted */
    case WSAENETRESET:    /* the connection broke: keep-alive found the peer gone */
    case WSAETIMEDOUT:    /* the connection timed out before it was accepted */
    case WSAEACCES:       /* WSAAccept(): the request timed out or was withdrawn meanwhile */
    case WSAEINTR:        /* a blocking call was cancelled */
    case WSAEWOULDBLOCK:  /* non-blocking listener: nothing to accept right now */
        return NET_ACCEPT_SKIP;
#else
    /* The listening socket itself is unusable. */
    case EBADF:
    case ENOTSOCK:
    case EINVAL: /* it does not listen */
    case EFAULT:
        return NET_ACCEPT_FATAL;
    /* That one connection. */
    case ECONNABORTED: /* the client gave up before we accepted it */
    case EINTR:        /* a signal arrived; the caller checks its stop flag */
    case EAGAIN:       /* non-blocking listener: nothing to accept right now */
#    if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#    endif
    case EPERM: /* Linux: a firewall rule forbids this connection */
    case EPROTO:
    case ETIMEDOUT:
    /* Linux passes on network errors of the pending connection (accept(2), "Error
     * handling"); they too concern that connection only. */
    case ENETDOWN:
    case ENOPROTOOPT:
#    ifdef EHOSTDOWN
    case EHOSTDOWN:
#    endif
#    ifdef ENONET
    case ENONET:
#    endif
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
        return NET_ACCEPT_SKIP;
#endif
    default:
        /* Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM, ENOSR; WSAEMFILE,
         * WSAENOBUFS), or an error not listed here: pause, then try again. */
        return NET_ACCEPT_BACK_OFF;
    }
}

int net_wait_writable(SOCKET s, int timeout_ms)
{
#ifdef _WIN32
    fd_set writable;
    struct timeval timeout;
    FD_ZERO(&writable);
    FD_SET(s, &writable);
    timeout.tv_sec = timeout_ms / 1000;
    timeout.tv_usec = (timeout_ms % 1000) * 1000;
    int rc = select(0, NULL, &writable, NULL, timeout_ms < 0 ? NULL : &timeout);
    return rc == SOCKET_ERROR ? SOCKET_ERROR : rc > 0;
#else
    struct pollfd entry;
    entry.fd = s;
    entry.events = POLLOUT;
    entry.revents = 0;
    int rc = poll(&entry, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : SOCKET_ERROR;
    return rc > 0;
#endif
}

int net_poll(struct pollfd *fds, size_t count, int timeout_ms)
{
#ifdef _WIN32
    return WSAPoll(fds, (ULONG)count, timeout_ms < 0 ? -1 : timeout_ms);
#else
    int rc = poll(fds, (nfds_t)count, timeout_ms < 0 ? -1 : timeout_ms);
    if (rc < 0 && errno == EINTR)
        return 0;
    return rc;
#endif
}
