/**
 * @file steps/18-process-hand-off/main.c
 * @brief Step 18: the complete server hands each connection to a process of its own, so
 *        that one client's crash ends that client only.
 *
 * POSIX: fork() after each accept(). Windows: the program starts itself again and hands the
 * child the connection with WSADuplicateSocketW(). Either way the child serves the client
 * with step 10's code, and holds nothing else of the server's. Step 19 counts the children.
 * @see step18
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The receive buffer's size. Any size works: TCP does not keep message boundaries. */
#define DEFAULT_BUFLEN 8192
/** How long a wait lasts before the server looks at its stop flag again, in milliseconds. */
#define STOP_CHECK_MS 200
/** How long to pause when accept() fails for lack of descriptors or memory. */
#define BACK_OFF_MS 250
/** `--idle-timeout` unless given: close a client when nothing moved for this many seconds. */
#define DEFAULT_IDLE_TIMEOUT 60
/** How many times to try to start a process for a client before closing its connection. */
#define HANDOFF_TRIES 3
#ifdef _WIN32
#    define CHILD_FLAG         "--serve-inherited" /**< tells a copy of this program it is a child */
#    define HANDOFF_TIMEOUT_MS 10000       /**< how long child and parent wait for each other */
#    define HANDOFF_POLL_MS    10          /**< how often a waiting child looks at its input */
#    ifndef PROC_THREAD_ATTRIBUTE_JOB_LIST /* Windows 10; common/ asks the headers for 7 */
#        define PROC_THREAD_ATTRIBUTE_JOB_LIST ProcThreadAttributeValue(13, FALSE, TRUE, FALSE)
#    endif
#endif

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

//! [serve-in-child]
/** In the child: serves @p ClientSocket with step 10's code, closes it, returns the exit code. */
static int serve_in_child(SOCKET ClientSocket, const char *peer, long long idle_timeout_ms)
{
    unsigned long long echoed;
    int status = NET_EXIT_FAILURE;

    /* Non-blocking, so that no call on it waits: see serve_client(). An accepted socket
     * takes its listener's mode on Windows and the BSDs, but not on Linux: so, always. */
    if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR) {
        report_client_error(NET_NONBLOCKING_CALL " on", peer);
    } else if (serve_client(ClientSocket, peer, idle_timeout_ms, &echoed) == 0) {
        printf("served %s: echoed %llu bytes\n", peer, echoed);
        status = NET_EXIT_OK;
    }
    fflush(stdout);
    closesocket(ClientSocket);
    return status;
}
//! [serve-in-child]

#ifdef _WIN32
/** What the parent writes on a child's standard input (Windows). */
struct handoff {
    WSAPROTOCOL_INFOW info;        /**< the connection, as WSADuplicateSocketW() describes it */
    HANDLE taken;                  /**< an event the child sets once it holds the connection */
    long long idle_timeout_ms;     /**< the parent's --idle-timeout */
    char peer[NET_ADDRESS_STRLEN]; /**< the client's address, for messages */
};

//! [take-over]
/**
 * Windows, in the child: reads the connection's description from standard input, makes its
 * own socket from it, tells the parent, and serves the client. Gives up when the pipe breaks
 * (the parent has gone) or nothing comes in time: a child must not outlive its server.
 */
static int serve_handed_off(void)
{
    HANDLE input = GetStdHandle(STD_INPUT_HANDLE);
    long long deadline = net_now_ms() + HANDOFF_TIMEOUT_MS;
    struct handoff handoff;
    size_t have = 0;
    DWORD available = 0;
    DWORD got = 0;
    SOCKET ClientSocket;

    if (install_stop_handler() != 0) {
        report_message("cannot install the Ctrl-C handler");
        return NET_EXIT_FAILURE;
    }
    if (net_startup() != 0)
        return NET_EXIT_FAILURE; /* already reported */
    /* An anonymous pipe cannot be waited on with a time limit: look at it in short slices.
     * PeekNamedPipe() fails once no process holds its writing end: only the parent does. */
    while (have < sizeof handoff) {
        if (!PeekNamedPipe(input, NULL, 0, NULL, &available, NULL) || stop_requested ||
            (available == 0 && net_now_ms() >= deadline)) {
            report_message("no connection came (the server has gone, or %d ms passed): giving up",
                           HANDOFF_TIMEOUT_MS);
            return NET_EXIT_FAILURE;
        }
        if (available == 0)
            net_sleep_ms(HANDOFF_POLL_MS);
        else if (ReadFile(input, (char *)&handoff + have, (DWORD)(sizeof handoff - have), &got,
                          NULL)) /* a pipe's ReadFile() returns what is there, up to the size */
            have += got;
    }
    /* A handle of our own to the parent's connection. WSA_FLAG_OVERLAPPED, as socket() and
     * accept() make them; WSA_FLAG_NO_HANDLE_INHERIT: not for a process this child starts. */
    ClientSocket = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                              &handoff.info, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (ClientSocket == INVALID_SOCKET) {
        report_socket_error("WSASocketW");
        return NET_EXIT_FAILURE;
    }
    SetEvent(handoff.taken); /* the parent may close its handle now (failing, it gives up) */
    CloseHandle(handoff.taken);
    return serve_in_child(ClientSocket, handoff.peer, handoff.idle_timeout_ms);
}
//! [take-over]
#endif

