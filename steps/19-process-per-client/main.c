/**
 * @file steps/19-process-per-client/main.c
 * @brief Step 19: one process per client: the complete server hands each accepted connection
 *        to a process of its own, so that one client's crash ends that client only.
 *
 * POSIX: the server calls fork() after each accept(); the child serves the connection with
 * step 10's echo loop and exits, the parent closes its copy and reaps ended children with
 * waitpid(). Windows has no fork(): the server starts a copy of itself with CreateProcessW()
 * and hands it the connection with WSADuplicateSocketW(), through a pipe on the child's
 * standard input. On both, nothing else leaks into a child: not the listening socket, not
 * the other clients' sockets. At `--max-clients` the parent stops accepting; on Ctrl-C it
 * stops accepting, asks its children to stop, waits a bounded time, then ends the rest.
 * @see step19
 */
#ifdef __linux__
/* accept4() is in Linux and the BSDs, and in POSIX only since its 2024 edition; glibc
 * declares it when asked for its extensions. */
#    define _GNU_SOURCE
#endif
#include "net.h"
#include "options.h"
#include "report.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#    include <fcntl.h>
#    include <sys/wait.h>
#endif

/** The receive buffer's size. Any size works: TCP does not keep message boundaries. */
#define DEFAULT_BUFLEN 8192
/** How long a wait lasts before the server looks at its stop flag again, in milliseconds. */
#define STOP_CHECK_MS 200
/** How long to pause when accept() fails for lack of descriptors or memory. */
#define BACK_OFF_MS 250
/** `--idle-timeout` unless given: close a client when nothing moved for this many seconds. */
#define DEFAULT_IDLE_TIMEOUT 60
/** How many clients are served at once unless `--max-clients` says otherwise. */
#define DEFAULT_MAX_CLIENTS 64
/** After Ctrl-C, how long the children get to close their clients before they are killed. */
#define CHILD_STOP_MS 5000
#ifdef _WIN32
/** The hidden option that tells a copy of this program that it is a child (Windows only). */
#    define CHILD_FLAG "--serve-inherited"
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

//! [child-list]
/** One child process, and the client it serves. */
struct child {
#ifdef _WIN32
    HANDLE process;  /**< signalled when the child ends; holds its exit code */
    HANDLE to_child; /**< our end of the child's standard input; closing it asks it to stop */
#else
    pid_t pid; /**< for waitpid() and kill() */
#endif
    char peer[NET_ADDRESS_STRLEN]; /**< the client's address, for messages */
    struct child *next;            /**< the next child in the list */
};

/* The children started and not yet reaped. Only the parent's single thread touches them. */
static struct child *children = NULL;
static unsigned long live_children = 0;

/** Takes the child at @p link out of the list and frees it. */
static void forget_child(struct child **link)
{
    struct child *child = *link;
    *link = child->next;
    free(child);
    live_children--;
}
//! [child-list]

//! [no-inherit]
/**
 * Keeps a socket from every program this process starts; reports a failure.
 *
 * POSIX: fork() copies every descriptor, whatever its flags, so a forked child must close
 * what it does not need itself (start_child() closes the listener). FD_CLOEXEC covers the
 * other case, exec(): a program started from this server, or from one of its children,
 * would otherwise inherit the listening socket and keep the port open, accepting nothing,
 * for as long as it runs. Windows: sockets are created inheritable, and CreateProcessW()
 * with bInheritHandles hands every inheritable handle to the child.
 */
static int keep_from_children(SOCKET s)
{
#ifdef _WIN32
    if (!SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0)) {
        report_error_code("SetHandleInformation", (int)GetLastError());
        return -1;
    }
#else
    int flags = fcntl(s, F_GETFD);
    if (flags == -1 || fcntl(s, F_SETFD, flags | FD_CLOEXEC) == -1) {
        report_socket_error("fcntl");
        return -1;
    }
#endif
    return 0;
}
//! [no-inherit]

#ifndef _WIN32
//! [sigchld]
/* Set by SIGCHLD, which the kernel sends the parent when a child ends. The child stays a
 * "zombie" (its exit status kept, its process-table entry in use) until waitpid() collects
 * it; the work is done in the main loop, not in the handler, which may only set a flag. */
