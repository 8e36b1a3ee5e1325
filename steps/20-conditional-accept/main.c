/**
 * @file steps/20-conditional-accept/main.c
 * @brief Step 20: choosing clients by address: the complete server serves the clients that
 *        `--allow` names, and turns the others away.
 *
 * Windows can decide before the connection exists: WSAAccept() asks a condition function,
 * which sees the caller's address, and with SO_CONDITIONAL_ACCEPT on the listener a
 * rejected caller's connect() is refused. POSIX has no such hook: the kernel completes the
 * handshake before accept() returns, so the server accepts, looks at the address, and
 * resets the connection. Either way it goes on serving the others.
 * @see step20
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/** The receive buffer's size. Any size works: TCP does not keep message boundaries. */
#define DEFAULT_BUFLEN 8192
/** How long a wait lasts before the server looks at its stop flag again, in milliseconds. */
#define STOP_CHECK_MS 200
/** How long to pause when accept() fails for lack of descriptors or memory. */
#define BACK_OFF_MS 250
/** `--idle-timeout` unless given: close a client when nothing moved for this many seconds. */
#define DEFAULT_IDLE_TIMEOUT 60

//! [stop-handler]
/* Set when the user asks the server to stop; read by the loops between two waits. An atomic
 * int, because two kinds of writer must be safe: a POSIX signal handler, which may only touch
 * lock-free atomics (or a volatile sig_atomic_t), and Windows' console handler, which runs in
 * a thread of its own while the main thread reads the flag. */
static atomic_int stop_requested = 0;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler may only use lock-free atomics");

#ifdef _WIN32
/* Windows has no SIGINT for console programs: it calls this handler, in a new thread, for
 * Ctrl-C, Ctrl-Break and closing the console window. */
static BOOL WINAPI on_console_event(DWORD event)
{
    switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
        stop_requested = 1;
        return TRUE; /* handled: the main loop ends the program */
    case CTRL_CLOSE_EVENT:
        stop_requested = 1;
        /* The console window is closing: Windows ends the process as soon as this handler
         * returns (or after about 5 s). So it does not return: main() finishes the clean-up
         * and exits, and that ends this thread too. */
        Sleep(INFINITE);
        return TRUE;
    default:
        return FALSE;
    }
}
#else
static void on_stop_signal(int signum)
{
    (void)signum;
    stop_requested = 1;
}
#endif

/** Makes Ctrl-C (and SIGTERM) set stop_requested instead of killing the process. */
static int install_stop_handler(void)
{
    //! [install-handler]
#ifdef _WIN32
    return SetConsoleCtrlHandler(on_console_event, TRUE) ? 0 : -1;
#else
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: a blocked call returns EINTR and the flag is seen */
    if (sigaction(SIGINT, &action, NULL) != 0 || sigaction(SIGTERM, &action, NULL) != 0)
        return -1;
    return 0;
#endif
    //! [install-handler]
}
//! [stop-handler]

//! [allow-list]
/** One `--allow` entry: a network, as the bytes of its address and a prefix length. */
struct allow_rule {
    int family;                /**< AF_INET or AF_INET6 */
    unsigned char network[16]; /**< the address in network byte order: 4 or 16 bytes */
    unsigned prefix;           /**< how many leading bits must match: 0-32 or 0-128 */
};

/* The parsed --allow options. None means everyone is allowed. */
static struct allow_rule allow_rules[OPTIONS_MAX_ALLOW];
static int allow_count = 0;

/**
 * Parses `ADDRESS[/PREFIX]` into @p rule. A bad value is a usage error: reported here, with
 * the option and the value, and the caller exits with NET_EXIT_USAGE.
 */