/**
 * Starts a process that serves @p ClientSocket, the client @p peer. Returns 0, or -1 after
 * reporting a failure (then no process has the connection). Either way the caller closes
 * its own copy of @p ClientSocket.
 */
static int hand_off(SOCKET ListenSocket, SOCKET ClientSocket, const char *peer,
                    long long idle_timeout_ms)
{
#ifdef _WIN32
    //! [create-process]
    /* Windows has no fork(): start this program again, with CHILD_FLAG and a pipe as its
     * standard input, for the connection's description. */
    SECURITY_ATTRIBUTES inheritable = {sizeof inheritable, NULL, TRUE};
    HANDLE output[2] = {GetStdHandle(STD_OUTPUT_HANDLE), GetStdHandle(STD_ERROR_HANDLE)};
    HANDLE handles[4];
    HANDLE waits[2];
    DWORD count = 0;
    HANDLE child_input = NULL;
    HANDLE to_child = NULL;
    HANDLE job = NULL;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
    SIZE_T size = 0;
    LPPROC_THREAD_ATTRIBUTE_LIST list = NULL;
    STARTUPINFOEXW startup;
    PROCESS_INFORMATION process = {NULL, NULL, 0, 0};
    struct handoff handoff;
    wchar_t path[MAX_PATH];
    wchar_t command[MAX_PATH + 32];
    DWORD length;
    DWORD written;
    const char *call = "GetModuleFileNameW";
    int status = -1;

    (void)ListenSocket; /* made not inheritable in main() */
    memset(&handoff, 0, sizeof handoff);
    memset(&limits, 0, sizeof limits);
    handoff.idle_timeout_ms = idle_timeout_ms;
    snprintf(handoff.peer, sizeof handoff.peer, "%s", peer);
    length = GetModuleFileNameW(NULL, path, MAX_PATH);
    if (length == 0 || length == MAX_PATH)
        goto failed;
    swprintf(command, sizeof command / sizeof command[0], L"\"%ls\" " CHILD_FLAG, path);

    /* Only the child's end of the pipe is inheritable: a child that held ours would keep the
     * pipe open after we have gone, and wait in vain. */
    call = "CreatePipe";
    if (!CreatePipe(&child_input, &to_child, NULL, (DWORD)sizeof handoff))
        goto failed;
    call = "SetHandleInformation";
    if (!SetHandleInformation(child_input, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
        goto failed;
    call = "CreateEventW";
    handoff.taken = CreateEventW(&inheritable, TRUE, FALSE, NULL);
    if (handoff.taken == NULL)
        goto failed;
    //! [job]
    /* A job of its own, which ends the child when our handle to it closes, until the hand-off
     * is done: if we give up, or die meanwhile (a process whose start is cut short that way
     * stays suspended for ever, seen under Wine). */
    call = "CreateJobObjectW";
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    job = CreateJobObjectW(NULL, NULL);
    if (job == NULL || !SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits,
                                                (DWORD)sizeof limits))
        goto failed;
    //! [job]
    //! [handle-list]
    /* bInheritHandles alone would give the child every inheritable handle we hold (accept()
     * makes inheritable sockets). The list names the only ones it gets: its pipe, the event,
     * and our stdout and stderr for its messages. */
    handles[count++] = child_input;
    handles[count++] = handoff.taken;
    for (int i = 0; i < 2; i++)
        if (output[i] != NULL && output[i] != INVALID_HANDLE_VALUE &&
            (i == 0 || output[1] != output[0]) &&
            SetHandleInformation(output[i], HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
            handles[count++] = output[i];
    call = "InitializeProcThreadAttributeList";
    InitializeProcThreadAttributeList(NULL, 2, 0, &size); /* fails, and says the size */
    list = malloc(size);
    if (list == NULL || !InitializeProcThreadAttributeList(list, 2, 0, &size)) {
        free(list);
        list = NULL;
        goto failed;
    }
    call = "UpdateProcThreadAttribute";
    if (!UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles,
                                   count * sizeof handles[0], NULL, NULL) ||
        !UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, &job, sizeof job, NULL,
                                   NULL))
        goto failed;
    memset(&startup, 0, sizeof startup);
    startup.StartupInfo.cb = sizeof startup;
    startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    startup.StartupInfo.hStdInput = child_input;
    startup.StartupInfo.hStdOutput = output[0];
    startup.StartupInfo.hStdError = output[1];
    startup.lpAttributeList = list;
    /* No other creation flags: the child shares our console, so Ctrl-C reaches it too. */
    call = "CreateProcessW";
    if (!CreateProcessW(path, command, NULL, NULL, TRUE, EXTENDED_STARTUPINFO_PRESENT, NULL, NULL,
                        &startup.StartupInfo, &process))
        goto failed;
    //! [handle-list]
    CloseHandle(process.hThread);

    //! [duplicate-socket]
    if (WSADuplicateSocketW(ClientSocket, process.dwProcessId, &handoff.info) == SOCKET_ERROR) {
        report_socket_error("WSADuplicateSocketW");
        goto done;
    }
    call = "WriteFile";
    if (!WriteFile(to_child, &handoff, (DWORD)sizeof handoff, &written, NULL))
        goto failed;
    /* Microsoft's order: our socket is closed only once the child has made its own (the
     * event). A child that ends first, or does not answer in time, is given up. */
    waits[0] = handoff.taken;
    waits[1] = process.hProcess;
    if (WaitForMultipleObjects(2, waits, FALSE, HANDOFF_TIMEOUT_MS) != WAIT_OBJECT_0) {
        report_message("the process for %s did not take the connection", peer);
        goto done;
    }
    //! [duplicate-socket]
    /* Done: from now on the child lives on its own, as a forked one does. */
    call = "SetInformationJobObject";
    limits.BasicLimitInformation.LimitFlags = 0;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits,
                                 (DWORD)sizeof limits))
        goto failed;
    status = 0;
    goto done;