static atomic_int child_ended = 0;

static void on_child_ended(int signum)
{
    (void)signum;
    child_ended = 1;
}
//! [sigchld]
#endif

/** POSIX: installs the SIGCHLD handler. Windows: nothing to do, there is no such signal. */
static int install_child_handler(void)
{
#ifdef _WIN32
    return 0;
#else
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_child_ended;
    sigemptyset(&action.sa_mask);
    /* SA_NOCLDSTOP: only ended children, not stopped ones (Ctrl-Z). SA_RESTART: a call
     * that can be resumed, like accept(), is resumed. poll() and nanosleep() are never
     * resumed: they fail with EINTR, which net_wait_readable() and net_sleep_ms() treat as
     * "time is up", so the parent wakes and reaps at once. An EINTR is not an error. */
    action.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    return sigaction(SIGCHLD, &action, NULL) == 0 ? 0 : -1;
#endif
}

#ifdef _WIN32
/** What the parent writes on a child's standard input (Windows). */
struct handoff {
    WSAPROTOCOL_INFOW info;    /**< the connection, as WSADuplicateSocketW() described it */
    long long idle_timeout_ms; /**< the parent's --idle-timeout */
};

//! [inherit-socket]
/**
 * Windows, in the child: waits until the parent closes its end of our standard input, then
 * sets stop_requested. The parent closes it to ask us to stop; Windows closes it if the
 * parent dies. Either way the echo loop sees the flag within STOP_CHECK_MS.
 */
static DWORD WINAPI watch_parent(LPVOID input)
{
    char byte;
    DWORD got;
    while (ReadFile((HANDLE)input, &byte, 1, &got, NULL) && got > 0)
        continue; /* the parent writes nothing more; keep waiting for the end */
    stop_requested = 1;
    return 0;
}

/**
 * Windows, in the child: rebuilds the client's socket from the WSAPROTOCOL_INFOW that the
 * parent writes on our standard input, and serves it with step 10's echo loop.
 */
static int serve_inherited(void)
{
    HANDLE input = GetStdHandle(STD_INPUT_HANDLE);
    struct handoff handoff;
    SOCKET ClientSocket = INVALID_SOCKET;
    struct sockaddr_storage peer;
    int peer_len = (int)sizeof peer;
    char peer_name[NET_ADDRESS_STRLEN];
    unsigned long long echoed;
    size_t have = 0;
    DWORD got;
    HANDLE watcher;
    int status = NET_EXIT_FAILURE;

    if (install_stop_handler() != 0) {
        report_message("cannot install the Ctrl-C handler");
        return NET_EXIT_FAILURE;
    }
    if (net_startup() != 0)
        return NET_EXIT_FAILURE; /* already reported */

    /* A pipe may deliver the structure in pieces: read until all of it is here. */
    while (have < sizeof handoff) {
        if (!ReadFile(input, (char *)&handoff + have, (DWORD)(sizeof handoff - have), &got, NULL)) {
            report_error_code("ReadFile", (int)GetLastError());
            goto cleanup;
        }
        if (got == 0) {
            report_message("standard input ended before the socket's description arrived");
            goto cleanup;
        }
        have += got;
    }
    /* FROM_PROTOCOL_INFO three times: family, type and protocol come from the structure.
     * The result is a new handle to the parent's connection, not a new connection.
     * WSA_FLAG_OVERLAPPED: socket() and accept() create overlapped sockets; WSASocketW()
     * does only when asked. WSA_FLAG_NO_HANDLE_INHERIT: nothing this child starts gets it. */
    ClientSocket = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                              &handoff.info, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (ClientSocket == INVALID_SOCKET) {
        report_socket_error("WSASocketW");
        goto cleanup;
    }
    watcher = CreateThread(NULL, 0, watch_parent, input, 0, NULL);
    if (watcher == NULL) {
        report_error_code("CreateThread", (int)GetLastError());
        goto cleanup;
    }
    CloseHandle(watcher); /* the thread runs on; it ends with the process */

    if (getpeername(ClientSocket, (struct sockaddr *)&peer, &peer_len) == SOCKET_ERROR) {
        report_socket_error("getpeername");
        goto cleanup;
    }
    net_format_address((struct sockaddr *)&peer, (size_t)peer_len, peer_name, sizeof peer_name);
    if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR) {
        report_client_error(NET_NONBLOCKING_CALL " on", peer_name);
    } else if (serve_client(ClientSocket, peer_name, handoff.idle_timeout_ms, &echoed) == 0) {
        printf("served %s: echoed %llu bytes\n", peer_name, echoed);
        status = NET_EXIT_OK;
    }
    fflush(stdout);

