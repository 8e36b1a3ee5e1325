/**
 * @file steps/15-completion-loop/ports_uring.c
 * @brief The port of ports.h on Linux: an io_uring, through liburing.
 *
 * An io_uring is two queues in memory shared with the kernel: the program writes requests
 * (submission queue entries, SQEs) into one, and the kernel writes results (completion queue
 * entries, CQEs) into the other. Each SQE carries a 64-bit `user_data` that comes back in its
 * CQE: here the address of the `struct port_operation`. One system call, `io_uring_enter()`
 * (here through io_uring_submit_and_wait_timeout()), hands the kernel every SQE written since
 * the last one and waits for CQEs. A kernel may refuse io_uring altogether (the sysctl
 * `kernel.io_uring_disabled`, or a container's seccomp filter).
 */
#include "ports.h"
#include "report.h"

#include <liburing.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** Room for the SQEs written between two calls to io_uring_enter(); when it is full, what it
 *  holds is handed over early (next_sqe()). */
#define SUBMISSION_QUEUE_ENTRIES 1024

/** An accept in flight: the kernel writes the client's address here. */
struct accept_slot {
    struct port_operation operation; /* first: user_data points at it */
    struct sockaddr_storage peer;
    socklen_t peer_len;
};

struct port {
    struct io_uring ring;
    SOCKET ListenSocket;
    struct accept_slot accepts[PORT_MAX_ACCEPTS];
};

void port_wake(void)
{
    /* Nothing to do: SIGINT and SIGTERM end io_uring_enter() with EINTR, since the handler is
     * installed without SA_RESTART. (A signal that arrives just before the wait is seen when
     * the wait times out: it never lasts more than 200 ms.) */
}

/** The next free SQE. When the submission queue is full, what it holds is handed to the
 *  kernel first, to make room. NULL (and @p failure filled in) if that fails. */
static struct io_uring_sqe *next_sqe(struct port *port, struct port_failure *failure)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&port->ring);
    if (sqe == NULL) {
        int rc = io_uring_submit(&port->ring);
        if (rc < 0) {
            failure->call = "io_uring_submit";
            failure->code = -rc; /* liburing returns -errno instead of setting errno */
            return NULL;
        }
        sqe = io_uring_get_sqe(&port->ring);
        if (sqe == NULL) {
            failure->call = "io_uring_get_sqe";
            failure->code = EBUSY;
        }
    }
    return sqe;
}

struct port *port_open(void)
{
    struct io_uring_params params;
    struct port *port = calloc(1, sizeof *port);
    if (port == NULL) {
        report_message("out of memory");
        return NULL;
    }
    port->ListenSocket = INVALID_SOCKET;
    for (int i = 0; i < PORT_MAX_ACCEPTS; i++)
        port->accepts[i].operation.kind = PORT_ACCEPT;

    //! [ring-setup]
    /* One thread uses this ring (SINGLE_ISSUER), so the kernel may keep the work that ends
     * operations until that thread waits (DEFER_TASKRUN), and do it all in one go then,
     * instead of interrupting the thread each time a packet arrives. Both came with Linux 6.0
     * and 6.1; an older kernel refuses flags it does not know with EINVAL: then without. */
    memset(&params, 0, sizeof params);
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int rc = io_uring_queue_init_params(SUBMISSION_QUEUE_ENTRIES, &port->ring, &params);
    if (rc == -EINVAL) {
        memset(&params, 0, sizeof params);
        rc = io_uring_queue_init_params(SUBMISSION_QUEUE_ENTRIES, &port->ring, &params);
    }
    if (rc < 0) {
        /* ENOSYS: a kernel without io_uring; EPERM: io_uring forbidden (a container's
         * seccomp filter, or the sysctl kernel.io_uring_disabled). */
        report_error_code("io_uring_queue_init_params", -rc);
        free(port);
        return NULL;
    }
    //! [ring-setup]
    return port;
}

int port_listen(struct port *port, SOCKET ListenSocket)
{
    /* Nothing to register: an SQE names its socket by descriptor. */
    port->ListenSocket = ListenSocket;
    return 0;
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
        failure.code = EBUSY;
        return failure;
    }
    struct io_uring_sqe *sqe = next_sqe(port, &failure);
    if (sqe == NULL)
        return failure;
    /* The accept(2) of io_uring: it completes when a client is there, with the new socket's
     * descriptor (or -errno: out of descriptors, -EMFILE, as accept() fails). The kernel
     * writes the client's address into the slot, which stays put until then. */
    slot->peer_len = sizeof slot->peer;
    io_uring_prep_accept(sqe, port->ListenSocket, (struct sockaddr *)&slot->peer, &slot->peer_len,
                         0);
    io_uring_sqe_set_data(sqe, &slot->operation);
    slot->operation.closing = 0;
    slot->operation.in_flight = 1;
    return failure;
}
//! [post-accept]

/** Asks the kernel to end @p operation early: it completes with -ECANCELED (or with its
 *  result, if it was done already). The cancellation's own CQE has no operation. */
static void cancel(struct port *port, struct port_operation *operation)
{
    struct port_failure failure = {NULL, 0};
    struct io_uring_sqe *sqe = next_sqe(port, &failure);
    if (sqe == NULL) {
        report_error_code(failure.call, failure.code);
        return;
    }
    io_uring_prep_cancel(sqe, operation, 0);
    io_uring_sqe_set_data(sqe, NULL);
    operation->closing = 1;
}

