/**
 * @file steps/16-accept-ahead/ports_iocp.c
 * @brief The port of ports.h on Windows: an I/O completion port, `AcceptEx`, `WSARecv`,
 *        `WSASend`, and `GetQueuedCompletionStatusEx`.
 *
 * A completion port is a kernel queue of finished operations. A socket is associated with it
 * once (`CreateIoCompletionPort`); from then on each overlapped operation on that socket
 * (`AcceptEx`, `WSARecv`, `WSASend` with an `OVERLAPPED`) that was started queues one entry
 * when it ends, with success or an error, carrying the `OVERLAPPED`'s address and the byte
 * count. Started means: the call succeeded at once, or failed with `WSA_IO_PENDING`. A call
 * that fails at once with another error started nothing, and nothing is queued for it. The
 * program takes entries with `GetQueuedCompletionStatusEx`, many per call (Windows Vista on).
 */
#include "ports.h"
#include "report.h"

#include <mswsock.h> /* AcceptEx, GetAcceptExSockaddrs, SO_UPDATE_ACCEPT_CONTEXT */
#include <stdlib.h>
#include <string.h>

/** AcceptEx's room for one address: the largest address plus 16 bytes, as it requires. */
#define ADDRESS_ROOM ((DWORD)(sizeof(struct sockaddr_storage) + 16))

/** An AcceptEx in flight: the socket it will connect, and where it writes both addresses. */
struct accept_slot {
    struct port_operation operation; /* first: the OVERLAPPED leads back to the slot */
    SOCKET AcceptSocket;
    char addresses[2 * ADDRESS_ROOM];
};

struct port {
    HANDLE CompletionPort;
    SOCKET ListenSocket;
    int family; /**< the listener's: AcceptEx needs a socket of the same family */
    LPFN_ACCEPTEX AcceptEx;
    LPFN_GETACCEPTEXSOCKADDRS GetAcceptExSockaddrs;
    struct accept_slot accepts[PORT_MAX_ACCEPTS];
};

/* The port port_wake() posts to. A handle, not the structure: the console handler's thread
 * may call port_wake() while the main thread frees the port, and posting to a closed handle
 * only fails. Read and written with interlocked operations, from two threads. */
static PVOID volatile wake_port = NULL;

void port_wake(void)
{
    HANDLE port = InterlockedCompareExchangePointer(&wake_port, NULL, NULL);
    /* A completion with no OVERLAPPED: port_wait() skips it, but the wait is over. */
    if (port != NULL)
        PostQueuedCompletionStatus(port, 0, 0, NULL);
}

struct port *port_open(unsigned long max_connections)
{
    struct port *port = calloc(1, sizeof *port);
    (void)max_connections; /* a completion port has no queue to size */
    if (port == NULL) {
        report_message("out of memory");
        return NULL;
    }
    port->ListenSocket = INVALID_SOCKET;
    for (int i = 0; i < PORT_MAX_ACCEPTS; i++) {
        port->accepts[i].operation.kind = PORT_ACCEPT;
        port->accepts[i].AcceptSocket = INVALID_SOCKET;
    }
    //! [create-port]
    /* A new port, not yet associated with any handle. The last argument is how many threads
     * may take its completions at once: one, the loop. */
    port->CompletionPort = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (port->CompletionPort == NULL) {
        report_error_code("CreateIoCompletionPort", (int)GetLastError());
        free(port);
        return NULL;
    }
    InterlockedExchangePointer(&wake_port, port->CompletionPort);
    //! [create-port]
    return port;
}

/** Asks the socket's provider for the address of one of its extension functions. */
static int get_extension(SOCKET s, GUID id, void *function, size_t size)
{
    DWORD bytes = 0;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, (DWORD)sizeof id, function,
                 (DWORD)size, &bytes, NULL, NULL) == SOCKET_ERROR) {
        report_socket_error("WSAIoctl");
        return -1;
    }
    return 0;
}