cleanup:
    if (ClientSocket != INVALID_SOCKET)
        closesocket(ClientSocket);
    net_cleanup();
    return status;
}
//! [inherit-socket]
#endif

/**
 * Starts a process that serves @p ClientSocket with step 10's echo loop, and fills in
 * @p child. Returns 0, or -1 after reporting a failure (then no child was started). Either
 * way the caller closes its own copy of @p ClientSocket.
 */
static int start_child(struct child *child, SOCKET ListenSocket, SOCKET ClientSocket,
                       long long idle_timeout_ms)
{
#ifdef _WIN32
    //! [create-process]
    /* Windows: no fork(). Start this program again, with CHILD_FLAG, and pass it the
     * connection: WSADuplicateSocketW() makes a handle to it inside the child, and fills in
     * a WSAPROTOCOL_INFOW that describes it; the child hands that to WSASocketW(). The
     * structure travels through a pipe on the child's standard input. */
    wchar_t path[MAX_PATH];
    wchar_t command[MAX_PATH + 32];
    HANDLE child_input = NULL;
    HANDLE to_child = NULL;
    STARTUPINFOW startup;
    PROCESS_INFORMATION process;
    struct handoff handoff;
    DWORD length;
    DWORD written;
    size_t sent = 0;

    (void)ListenSocket; /* not inherited: see keep_from_children() */
    length = GetModuleFileNameW(NULL, path, MAX_PATH);
    if (length == 0 || length == MAX_PATH) {
        report_error_code("GetModuleFileNameW", (int)GetLastError());
        return -1;
    }
    swprintf(command, sizeof command / sizeof command[0], L"\"%ls\" " CHILD_FLAG, path);

    /* Both ends are created non-inheritable; then only the child's end is made inheritable,
     * just for CreateProcessW(). bInheritHandles = TRUE hands the child every inheritable
     * handle of this process: that is why the sockets are kept from it (keep_from_children())
     * and why our end of the pipe must not be inheritable either: a child holding it would
     * keep every other child's pipe open, and "closed" could no longer mean "stop". A program
     * with several threads would name the handles with PROC_THREAD_ATTRIBUTE_HANDLE_LIST
     * instead, since another thread may start a process while one is inheritable. */
    if (!CreatePipe(&child_input, &to_child, NULL, 0)) {
        report_error_code("CreatePipe", (int)GetLastError());
        return -1;
    }
    if (!SetHandleInformation(child_input, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) {
        report_error_code("SetHandleInformation", (int)GetLastError());
        goto fail;
    }
    memset(&startup, 0, sizeof startup);
    startup.cb = sizeof startup;
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = child_input;
    startup.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    /* No creation flags: the child shares our console, so Ctrl-C reaches it too. */
    if (!CreateProcessW(path, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &process)) {
        report_error_code("CreateProcessW", (int)GetLastError());
        goto fail;
    }
    CloseHandle(child_input); /* the child has its own copy now */
    child_input = NULL;
    CloseHandle(process.hThread);

    //! [duplicate-socket]
    if (WSADuplicateSocketW(ClientSocket, process.dwProcessId, &handoff.info) == SOCKET_ERROR) {
        report_socket_error("WSADuplicateSocketW");
        TerminateProcess(process.hProcess, NET_EXIT_FAILURE);
        WaitForSingleObject(process.hProcess, INFINITE);
        CloseHandle(process.hProcess);
        goto fail;
    }
    //! [duplicate-socket]
    handoff.idle_timeout_ms = idle_timeout_ms;
    while (sent < sizeof handoff) {
        if (!WriteFile(to_child, (const char *)&handoff + sent, (DWORD)(sizeof handoff - sent),
                       &written, NULL)) {
            report_error_code("WriteFile", (int)GetLastError());
            TerminateProcess(process.hProcess, NET_EXIT_FAILURE);
            WaitForSingleObject(process.hProcess, INFINITE);
            CloseHandle(process.hProcess);
            goto fail;
        }
        sent += written;
    }
    /* The pipe stays open: closing it is how the parent asks the child to stop. */
    child->process = process.hProcess;
    child->to_child = to_child;
    return 0;

fail:
    if (child_input != NULL)
        CloseHandle(child_input);
    CloseHandle(to_child);
    return -1;
    //! [create-process]
#else
    //! [fork]
    unsigned long long echoed;
    int status = NET_EXIT_FAILURE;
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
        /* The child: a copy of the parent, with a copy of each of its descriptors. The
         * listening socket is the parent's: a child that kept it would hold the port open
         * after the parent has gone, and connections would queue there, never accepted. */
        closesocket(ListenSocket);
        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR) {
            report_client_error(NET_NONBLOCKING_CALL " on", child->peer);
        } else if (serve_client(ClientSocket, child->peer, idle_timeout_ms, &echoed) == 0) {
            printf("served %s: echoed %llu bytes\n", child->peer, echoed);
            status = NET_EXIT_OK;
        }
        fflush(stdout);
        closesocket(ClientSocket);
        exit(status); /* never back into the parent's loop */
    }
    child->pid = pid;
    return 0;
    //! [fork]