void port_close_listener(struct port *port)
{
    for (int i = 0; i < PORT_MAX_ACCEPTS; i++) {
        if (port->accepts[i].operation.in_flight && !port->accepts[i].operation.closing)
            cancel(port, &port->accepts[i].operation);
    }
    /* Hand the cancellations over before close(): see port_close_socket(). */
    int rc = io_uring_submit(&port->ring);
    if (rc < 0)
        report_error_code("io_uring_submit", -rc);
    if (close(port->ListenSocket) != 0)
        report_socket_error("close");
    port->ListenSocket = INVALID_SOCKET;
}

//! [post-receive]
struct port_failure port_post_receive(struct port *port, struct port_operation *operation, SOCKET s,
                                      char *buffer, size_t size)
{
    struct port_failure failure = {NULL, 0};
    struct io_uring_sqe *sqe = next_sqe(port, &failure);
    if (sqe == NULL)
        return failure;
    /* The recv(2) of io_uring: it completes when bytes have arrived and been copied into
     * the buffer, with their count (0: the end of the stream; -errno: a failure). */
    io_uring_prep_recv(sqe, s, buffer, size, 0);
    io_uring_sqe_set_data(sqe, operation);
    operation->socket = s;
    operation->kind = PORT_RECEIVE;
    operation->in_flight = 1;
    return failure;
}
//! [post-receive]

//! [post-send]
struct port_failure port_post_send(struct port *port, struct port_operation *operation, SOCKET s,
                                   const char *data, size_t length)
{
    struct port_failure failure = {NULL, 0};
    struct io_uring_sqe *sqe = next_sqe(port, &failure);
    if (sqe == NULL)
        return failure;
    /* The kernel reads the bytes when it sends, possibly long after this call: they must not
     * change or go away before the completion. MSG_NOSIGNAL: a reset peer gives -EPIPE in the
     * CQE, not a SIGPIPE that would end the process. */
    io_uring_prep_send(sqe, s, data, length, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, operation);
    operation->socket = s;
    operation->kind = PORT_SEND;
    operation->in_flight = 1;
    return failure;
}
//! [post-send]

//! [close-socket]
void port_close_socket(struct port *port, struct port_operation *operation, SOCKET s)
{
    if (operation->in_flight) {
        /* close() alone would not end the operation: io_uring holds a reference to the socket
         * of its own, so the socket would live on, and a receive would wait, until the client
         * sent something. So the operation is cancelled. An SQE not yet handed over names its
         * socket by number; once close() frees that number, an accept in the same batch could
         * be given it, and the SQE would act on the new client: hand over first. */
        cancel(port, operation);
        int rc = io_uring_submit(&port->ring);
        if (rc < 0)
            report_error_code("io_uring_submit", -rc);
    }
    if (close(s) != 0)
        report_socket_error("close");
}
//! [close-socket]

/** Turns one CQE into a completion. Returns 0 for a CQE that needs no action. */
static int take_completion(struct port *port, const struct io_uring_cqe *cqe,
                           struct port_completion *done)
{
    struct port_operation *operation = io_uring_cqe_get_data(cqe);
    (void)port;
    if (operation == NULL)
        return 0; /* the result of a cancellation */
    operation->in_flight = 0;
    memset(done, 0, sizeof *done);
    done->kind = (enum port_kind)operation->kind;
    done->operation = operation->kind == PORT_ACCEPT ? NULL : operation;
    done->accepted = INVALID_SOCKET;

    //! [completion-result]
    int res = cqe->res; /* a byte count or a descriptor, or -errno */
    if (operation->kind == PORT_ACCEPT && res >= 0) {
        /* A new client, even if the accept was being cancelled: main.c decides. */
        struct accept_slot *slot = (struct accept_slot *)(void *)operation;
        done->accepted = res;
        memcpy(&done->peer, &slot->peer, sizeof done->peer);
        done->peer_len = slot->peer_len;
    } else if (operation->closing || res == -ECANCELED) {
        done->cancelled = 1;
    } else if (res < 0) {
        static const char *const calls[] = {"accept", "recv from", "send to"};
        done->failure.call = calls[operation->kind];
        done->failure.code = -res;
    } else {
        done->bytes = (size_t)res; /* a send may take fewer than asked: the caller sends the rest */
    }
    //! [completion-result]
    return 1;
}

//! [wait]
int port_wait(struct port *port, struct port_completion *completions, int max, int timeout_ms)
{
    struct __kernel_timespec timeout;
    struct io_uring_cqe *cqe = NULL;
    timeout.tv_sec = timeout_ms / 1000;
    timeout.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;

    /* One system call hands over every SQE written since the last turn, and waits until at
     * least one CQE is there, or the timeout passes (-ETIME), or a signal arrives (-EINTR). */
    int rc = io_uring_submit_and_wait_timeout(&port->ring, &cqe, 1, &timeout, NULL);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
        report_error_code("io_uring_submit_and_wait_timeout", -rc);
        return -1;
    }
    /* -EAGAIN, -EBUSY: the kernel is short of room for now; take what completed, try again. */

    int count = 0;
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&port->ring, head, cqe)
    {
        if (count == max)
            break;
        seen++;
        count += take_completion(port, cqe, &completions[count]);
    }
    /* Tells the kernel that these CQEs were read: their slots may be reused. */
    io_uring_cq_advance(&port->ring, seen);
    return count;
}
//! [wait]

void port_free(struct port *port, int all_completed)
{
    if (port->ListenSocket != INVALID_SOCKET)
        close(port->ListenSocket);
    io_uring_queue_exit(&port->ring);
    if (!all_completed)
        return; /* the kernel may still write into this memory: it stays */
    free(port);
}