static bool parse_allow(const char *text, struct allow_rule *rule)
{
    char address[INET6_ADDRSTRLEN];
    const char *slash = strchr(text, '/');
    size_t length = slash != NULL ? (size_t)(slash - text) : strlen(text);
    unsigned max;

    /* inet_pton() takes numeric addresses only, never a name: a name would need a DNS
     * lookup, and its addresses may change while the server runs. */
    if (length < sizeof address) {
        memcpy(address, text, length);
        address[length] = '\0';
    } else {
        address[0] = '\0';
    }
    if (inet_pton(AF_INET, address, rule->network) == 1) {
        rule->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, address, rule->network) == 1) {
        rule->family = AF_INET6;
        max = 128;
    } else {
        report_message("invalid --allow value '%s': expected an IPv4 or IPv6 address, "
                       "optionally followed by /PREFIX (see --help)",
                       text);
        return false;
    }
    rule->prefix = max; /* no prefix: this one address */
    if (slash != NULL) {
        const char *p = slash + 1;
        unsigned value = 0;
        for (; *p >= '0' && *p <= '9' && value <= max; p++)
            value = value * 10 + (unsigned)(*p - '0');
        if (p == slash + 1 || *p != '\0' || value > max) {
            report_message("invalid --allow value '%s': the prefix of an %s address is a "
                           "number from 0 to %u (see --help)",
                           text, rule->family == AF_INET ? "IPv4" : "IPv6", max);
            return false;
        }
        rule->prefix = value;
    }
    /* Callers are compared by family, and an IPv4-mapped caller (::ffff:a.b.c.d) as IPv4
     * (see address_allowed()), so a mapped rule is written as the IPv4 network it means;
     * one shorter than the mapped prefix (/96) would mix the two families: refused. */
    if (rule->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)rule->network)) {
        if (rule->prefix < 96) {
            report_message("invalid --allow value '%s': an IPv4-mapped network takes a prefix "
                           "of 96 or more; write it as IPv4 (see --help)",
                           text);
            return false;
        }
        memmove(rule->network, rule->network + 12, 4);
        rule->family = AF_INET;
        rule->prefix -= 96;
    }
    return true;
}

/** True if the first @p prefix bits of @p address and @p network are the same. */
static bool prefix_matches(const unsigned char *address, const unsigned char *network,
                           unsigned prefix)
{
    unsigned whole = prefix / 8; /* bytes that must match entirely */
    unsigned bits = prefix % 8;  /* and the leading bits of the next one */
    if (memcmp(address, network, whole) != 0)
        return false;
    if (bits == 0)
        return true;
    unsigned char mask = (unsigned char)(0xFF << (8 - bits));
    return (address[whole] & mask) == (network[whole] & mask);
}

/** True if @p addr may be served: no `--allow` was given, or one of them matches it. */
static bool address_allowed(const struct sockaddr *addr)
{
    const unsigned char *bytes;
    int family = addr->sa_family;

    if (allow_count == 0)
        return true;
    if (family == AF_INET) {
        bytes = (const unsigned char *)&((const struct sockaddr_in *)addr)->sin_addr;
    } else if (family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)addr)->sin6_addr;
        bytes = a6->s6_addr;
        /* A dual-stack listener (IPV6_V6ONLY off; not this one) sees IPv4 callers as
         * ::ffff:a.b.c.d. Their last four bytes are the IPv4 address: check those. */
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            family = AF_INET;
            bytes += 12;
        }
    } else {
        return false;
    }
    for (int i = 0; i < allow_count; i++) {
        if (allow_rules[i].family == family &&
            prefix_matches(bytes, allow_rules[i].network, allow_rules[i].prefix))
            return true;
    }
    return false;
}
//! [allow-list]

//! [report-client-error]
/** Reports a failed call on one client's connection: `recv from 127.0.0.1:50000 failed: ...` */
static void report_client_error(const char *call, const char *peer)
{
    int err = net_last_error(); /* read it before anything else can change it */
    char what[NET_ADDRESS_STRLEN + 32];
    snprintf(what, sizeof what, "%s %s", call, peer);
    report_error_code(what, err);
}
//! [report-client-error]