#endif
}

//! [reap]
/**
 * Waits up to @p timeout_ms for a child to end, then reaps every child that has ended and
 * reports those that did not end by themselves (a crash, a kill).
 */
static void reap_children(int timeout_ms)
{
#ifdef _WIN32
    /* Windows: a process handle is signalled when the process ends; closing the handle is
     * what frees the process object. WaitForMultipleObjects() takes at most
     * MAXIMUM_WAIT_OBJECTS (64) handles: it sleeps on the first 64 children, and the loop
     * below looks at every child, so one beyond the 64th is reaped one slice later at most. */
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    DWORD count = 0;
    DWORD code;
    for (struct child *c = children; c != NULL && count < MAXIMUM_WAIT_OBJECTS; c = c->next)
        handles[count++] = c->process;
    if (count == 0) {
        if (timeout_ms > 0)
            net_sleep_ms(timeout_ms);
        return;
    }
    if (WaitForMultipleObjects(count, handles, FALSE, (DWORD)timeout_ms) == WAIT_FAILED)
        report_error_code("WaitForMultipleObjects", (int)GetLastError());
    for (struct child **link = &children; *link != NULL;) {
        struct child *c = *link;
        if (WaitForSingleObject(c->process, 0) != WAIT_OBJECT_0) {
            link = &c->next;
            continue;
        }
        /* 0 and 1 are the child's own answers; anything else, such as 0xC0000005 (an access
         * violation), means it did not end by itself. */
        if (GetExitCodeProcess(c->process, &code) && code != NET_EXIT_OK &&
            code != NET_EXIT_FAILURE)
            report_message("the process serving %s ended with exit code 0x%08lX", c->peer,
                           (unsigned long)code);
        CloseHandle(c->process);
        if (c->to_child != NULL)
            CloseHandle(c->to_child);
        forget_child(link);
    }
#else
    int status;
    pid_t pid;
    /* The sleep ends early when SIGCHLD arrives. If it arrives just before the sleep, the
     * child waits one slice longer to be reaped: harmless. */
    if (timeout_ms > 0 && !child_ended)
        net_sleep_ms(timeout_ms);
    child_ended = 0;
    /* Signals of one kind do not queue: one SIGCHLD may stand for many ended children. So
     * collect in a loop until none is left. WNOHANG: return 0 at once instead of waiting
     * for the children still running. */
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (struct child **link = &children; *link != NULL; link = &(*link)->next) {
            if ((*link)->pid != pid)
                continue;
            if (WIFSIGNALED(status))
                report_message("the process serving %s (pid %ld) was killed by signal %d (%s)",
                               (*link)->peer, (long)pid, WTERMSIG(status),
                               strsignal(WTERMSIG(status)));
            forget_child(link);
            break;
        }
    }
    if (pid == -1 && errno != ECHILD) /* ECHILD: no children at all */
        report_socket_error("waitpid");