int port_listen(struct port *port, SOCKET ListenSocket)
{
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;

    if (getsockname(ListenSocket, (struct sockaddr *)&bound, &bound_len) == SOCKET_ERROR) {
        report_socket_error("getsockname");
        return -1;
    }
    port->family = bound.ss_family;
    //! [associate-listener]
    /* AcceptEx completions arrive through the listening socket's association. */
    if (CreateIoCompletionPort((HANDLE)ListenSocket, port->CompletionPort, 0, 0) == NULL) {
        report_error_code("CreateIoCompletionPort", (int)GetLastError());
        return -1;
    }
    //! [associate-listener]
    //! [extension-functions]
    /* AcceptEx and GetAcceptExSockaddrs are Microsoft extensions, not part of Winsock's core.
     * mswsock.dll exports them, but the documented way is to ask the socket's own provider
     * for them, once, with WSAIoctl. */
    GUID accept_ex = WSAID_ACCEPTEX;
    GUID get_sockaddrs = WSAID_GETACCEPTEXSOCKADDRS;
    if (get_extension(ListenSocket, accept_ex, &port->AcceptEx, sizeof port->AcceptEx) != 0 ||
        get_extension(ListenSocket, get_sockaddrs, &port->GetAcceptExSockaddrs,
                      sizeof port->GetAcceptExSockaddrs) != 0)
        return -1;
    //! [extension-functions]
    port->ListenSocket = ListenSocket;
    return 0;
}

/** Started or not: a call that returned FALSE or SOCKET_ERROR started the operation only if
 *  the error is WSA_IO_PENDING. Returns 0 (a completion will come) or the error. */
static int not_started(void)
{
    int err = WSAGetLastError();
    return err == WSA_IO_PENDING ? 0 : err;
}

//! [post-accept]
struct port_failure port_post_accept(struct port *port)
{
    struct port_failure failure = {NULL, 0};
    struct accept_slot *slot = NULL;
    for (int i = 0; i < PORT_MAX_ACCEPTS && slot == NULL; i++) {
        if (!port->accepts[i].operation.in_flight)
            slot = &port->accepts[i];
    }
    if (slot == NULL) {
        failure.call = "port_post_accept";
        failure.code = WSAEINVAL;
        return failure;
    }
    /* AcceptEx connects a socket made beforehand. socket() makes sockets for overlapped
     * operations by default. Out of handles or memory, it fails here: WSAEMFILE, WSAENOBUFS. */
    slot->AcceptSocket = socket(port->family, SOCK_STREAM, IPPROTO_TCP);
    if (slot->AcceptSocket == INVALID_SOCKET) {
        failure.call = "socket";
        failure.code = WSAGetLastError();
        return failure;
    }
    memset(&slot->operation.overlapped, 0, sizeof slot->operation.overlapped);
    slot->operation.socket = port->ListenSocket;
    slot->operation.closing = 0;
    /* A receive length of 0: complete as soon as a client connects. With room for data,
     * AcceptEx would wait for the client's first bytes, and a client that connects and says
     * nothing would hold the accept for as long as it liked. */
    DWORD received = 0;
    if (!port->AcceptEx(port->ListenSocket, slot->AcceptSocket, slot->addresses, 0, ADDRESS_ROOM,
                        ADDRESS_ROOM, &received, &slot->operation.overlapped) &&
        (failure.code = not_started()) != 0) {
        closesocket(slot->AcceptSocket);
        slot->AcceptSocket = INVALID_SOCKET;
        failure.call = "AcceptEx";
        return failure;
    }
    slot->operation.in_flight = 1;
    return failure;
}
//! [post-accept]

//! [cancel-accepts]
void port_cancel_accepts(struct port *port)
{
    for (int i = 0; i < PORT_MAX_ACCEPTS; i++) {
        struct port_operation *operation = &port->accepts[i].operation;
        if (!operation->in_flight || operation->closing)
            continue;
        /* CancelIoEx cancels this one operation of the handle; it then completes with
         * WSA_OPERATION_ABORTED. ERROR_NOT_FOUND: it had completed already. */
        if (!CancelIoEx((HANDLE)port->ListenSocket, &operation->overlapped) &&
            GetLastError() != ERROR_NOT_FOUND)
            report_error_code("CancelIoEx", (int)GetLastError());
        operation->closing = 1;
    }
}
//! [cancel-accepts]

void port_close_listener(struct port *port)
{
    /* Closing the listener ends the AcceptEx calls in flight: each completes with
     * WSA_OPERATION_ABORTED, and its socket is closed then (take_accept()). */
    for (int i = 0; i < PORT_MAX_ACCEPTS; i++)
        port->accepts[i].operation.closing = 1;
    if (closesocket(port->ListenSocket) == SOCKET_ERROR)
        report_socket_error("closesocket");
    port->ListenSocket = INVALID_SOCKET;
}