//! [wait-for-client]
/**
 * Waits until the client's socket can be read (or, with @p to_send, written), for at most
 * @p idle_timeout_ms, in slices of STOP_CHECK_MS so that a stop request is seen. Returns 1
 * when the socket is ready; otherwise reports why it gave up (a stop, the client's silence, a
 * failure) and returns 0.
 */
static int wait_for_client(SOCKET ClientSocket, int to_send, const char *peer,
                           long long idle_timeout_ms)
{
    long long deadline = net_now_ms() + idle_timeout_ms;
    for (;;) {
        if (stop_requested) {
            report_message("stopping: closing the connection to %s", peer);
            return 0;
        }
        long long left = deadline - net_now_ms();
        if (left <= 0) {
            report_message("closing %s: nothing moved for %lld s", peer, idle_timeout_ms / 1000);
            return 0;
        }
        int slice = left < STOP_CHECK_MS ? (int)left : STOP_CHECK_MS;
        int ready = to_send ? net_wait_writable(ClientSocket, slice)
                            : net_wait_readable(ClientSocket, slice);
        if (ready == SOCKET_ERROR) {
            report_client_error(NET_WAIT_CALL " on", peer);
            return 0;
        }
        if (ready)
            return 1;
    }
}
//! [wait-for-client]

/**
 * Steps 6 and 7 for one client: echoes until the client has finished sending, then shuts
 * down our direction. The socket is non-blocking, so no call waits but wait_for_client().
 * Stores the bytes echoed in @p echoed. Returns 0, or -1 after reporting a failure, a stop
 * request or a silent client. The caller closes the socket.
 */
static int serve_client(SOCKET ClientSocket, const char *peer, long long idle_timeout_ms,
                        unsigned long long *echoed)
{
    char recvbuf[DEFAULT_BUFLEN];
    int received;
    int sent;
    int result;

    *echoed = 0;
    //! [echo-loop]
    do {
        /* Wait in slices, so that Ctrl-C is noticed even while this client is silent. */
        if (!wait_for_client(ClientSocket, 0, peer, idle_timeout_ms))
            return -1;
        received = recv(ClientSocket, recvbuf, (int)sizeof recvbuf, 0);
        if (received > 0) {
            //! [send-all]
            /* send() returns how many bytes it took, and that may be fewer than offered: on
             * this non-blocking socket, what fits in its send buffer. So loop until every
             * byte is on its way, waiting for room in between.
             * MSG_NOSIGNAL: if the client has gone, fail with an error instead of letting
             * SIGPIPE kill the process (POSIX; Winsock never raises signals). */
            for (sent = 0; sent < received; sent += result) {
                result = send(ClientSocket, recvbuf + sent, received - sent, MSG_NOSIGNAL);
                if (result != SOCKET_ERROR)
                    continue;
                if (!net_would_block(net_last_error())) {
                    report_client_error("send to", peer);
                    return -1;
                }
                //! [wait-for-room]
                /* The buffers are full: the client is not reading its echo. A blocking send()
                 * would wait here until it does, and no stop flag could end that wait (a
                 * signal may cut it short, but the loop would send again; Windows' console
                 * handler runs in another thread and cannot interrupt it at all).
                 * Non-blocking, the room to send is waited for like data, in slices, with
                 * the same idle timeout. */
                if (!wait_for_client(ClientSocket, 1, peer, idle_timeout_ms))
                    return -1;
                result = 0; /* nothing sent this time round */
                //! [wait-for-room]
            }
            //! [send-all]
            *echoed += (unsigned long long)received;
        } else if (received == SOCKET_ERROR && !net_would_block(net_last_error())) {
            /* A failure, not the end: the client reset the connection, for instance. */
            report_client_error("recv from", peer);
            return -1;
        }
        /* received == 0: the client shut down its sending side and everything it sent has
         * been read. That ends the loop. (SOCKET_ERROR and "would block": readable a moment
         * ago, not now; wait again.) */
    } while (received != 0);
    //! [echo-loop]

    //! [half-close]
    /* Our direction ends too: the FIN follows the last echoed byte, so the client reads
     * everything and then the end of the stream (recv() returns 0 there). Here closesocket()
     * would send the same FIN, since nothing is left unread, but it would say nothing if the
     * client had reset the connection meanwhile: shutdown() fails then, and we know. (With
     * unread data, closesocket() sends a reset instead on Linux, Windows and macOS, and a
     * client may lose its echo; FreeBSD, OpenBSD and NetBSD discard the data and send FIN.) */
    if (shutdown(ClientSocket, SD_SEND) == SOCKET_ERROR) {
        report_client_error("shutdown of", peer);
        return -1;
    }
    //! [half-close]
    return 0;
}