#endif
}
//! [reap]

//! [stop-children]
/** Asks every child to close its client and end. */
static void tell_children_to_stop(void)
{
    for (struct child *c = children; c != NULL; c = c->next) {
#ifdef _WIN32
        /* The child's watch_parent() thread sees its standard input end. */
        if (c->to_child != NULL) {
            CloseHandle(c->to_child);
            c->to_child = NULL;
        }
#else
        /* Only children not yet reaped are signalled: a reaped pid may already belong to
         * another process. A child that ended but is not reaped yet ignores the signal. */
        if (kill(c->pid, SIGTERM) == -1)
            report_socket_error("kill");
#endif
    }
}

/** Ends every child at once: they did not stop when asked. */
static void kill_children(void)
{
    for (struct child *c = children; c != NULL; c = c->next) {
#ifdef _WIN32
        if (!TerminateProcess(c->process, NET_EXIT_FAILURE))
            report_error_code("TerminateProcess", (int)GetLastError());
#else
        if (kill(c->pid, SIGKILL) == -1)
            report_socket_error("kill");
#endif
    }
}

/**
 * Waits until every child has ended, and reaps them all. With @p tell_them, or as soon as
 * Ctrl-C arrives, the children are asked to stop; those still running CHILD_STOP_MS later
 * are killed.
 */
static void wait_for_children(int tell_them)
{
    long long deadline = 0;
    int told = 0;
    int killed = 0;

    while (live_children > 0) {
        if (!told && (tell_them || stop_requested)) {
            tell_children_to_stop();
            told = 1;
            deadline = net_now_ms() + CHILD_STOP_MS;
        } else if (told && !killed && net_now_ms() >= deadline) {
            report_message("%lu child process%s still running after %d ms: killing %s",
                           live_children, live_children == 1 ? "" : "es", CHILD_STOP_MS,
                           live_children == 1 ? "it" : "them");
            kill_children();
            killed = 1;
        }
        reap_children(STOP_CHECK_MS);
    }
}
//! [stop-children]

/**
 * Waits while @p max children are running. Returns 1 if there is room for one more, 0 if
 * the caller should look at its stop flag and call again.
 */