//! [post-receive]
struct port_failure port_post_receive(struct port *port, struct port_operation *operation, SOCKET s,
                                      char *buffer, size_t size)
{
    struct port_failure failure = {NULL, 0};
    (void)port;
    /* The WSABUF may live on the stack: WSARecv copies it before returning. The buffer it
     * points to may not: the kernel writes into it until the completion. */
    WSABUF room;
    room.len = (ULONG)size;
    room.buf = buffer;
    DWORD flags = 0;
    memset(&operation->overlapped, 0, sizeof operation->overlapped);
    operation->kind = PORT_RECEIVE;
    operation->socket = s;
    if (WSARecv(s, &room, 1, NULL, &flags, &operation->overlapped, NULL) == SOCKET_ERROR &&
        (failure.code = not_started()) != 0) {
        failure.call = "WSARecv from";
        return failure;
    }
    operation->in_flight = 1;
    return failure;
}
//! [post-receive]

//! [post-send]
struct port_failure port_post_send(struct port *port, struct port_operation *operation, SOCKET s,
                                   const char *data, size_t length)
{
    struct port_failure failure = {NULL, 0};
    (void)port;
    /* As for WSARecv: the WSABUF is copied, the bytes it points to are read until the
     * completion, so they must stay. */
    WSABUF chunk;
    chunk.len = (ULONG)length;
    chunk.buf = (CHAR *)data;
    memset(&operation->overlapped, 0, sizeof operation->overlapped);
    operation->kind = PORT_SEND;
    operation->socket = s;
    if (WSASend(s, &chunk, 1, NULL, 0, &operation->overlapped, NULL) == SOCKET_ERROR &&
        (failure.code = not_started()) != 0) {
        failure.call = "WSASend to";
        return failure;
    }
    operation->in_flight = 1;
    return failure;
}
//! [post-send]

//! [close-socket]
void port_close_socket(struct port *port, struct port_operation *operation, SOCKET s)
{
    (void)port;
    if (operation->in_flight) {
        /* CancelIoEx(s, NULL) cancels every operation in flight on the socket: each still
         * completes, through the port, with WSA_OPERATION_ABORTED. Until that completion is
         * taken, the kernel may write to the OVERLAPPED and the buffer: the connection is
         * freed only then. Microsoft documents that closesocket() alone cancels them too;
         * Wine 8 does so for receives, but leaves a WSASend in flight until the peer reads or
         * closes, so the cancellation is asked for. ERROR_NOT_FOUND: it had completed. */
        if (!CancelIoEx((HANDLE)s, NULL) && GetLastError() != ERROR_NOT_FOUND)
            report_error_code("CancelIoEx", (int)GetLastError());
        /* The handle's value may be given to a new socket at once: the completion must not
         * use it. `closing` says so. */
        operation->closing = 1;
    }
    if (closesocket(s) == SOCKET_ERROR)
        report_socket_error("closesocket");
}
//! [close-socket]

/** The result of a finished operation: 0, or its Winsock error code. */
static int operation_error(struct port_operation *operation)
{
    DWORD bytes = 0;
    DWORD flags = 0;
    /* The OVERLAPPED holds the status; WSAGetOverlappedResult turns it into the Winsock error
     * code a failed call would have set (WSAECONNRESET, not an NTSTATUS). */
    if (WSAGetOverlappedResult(operation->socket, &operation->overlapped, &bytes, FALSE, &flags))
        return 0;
    return WSAGetLastError();
}