#ifdef _WIN32
//! [condition-function]
/**
 * Windows: WSAAccept() calls this for each caller before accepting it. lpCallerId holds the
 * caller's address (a sockaddr); the other parameters are for protocols with connect-time
 * data and quality of service, which TCP does not have. dwCallbackData is WSAAccept()'s
 * last argument: here a buffer for the caller's address, for the "refused" line.
 *
 * CF_ACCEPT accepts; CF_REJECT refuses, and WSAAccept() fails with WSAECONNREFUSED. The
 * third answer, CF_DEFER, leaves the caller waiting (WSAAccept() fails with WSATRY_AGAIN)
 * so that a later WSAAccept() can decide, for instance after asking another service.
 *
 * Few servers use WSAAccept(): AcceptEx() and I/O completion ports, which large Windows
 * servers accept with, take no condition function, and a condition function runs inside
 * the accepting call, one caller at a time. Those servers check the address after
 * accepting, as POSIX servers do, or leave it to the firewall.
 */
static int CALLBACK check_caller(LPWSABUF lpCallerId, LPWSABUF lpCallerData, LPQOS lpSQOS,
                                 LPQOS lpGQOS, LPWSABUF lpCalleeId, LPWSABUF lpCalleeData, GROUP *g,
                                 DWORD_PTR dwCallbackData)
{
    char *caller_name = (char *)dwCallbackData;
    (void)lpCallerData;
    (void)lpSQOS;
    (void)lpGQOS;
    (void)lpCalleeId;
    (void)lpCalleeData;
    (void)g;
    if (lpCallerId == NULL || lpCallerId->buf == NULL) {
        snprintf(caller_name, NET_ADDRESS_STRLEN, "an unknown address");
        return allow_count == 0 ? CF_ACCEPT : CF_REJECT;
    }
    net_format_address((const struct sockaddr *)lpCallerId->buf, lpCallerId->len, caller_name,
                       NET_ADDRESS_STRLEN);
    return address_allowed((const struct sockaddr *)lpCallerId->buf) ? CF_ACCEPT : CF_REJECT;
}
//! [condition-function]
#else
//! [refuse-with-reset]
/**
 * POSIX: turns away a connection that accept() has already completed. The client's
 * connect() succeeded long ago and it may have sent data; all the server can do now is
 * close. SO_LINGER with l_onoff = 1 and l_linger = 0 makes close() send a reset (RST)
 * instead of the orderly end (FIN): the client's next recv() fails with ECONNRESET, where
 * an orderly end would read like an empty answer.
 *
 * Refusing before the handshake is the kernel's business, not the server's: a firewall
 * rule (nftables or iptables on Linux, pf on the BSDs and macOS) drops the caller's SYN
 * (its connect() times out) or answers it with a reset (connect() fails with
 * ECONNREFUSED). Linux's TCP_DEFER_ACCEPT is no filter: it only delays accept() until the
 * client's first data arrives.
 */