static int wait_under_limit(unsigned long max)
{
    static int said_so = 0;
    //! [client-limit]
    /* At the limit the parent stops calling accept(): new connections wait in the kernel's
     * backlog (the client's connect() has already succeeded; its data waits in the socket's
     * buffers). A process for each of them would cost memory without limit. */
    if (live_children >= max) {
        if (!said_so) {
            printf("%lu clients at once: new connections wait until one leaves\n", max);
            fflush(stdout);
            said_so = 1;
        }
        reap_children(STOP_CHECK_MS);
    }
    //! [client-limit]
    if (live_children >= max)
        return 0;
    said_so = 0;
    return 1;
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
    struct child *child;
    unsigned long accepted = 0;
    long long idle_timeout_ms;
    int on = 1;
    int rc;
    int status = NET_EXIT_FAILURE;

#ifdef _WIN32
    /* Windows: a copy started by start_child() serves the connection it is handed, and
     * nothing else. The flag is not in --help: it is not for people. */
    if (argc == 2 && strcmp(argv[1], CHILD_FLAG) == 0) {
        report_set_program_name(argv[0]);
        return serve_inherited();
    }
#endif
    opts.max_clients = DEFAULT_MAX_CLIENTS;
    opts.idle_timeout = DEFAULT_IDLE_TIMEOUT;
    if (!options_parse(
            argc, argv,
            OPTIONS_ADDRESS | OPTIONS_CLIENTS | OPTIONS_MAX_CLIENTS | OPTIONS_IDLE_TIMEOUT,
            "Echo server: serves each client in a process of its own until Ctrl-C.", &opts))
        return opts.exit_status;
    idle_timeout_ms = 1000LL * (long long)opts.idle_timeout;

    if (install_stop_handler() != 0 || install_child_handler() != 0) {
        report_message("cannot install the signal handlers");
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
    /* The listener must not reach any program a child might start: see keep_from_children().
     * Done after the fact, since the socket is made by step 2's lines; a program with more
     * than one thread would create it non-inheritable at once: socket(..., SOCK_STREAM |
     * SOCK_CLOEXEC, ...) on Linux and the BSDs, WSASocketW(..., WSA_FLAG_NO_HANDLE_INHERIT)
     * on Windows. */
    if (keep_from_children(ListenSocket) != 0)
        goto cleanup;

    //! [accept-loop]
    /* Clients come in until --clients N have been accepted or Ctrl-C; each gets a process. */
    while (!stop_requested && (opts.clients == 0 || accepted < opts.clients)) {
        reap_children(0);
        if (!wait_under_limit(opts.max_clients))
            continue;
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
#ifdef __linux__
        /* Linux: the new descriptor is close-on-exec from the start. */
        ClientSocket = accept4(ListenSocket, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
#else
        ClientSocket = accept(ListenSocket, (struct sockaddr *)&peer, &peer_len);
#endif
        if (ClientSocket == INVALID_SOCKET) {
            /* Most failures concern that one connection (the client gave up before it was
             * accepted) or pass (out of descriptors until another client leaves): only a
             * broken listening socket ends the server. */
            int err = net_last_error();
            if (net_would_block(err))
                continue; /* gone between the wait and accept(), or a signal (SIGCHLD) */
            enum net_accept_failure kind = net_classify_accept_error(err);
            report_error_code("accept", err);
            if (kind == NET_ACCEPT_FATAL)
                goto cleanup;
            if (kind == NET_ACCEPT_BACK_OFF)
                net_sleep_ms(BACK_OFF_MS); /* it stays queued; retrying at once would spin */
            continue;
        }
#ifndef __linux__
        /* Elsewhere: a second call (see keep_from_children()). */
        if (keep_from_children(ClientSocket) != 0) {
            closesocket(ClientSocket);
            ClientSocket = INVALID_SOCKET;
            continue;
        }
#endif
        accepted++;

        //! [hand-off]
        child = malloc(sizeof *child);
        if (child == NULL) {
            report_message("out of memory: closing a new connection");
            closesocket(ClientSocket);
            ClientSocket = INVALID_SOCKET;
            continue;
        }
        net_format_address((struct sockaddr *)&peer, peer_len, child->peer, sizeof child->peer);
        if (start_child(child, ListenSocket, ClientSocket, idle_timeout_ms) == 0) {
            child->next = children;
            children = child;
            live_children++;
        } else {
            free(child);
            net_sleep_ms(BACK_OFF_MS); /* out of processes or memory: passes when clients leave */
        }
        /* The parent's copy of the connection is closed at once. The connection ends only
         * when its last descriptor or handle is closed: if the parent kept its copy, a child
         * that dies without shutdown() (a crash, a kill) would leave its client waiting for
         * as long as the parent runs, and each client would cost the parent a descriptor
         * until accept() fails with EMFILE. */
        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
        //! [hand-off]
    }
    //! [accept-loop]

    //! [shutdown]
    /* No new connections from now on: the kernel refuses them instead of queueing them for
     * a server that will never accept them. Then wait for the children: after Ctrl-C they
     * are asked to stop (the terminal's Ctrl-C reaches them too: it goes to every process
     * of the foreground process group, or on Windows of the console), and killed if they
     * have not ended CHILD_STOP_MS later. */
    closesocket(ListenSocket);
    ListenSocket = INVALID_SOCKET;
    wait_for_children(0);
    printf("shut down after %lu client%s\n", accepted, accepted == 1 ? "" : "s");
    //! [shutdown]

    status = NET_EXIT_OK;

cleanup:
    /* On an error path too, stop the children and reap them all. */
    wait_for_children(1);
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