/** Ends an accept: the new socket, set up for the port, or a failure. */
static void take_accept(struct port *port, struct accept_slot *slot, struct port_completion *done)
{
    int err = port->ListenSocket == INVALID_SOCKET ? WSA_OPERATION_ABORTED
                                                   : operation_error(&slot->operation);
    SOCKET AcceptSocket = slot->AcceptSocket;
    slot->AcceptSocket = INVALID_SOCKET;
    if (err == WSA_OPERATION_ABORTED) {
        done->cancelled = 1;
    } else if (err != 0) {
        done->failure.call = "AcceptEx";
        done->failure.code = err;
    }
    if (err != 0) {
        closesocket(AcceptSocket);
        return;
    }
    //! [update-accept-context]
    /* Until this is set, the accepted socket does not inherit the listener's properties, and
     * Microsoft documents it as needed before getpeername(), getsockname(), getsockopt() or
     * setsockopt() are used on the socket. (Seen under Wine 8: getpeername() and shutdown()
     * work without it; Windows was not tried.) */
    if (setsockopt(AcceptSocket, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                   (const char *)&port->ListenSocket,
                   (int)sizeof port->ListenSocket) == SOCKET_ERROR) {
        done->failure.call = "setsockopt";
        done->failure.code = WSAGetLastError();
        closesocket(AcceptSocket);
        return;
    }
    //! [update-accept-context]
    /* Both addresses are in the slot's buffer, in a format only this function reads. */
    struct sockaddr *local = NULL;
    struct sockaddr *remote = NULL;
    int local_len = 0;
    int remote_len = 0;
    port->GetAcceptExSockaddrs(slot->addresses, 0, ADDRESS_ROOM, ADDRESS_ROOM, &local, &local_len,
                               &remote, &remote_len);
    done->peer_len = 0; /* no address given: its report says so */
    if (remote != NULL && remote_len > 0 && (size_t)remote_len <= sizeof done->peer) {
        memcpy(&done->peer, remote, (size_t)remote_len);
        done->peer_len = remote_len;
    }
    //! [associate-client]
    /* The new socket's operations complete through the port too. */
    if (CreateIoCompletionPort((HANDLE)AcceptSocket, port->CompletionPort, 0, 0) == NULL) {
        done->failure.call = "CreateIoCompletionPort";
        done->failure.code = (int)GetLastError();
        closesocket(AcceptSocket);
        return;
    }
    //! [associate-client]
    done->accepted = AcceptSocket;
}

//! [wait]
int port_wait(struct port *port, struct port_completion *completions, int max, int timeout_ms)
{
    OVERLAPPED_ENTRY entries[PORT_WAIT_BATCH];
    ULONG removed = 0;
    if (max > PORT_WAIT_BATCH)
        max = PORT_WAIT_BATCH;
    /* Takes up to max finished operations at once, failed ones included (each entry's status
     * is in its OVERLAPPED), or waits for the first. */
    if (!GetQueuedCompletionStatusEx(port->CompletionPort, entries, (ULONG)max, &removed,
                                     (DWORD)timeout_ms, FALSE)) {
        DWORD err = GetLastError();
        if (err == WAIT_TIMEOUT)
            return 0;
        report_error_code("GetQueuedCompletionStatusEx", (int)err);
        return -1;
    }
    int count = 0;
    for (ULONG i = 0; i < removed; i++) {
        if (entries[i].lpOverlapped == NULL)
            continue; /* posted by port_wake(), only to end the wait */
        struct port_operation *operation = (struct port_operation *)(void *)entries[i].lpOverlapped;
        struct port_completion *done = &completions[count++];
        operation->in_flight = 0;
        memset(done, 0, sizeof *done);
        done->kind = (enum port_kind)operation->kind;
        done->operation = operation->kind == PORT_ACCEPT ? NULL : operation;
        done->accepted = INVALID_SOCKET;
        if (operation->kind == PORT_ACCEPT) {
            take_accept(port, (struct accept_slot *)(void *)operation, done);
            continue;
        }
        /* A closed socket's operation: its handle may be another socket's by now. */
        int err = operation->closing ? WSA_OPERATION_ABORTED : operation_error(operation);
        if (err == WSA_OPERATION_ABORTED) {
            done->cancelled = 1;
        } else if (err != 0) {
            done->failure.call = operation->kind == PORT_SEND ? "WSASend to" : "WSARecv from";
            done->failure.code = err;
        } else {
            done->bytes = entries[i].dwNumberOfBytesTransferred; /* receive: 0 at the end */
        }
    }
    return count;
}
//! [wait]

void port_free(struct port *port, int all_completed)
{
    if (port->ListenSocket != INVALID_SOCKET)
        closesocket(port->ListenSocket);
    for (int i = 0; i < PORT_MAX_ACCEPTS; i++) {
        if (port->accepts[i].AcceptSocket != INVALID_SOCKET)
            closesocket(port->accepts[i].AcceptSocket);
    }
    if (port->CompletionPort != NULL) {
        InterlockedExchangePointer(&wake_port, NULL);
        CloseHandle(port->CompletionPort);
    }
    if (!all_completed)
        return; /* the kernel may still write into this memory: it stays */
    free(port);
}