static void refuse_with_reset(SOCKET ClientSocket, const char *peer)
{
    struct linger abortive;
    abortive.l_onoff = 1;
    abortive.l_linger = 0;
    if (setsockopt(ClientSocket, SOL_SOCKET, SO_LINGER, (const char *)&abortive,
                   (int)sizeof abortive) == SOCKET_ERROR)
        report_client_error("setsockopt(SO_LINGER) on", peer); /* it still closes, with FIN */
    closesocket(ClientSocket);
}
//! [refuse-with-reset]
#endif

int main(int argc, char **argv)
{
    struct options opts;
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    SOCKET ListenSocket = INVALID_SOCKET;
    SOCKET ClientSocket = INVALID_SOCKET;
    struct sockaddr_storage bound;
    socklen_t bound_len;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char address[NET_ADDRESS_STRLEN];
    unsigned long accepted = 0;
    unsigned long refused = 0;
    unsigned long long echoed;
    long long idle_timeout_ms;
    int on = 1;
    int rc;
    int status = NET_EXIT_FAILURE;

    opts.idle_timeout = DEFAULT_IDLE_TIMEOUT;
    if (!options_parse(argc, argv,
                       OPTIONS_ADDRESS | OPTIONS_CLIENTS | OPTIONS_IDLE_TIMEOUT | OPTIONS_ALLOW,
                       "Echo server: serves the clients that --allow names, one after another, "
                       "until Ctrl-C.",
                       &opts))
        return opts.exit_status;
    for (int i = 0; i < opts.allow_count; i++) {
        if (!parse_allow(opts.allow[i], &allow_rules[i]))
            return NET_EXIT_USAGE; /* already reported */
    }
    allow_count = opts.allow_count;
    idle_timeout_ms = 1000LL * (long long)opts.idle_timeout;

    if (install_stop_handler() != 0) {
        report_message("cannot install the Ctrl-C handler");
        return NET_EXIT_FAILURE;
    }
    //! [sigpipe]
    /* The server's own output may be a pipe whose reader has gone (`server | head -n 1`):
     * writing to it would raise SIGPIPE and end the server, clients and all. Ignored, the
     * write just fails, and a lost log line is not worth a client. */
    if (net_ignore_sigpipe() != 0) {
        report_message("cannot ignore SIGPIPE");
        return NET_EXIT_FAILURE;
    }
    //! [sigpipe]

    //! [startup]
    if (net_startup() != 0)
        return NET_EXIT_FAILURE; /* already reported */
    //! [startup]

    //! [resolve]
    /* getaddrinfo() turns the host and port text into socket addresses, IPv4 or IPv6 alike.
     * AI_PASSIVE asks for an address to bind to; with a NULL host that would be every
     * interface, but we always pass one (127.0.0.1 by default), so nothing is exposed. */
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(opts.host, opts.port, &hints, &res);
    if (rc != 0) {
        report_gai_error("getaddrinfo", rc);
        goto cleanup;
    }
    //! [resolve]

    //! [socket]
    /* Use the first address: a numeric host such as 127.0.0.1 or ::1 yields exactly one. */
    ListenSocket = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (ListenSocket == INVALID_SOCKET) {
        report_socket_error("socket");
        goto cleanup;
    }
    //! [socket]

    //! [address-reuse]
    /* Can a restarted server bind its port at once, and who else may bind it meanwhile?
     * POSIX: connections of the previous run that wait out TIME_WAIT keep the port taken,
     * unless the new socket sets SO_REUSEADDR. The option never lets a second socket listen
     * on the same address and port (Linux refuses even a specific address beside a wildcard
     * one; the BSDs and macOS allow that pair).
     * Windows: nothing to set. The default lets a restarted server bind at once, and no
     * other socket can bind this address and port unless we allowed it with SO_REUSEADDR,
     * which there means "anyone may take over this port". SO_EXCLUSIVEADDRUSE would also
     * refuse a specific-address bind beside a wildcard one, at a price: a restart must then
     * wait until the old connections are gone. */
#ifndef _WIN32
    if (setsockopt(ListenSocket, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, (int)sizeof on) ==
        SOCKET_ERROR) {
        report_socket_error("setsockopt");
        goto cleanup;
    }
#endif
    //! [address-reuse]

    //! [v6only]
    /* May an IPv6 socket also accept IPv4 clients (as ::ffff:127.0.0.1)? Linux says yes by
     * default, Windows no. Say it explicitly: IPv6 only, the same everywhere. */
    if (res->ai_family == AF_INET6 &&
        setsockopt(ListenSocket, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&on, (int)sizeof on) ==
            SOCKET_ERROR) {
        report_socket_error("setsockopt");
        goto cleanup;
    }
    //! [v6only]

    //! [bind]
    if (bind(ListenSocket, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR) {
        report_socket_error("bind");
        goto cleanup;
    }
    //! [bind]

    //! [getsockname]
    /* With port 0 the system chose a free port; getsockname() tells which. */
    bound_len = sizeof bound;
    if (getsockname(ListenSocket, (struct sockaddr *)&bound, &bound_len) == SOCKET_ERROR) {
        report_socket_error("getsockname");
        goto cleanup;
    }
    net_format_address((struct sockaddr *)&bound, bound_len, address, sizeof address);
    //! [getsockname]

#ifdef _WIN32
    //! [conditional-accept]
    /* Windows: with SO_CONDITIONAL_ACCEPT the stack no longer completes handshakes by
     * itself: each caller waits, unanswered, until WSAAccept() has asked the condition
     * function, and a rejected one is refused (its connect() fails with WSAECONNREFUSED).
     * It must be set before listen(). It has costs: the stack's defence against SYN floods
     * is off, and the backlog no longer holds completed connections, so a caller waits for
     * the server's next WSAAccept(), here until the current client has been served. Set
     * only when there is someone to refuse. Wine 8 does not implement it (WSAENOPROTOOPT):
     * then carry on without it; a rejected caller is connected first, then closed. */
    if (allow_count > 0) {
        DWORD conditional = TRUE;
        if (setsockopt(ListenSocket, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, (const char *)&conditional,
                       (int)sizeof conditional) == SOCKET_ERROR) {
            int err = net_last_error();
            if (err != WSAENOPROTOOPT) {
                report_error_code("setsockopt(SO_CONDITIONAL_ACCEPT)", err);
                goto cleanup;
            }
            report_message("note: SO_CONDITIONAL_ACCEPT is not available (%s): refused "
                           "clients are connected first, then closed",
                           net_error_name(err));
        }
    }
    //! [conditional-accept]
#endif

    //! [listen]
    /* The socket becomes passive: the kernel now completes TCP handshakes on its own and
     * queues the connections, up to the backlog, until accept() takes them. A client's
     * connect() succeeds as soon as it is queued. SOMAXCONN asks for a long queue: on
     * Windows it means "the most the system allows"; on POSIX it is a number from the
     * header (4096 on Linux since 5.4), and the kernel caps it to its own limit. */
    if (listen(ListenSocket, SOMAXCONN) == SOCKET_ERROR) {
        report_socket_error("listen");
        goto cleanup;
    }
    printf("listening on %s\n", address);
    fflush(stdout); /* stdout into a pipe is buffered; whoever waits for this line must see it */
    //! [listen]

    //! [nonblocking-listener]
    /* Between the wait that reports a connection and the accept() that takes it, another
     * thread or process that shares this listening socket may take that connection first. A
     * blocking accept() would then wait for the next client; on Windows nothing interrupts
     * it, and Ctrl-C would be seen only then. Non-blocking, accept() fails at once with
     * "would block", and the loop goes back to its wait. */
    if (net_set_nonblocking(ListenSocket) == SOCKET_ERROR) {
        report_socket_error(NET_NONBLOCKING_CALL);
        goto cleanup;
    }
    //! [nonblocking-listener]

    //! [accept-loop]
    /* One client after another, until --clients N have been served or Ctrl-C. */
    while (!stop_requested && (opts.clients == 0 || accepted < opts.clients)) {
        /* Wait for a connection in slices, looking at the stop flag between them: a blocked
         * accept() cannot be told to give up on every platform. */
        int ready = net_wait_readable(ListenSocket, STOP_CHECK_MS);
        if (ready == SOCKET_ERROR) {
            report_socket_error(NET_WAIT_CALL);
            goto cleanup;
        }
        if (ready == 0)
            continue;

        peer_len = sizeof peer;
        //! [accept-or-refuse]
#ifdef _WIN32
        /* Windows: check_caller() decides, before the connection is accepted. */
        address[0] = '\0';
        ClientSocket = WSAAccept(ListenSocket, (struct sockaddr *)&peer, &peer_len, check_caller,
                                 (DWORD_PTR)address);
        if (ClientSocket == INVALID_SOCKET && net_last_error() == WSAECONNREFUSED &&
            address[0] != '\0') {
            printf("refused %s: not in --allow\n", address);
            fflush(stdout);
            refused++;
            continue;
        }
#else
        ClientSocket = accept(ListenSocket, (struct sockaddr *)&peer, &peer_len);
#endif
        //! [accept-or-refuse]
        if (ClientSocket == INVALID_SOCKET) {
            /* Most failures concern that one connection (the client gave up before it was
             * accepted) or pass (out of descriptors until another client leaves): only a
             * broken listening socket ends the server. */
            int err = net_last_error();
            if (net_would_block(err))
                continue; /* gone between the wait and accept(), or interrupted (EINTR) */
            enum net_accept_failure kind = net_classify_accept_error(err);
            report_error_code("accept", err);
            if (kind == NET_ACCEPT_FATAL)
                goto cleanup;
            if (kind == NET_ACCEPT_BACK_OFF)
                net_sleep_ms(BACK_OFF_MS); /* it stays queued; retrying at once would spin */
            continue;
        }
        net_format_address((struct sockaddr *)&peer, peer_len, address, sizeof address);
#ifndef _WIN32
        //! [check-after-accept]
        /* POSIX: the connection exists already; look at the address now. */
        if (!address_allowed((struct sockaddr *)&peer)) {
            refuse_with_reset(ClientSocket, address);
            ClientSocket = INVALID_SOCKET;
            printf("refused %s: not in --allow\n", address);
            fflush(stdout);
            refused++;
            continue;
        }
        //! [check-after-accept]
#endif
        accepted++; /* only clients served count towards --clients */
        /* Non-blocking, so that no call on it waits: see serve_client(). An accepted socket
         * takes its listener's mode on Windows and the BSDs, but not on Linux: so, always. */
        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR)
            report_client_error(NET_NONBLOCKING_CALL " on", address);
        else if (serve_client(ClientSocket, address, idle_timeout_ms, &echoed) == 0)
            printf("served %s: echoed %llu bytes\n", address, echoed);
        fflush(stdout);
        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
    }
    if (refused > 0)
        printf("turned away %lu client%s not in --allow\n", refused, refused == 1 ? "" : "s");
    printf("shut down after %lu client%s\n", accepted, accepted == 1 ? "" : "s");
    //! [accept-loop]

    status = NET_EXIT_OK;

cleanup:
    //! [cleanup]
    /* Release in the reverse order of acquisition; each guard skips what was never taken. */
    if (ClientSocket != INVALID_SOCKET)
        closesocket(ClientSocket);
    if (ListenSocket != INVALID_SOCKET)
        closesocket(ListenSocket);
    if (res != NULL)
        freeaddrinfo(res);
    net_cleanup();
    //! [cleanup]
    return status;
}