failed:
    report_error_code(call, (int)GetLastError());
done:
    if (job != NULL)
        CloseHandle(job); /* ends the child, unless the hand-off is done */
    if (process.hProcess != NULL)
        CloseHandle(process.hProcess);
    if (list != NULL) {
        DeleteProcThreadAttributeList(list);
        free(list);
    }
    if (child_input != NULL)
        CloseHandle(child_input);
    if (to_child != NULL)
        CloseHandle(to_child);
    if (handoff.taken != NULL)
        CloseHandle(handoff.taken);
    return status;
    //! [create-process]
#else
    //! [fork]
    pid_t pid;

    /* Whatever stdio holds unwritten would be copied into the child and written twice. */
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == -1) {
        report_socket_error("fork");
        return -1;
    }
    if (pid == 0) {
        /* The child: a copy of the parent, with a copy of each descriptor. A child that kept
         * the listener would hold the port open after the parent has gone. */
        closesocket(ListenSocket);
        exit(serve_in_child(ClientSocket, peer, idle_timeout_ms)); /* never back to the loop */
    }
    return 0;
    //! [fork]
#endif
}

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
    long long idle_timeout_ms;
    int on = 1;
    int rc;
    int status = NET_EXIT_FAILURE;

#ifdef _WIN32
    /* Windows: a copy started by hand_off() serves the connection it is handed, and nothing
     * else. The flag is not in --help: it is not for people. */
    if (argc == 2 && strcmp(argv[1], CHILD_FLAG) == 0) {
        report_set_program_name(argv[0]);
        return serve_handed_off();
    }
#endif
    opts.idle_timeout = DEFAULT_IDLE_TIMEOUT;
    if (!options_parse(argc, argv, OPTIONS_ADDRESS | OPTIONS_CLIENTS | OPTIONS_IDLE_TIMEOUT,
                       "Echo server: serves each client in a process of its own until Ctrl-C.",
                       &opts))
        return opts.exit_status;
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
#ifndef _WIN32
    //! [no-zombies]
    /* An ended child stays a zombie (its exit status kept) until its parent collects it with
     * waitpid(). This parent needs no status: with SIGCHLD ignored, POSIX discards it. */
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_IGN;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGCHLD, &action, NULL) != 0) {
        report_message("cannot ignore SIGCHLD");
        return NET_EXIT_FAILURE;
    }
    //! [no-zombies]
#endif

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
#ifdef _WIN32
    /* Windows: not inheritable, so that no process we start holds the port (see hand_off()). */
    ListenSocket = WSASocketW(res->ai_family, res->ai_socktype, res->ai_protocol, NULL, 0,
                              WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
#else
    ListenSocket = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
#endif

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
    /* Clients come in until --clients N have been accepted or Ctrl-C; each gets a process. */
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
        ClientSocket = accept(ListenSocket, (struct sockaddr *)&peer, &peer_len);
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
        accepted++;
        net_format_address((struct sockaddr *)&peer, peer_len, address, sizeof address);
        //! [hand-off]
        /* No process for it (out of processes or memory, for a moment)? The client waits in
         * its connection while the server tries again. */
        for (int tries = 1; hand_off(ListenSocket, ClientSocket, address, idle_timeout_ms) != 0 &&
                            tries < HANDOFF_TRIES;
             tries++)
            net_sleep_ms(BACK_OFF_MS);
        /* The parent's copy is closed at once. A connection ends only when its last handle
         * is closed: if the parent kept its copy, a child that dies without shutdown() (a
         * crash, a kill) would leave its client waiting for as long as the parent runs. */
        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
        //! [hand-off]
    }
    /* The children go on serving the clients they have, and end with them. */
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
