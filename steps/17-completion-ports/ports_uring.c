/**
 * @file steps/17-completion-ports/ports_uring.c
 * @brief The port of ports.h on Linux: an io_uring (through liburing), with a ring of
 *        provided buffers from which the kernel picks one when data arrives.
 *
 * An io_uring is two queues shared between the program and the kernel: the program writes
 * requests (submission queue entries, SQEs) into one and the kernel writes results
 * (completion queue entries, CQEs) into the other. Each SQE carries a 64-bit `user_data`
 * that comes back in its CQE; here it is the address of the `struct port_operation`. One
 * system call, `io_uring_enter()` (here through io_uring_submit_and_wait_timeout()), both
 * hands over every SQE written since the last one and waits for CQEs. Linux 5.19 or later
 * is needed for everything used here (the buffer ring); kernels may also refuse io_uring
 * altogether (the sysctl `kernel.io_uring_disabled`, seccomp filters in containers).
 */
/* madvise() and MAP_ANONYMOUS are not in POSIX (its posix_madvise() may ignore DONTNEED, as
 * glibc's does); glibc declares them when asked for its extensions. */
#define _DEFAULT_SOURCE
#include "ports.h"
#include "report.h"

#include <liburing.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/** Room for SQEs written between two calls to io_uring_enter(); when it is full, the ring
 *  is submitted early (next_sqe()). */
#define SUBMISSION_QUEUE_ENTRIES 1024
/** The bytes of one chunk of buffers. */
#define CHUNK_BYTES ((size_t)PORT_BUFFERS_PER_CHUNK * PORT_BUFFER_SIZE)

/** The buffer group: receives name the group, not a buffer. */
#define BUFFER_GROUP 0

/** An accept in flight: the kernel writes the client's address here. */
struct accept_slot {
    struct port_operation operation; /* first: user_data points at it */
    struct sockaddr_storage peer;
    socklen_t peer_len;
};

struct port {
    struct io_uring ring;
    int ring_ready;
    SOCKET ListenSocket;
    struct accept_slot accepts[PORT_MAX_ACCEPTS];
    struct io_uring_buf_ring *buffer_ring; /**< shared with the kernel: the free buffers */
    int buffer_limit;                      /**< the ring's size: the most buffers there can be */
    int buffer_count;                      /**< buffers made so far */
    int buffers_lent;                      /**< of those, taken by receives, not yet back */
    int lent_since_trim;                   /**< a buffer was lent since port_trim_buffers() */
    int work_in_waits_only;                /**< DEFER_TASKRUN: the kernel fills buffers only
                                                while this thread is in io_uring_enter() */
    char *chunks[PORT_BUFFER_LIMIT / PORT_BUFFERS_PER_CHUNK]; /**< where they are */
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

//! [add-buffers]
/** Makes PORT_BUFFERS_PER_CHUNK more buffers and puts them in the ring. Returns 0 when the
 *  ring is full or memory is short. */
static int add_buffers(struct port *port)
{
    if (port->buffer_count + PORT_BUFFERS_PER_CHUNK > port->buffer_limit)
        return 0;
    /* Memory of its own (mmap), whole pages: port_trim_buffers() can give them back. */
    char *chunk =
        mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (chunk == MAP_FAILED)
        return 0;
    port->chunks[port->buffer_count / PORT_BUFFERS_PER_CHUNK] = chunk;
    for (int i = 0; i < PORT_BUFFERS_PER_CHUNK; i++)
        io_uring_buf_ring_add(port->buffer_ring, chunk + (size_t)i * PORT_BUFFER_SIZE,
                              PORT_BUFFER_SIZE, (unsigned short)(port->buffer_count + i),
                              io_uring_buf_ring_mask((unsigned)port->buffer_limit), i);
    /* Only now does the kernel see them: advancing the tail publishes the entries. */
    io_uring_buf_ring_advance(port->buffer_ring, PORT_BUFFERS_PER_CHUNK);
    port->buffer_count += PORT_BUFFERS_PER_CHUNK;
    return 1;
}
//! [add-buffers]

struct port *port_open(unsigned long max_connections)
{
    struct io_uring_params params;
    struct port *port = calloc(1, sizeof *port);
    if (port == NULL) {
        report_message("out of memory");
        return NULL;
    }
    port->ListenSocket = INVALID_SOCKET;

    //! [ring-setup]
    /* Every connection has at most one operation in flight, plus one cancellation when it is
     * closed: a completion queue of twice the connections (up to 65,536 entries) does not
     * overflow. (Since Linux 5.5 an overflow loses nothing, but while it lasts the kernel
     * may refuse new submissions with EBUSY.) */
    unsigned completion_entries = 1024;
    while (completion_entries < 2 * (max_connections + PORT_MAX_ACCEPTS) &&
           completion_entries < 65536)
        completion_entries *= 2;
    memset(&params, 0, sizeof params);
    /* One thread uses this ring (SINGLE_ISSUER), so the kernel may keep the work that ends
     * operations until that thread next waits (DEFER_TASKRUN), then do it all in one go,
     * instead of interrupting the thread each time a packet arrives. Both came with Linux
     * 6.0 and 6.1; an older kernel rejects unknown flags with EINVAL: then without them. */
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SINGLE_ISSUER |
                   IORING_SETUP_DEFER_TASKRUN;
    params.cq_entries = completion_entries;
    int rc = io_uring_queue_init_params(SUBMISSION_QUEUE_ENTRIES, &port->ring, &params);
    port->work_in_waits_only = rc == 0;
    if (rc == -EINVAL) {
        memset(&params, 0, sizeof params);
        params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
        params.cq_entries = completion_entries;
        rc = io_uring_queue_init_params(SUBMISSION_QUEUE_ENTRIES, &port->ring, &params);
    }
    if (rc < 0) {
        /* ENOSYS: a kernel without io_uring; EPERM: io_uring forbidden (a container's
         * seccomp profile, or the sysctl kernel.io_uring_disabled). */
        report_error_code("io_uring_queue_init_params", -rc);
        goto fail;
    }
    port->ring_ready = 1;
    //! [ring-setup]

    //! [provided-buffers]
    /* The buffers' addresses go into a ring shared with the kernel. A receive posted with
     * IOSQE_BUFFER_SELECT names only the ring's group, and the kernel takes the next buffer
     * from it when data arrives: a receive that waits holds no buffer, so 10,000 idle
     * clients hold none. The ring has room for one buffer per connection; the buffers
     * themselves are made when needed (add_buffers()). It must start on a page boundary. */
    port->buffer_limit = PORT_BUFFERS_PER_CHUNK;
    while ((unsigned long)port->buffer_limit < max_connections &&
           port->buffer_limit < PORT_BUFFER_LIMIT)
        port->buffer_limit *= 2;
    long page = sysconf(_SC_PAGESIZE);
    void *ring_memory = NULL;
    rc = posix_memalign(&ring_memory, page > 0 ? (size_t)page : 4096,
                        (size_t)port->buffer_limit * sizeof(struct io_uring_buf));
    if (rc != 0) {
        report_error_code("posix_memalign", rc);
        goto fail;
    }
    port->buffer_ring = ring_memory;
    struct io_uring_buf_reg registration;
    memset(&registration, 0, sizeof registration);
    registration.ring_addr = (unsigned long long)(uintptr_t)port->buffer_ring;
    registration.ring_entries = (unsigned)port->buffer_limit;
    registration.bgid = BUFFER_GROUP;
    rc = io_uring_register_buf_ring(&port->ring, &registration, 0);
    if (rc < 0) {
        /* EINVAL: a kernel older than 5.19, which has no buffer rings. */
        report_error_code("io_uring_register_buf_ring", -rc);
        goto fail;
    }
    io_uring_buf_ring_init(port->buffer_ring);
    //! [provided-buffers]
    if (!add_buffers(port)) {
        report_message("out of memory for %d buffers of %d bytes", PORT_BUFFERS_PER_CHUNK,
                       PORT_BUFFER_SIZE);
        goto fail;
    }

    for (int i = 0; i < PORT_MAX_ACCEPTS; i++)
        port->accepts[i].operation.kind = PORT_ACCEPT;
    return port;

fail:
    port_free(port, 1);
    return NULL;
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
    /* Linux takes the new client's descriptor when it performs the accept: out of
     * descriptors, the accept completes with EMFILE, as accept() fails. The new socket
     * need not be non-blocking: io_uring never waits on a socket, it retries when the
     * socket is ready. One accept per SQE, like AcceptEx on Windows. (Linux 5.19 also has a multishot accept,
     * io_uring_prep_multishot_accept(): one SQE that completes once per client until it is
     * cancelled. Here the number of accepts in flight is what keeps --max-clients and
     * --clients exact; a multishot accept would take clients until its cancellation took
     * effect.) The kernel writes the client's address into the slot, which stays put. */
    slot->peer_len = sizeof slot->peer;
    io_uring_prep_accept(sqe, port->ListenSocket, (struct sockaddr *)&slot->peer, &slot->peer_len,
                         0);
    io_uring_sqe_set_data(sqe, &slot->operation);
    slot->operation.closing = 0;
    slot->operation.in_flight = 1;
    return failure;
}
//! [post-accept]

void port_cancel_accepts(struct port *port)
{
    struct port_failure failure = {NULL, 0};
    for (int i = 0; i < PORT_MAX_ACCEPTS; i++) {
        struct port_operation *operation = &port->accepts[i].operation;
        if (!operation->in_flight || operation->closing)
            continue;
        struct io_uring_sqe *sqe = next_sqe(port, &failure);
        if (sqe == NULL) {
            report_error_code(failure.call, failure.code);
            return;
        }
        /* Cancels the request whose user_data is this operation; the cancellation's own
         * CQE has user_data 0 and is ignored. */
        io_uring_prep_cancel(sqe, operation, 0);
        io_uring_sqe_set_data(sqe, NULL);
        operation->closing = 1;
    }
}

void port_close_listener(struct port *port)
{
    port_cancel_accepts(port);
    /* Submit the cancellations before close(): see port_close_socket(). */
    int rc = io_uring_submit(&port->ring);
    if (rc < 0)
        report_error_code("io_uring_submit", -rc);
    if (close(port->ListenSocket) != 0)
        report_socket_error("close");
    port->ListenSocket = INVALID_SOCKET;
}

//! [post-receive]
struct port_failure port_post_receive(struct port *port, struct port_operation *operation, SOCKET s)
{
    struct port_failure failure = {NULL, 0};
    struct io_uring_sqe *sqe = next_sqe(port, &failure);
    if (sqe == NULL)
        return failure;
    /* No buffer address: IOSQE_BUFFER_SELECT lets the kernel take one from the group's ring
     * once data is there. One receive at a time, posted after the echo is sent: a multishot
     * receive (io_uring_prep_recv_multishot()) would go on taking buffers while the echo of
     * the last one waits, which is exactly what backpressure must not do. */
    io_uring_prep_recv(sqe, s, NULL, PORT_BUFFER_SIZE, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BUFFER_GROUP;
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
    /* The kernel reads the bytes when it sends, possibly long after this call: the buffer
     * must not change or go away before the completion. MSG_NOSIGNAL: a reset peer gives
     * EPIPE in the CQE, not a SIGPIPE that would end the process. */
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
        /* close() alone would not end the operation: io_uring holds a reference to the
         * socket of its own, so the socket would live on, and the receive would wait, until
         * the client sent something. The operation is cancelled instead; it completes with
         * ECANCELED (or with its result, if it was done already). */
        struct port_failure failure = {NULL, 0};
        struct io_uring_sqe *sqe = next_sqe(port, &failure);
        if (sqe == NULL) {
            report_error_code(failure.call, failure.code);
        } else {
            io_uring_prep_cancel(sqe, operation, 0);
            io_uring_sqe_set_data(sqe, NULL);
        }
        operation->closing = 1;
        /* An SQE not yet submitted names its socket by number. Once close() frees that
         * number, an accept submitted in the same batch could be given it, and the SQE
         * would act on the new client: submit first. */
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
    if (operation == NULL)
        return 0; /* the result of a cancellation */
    operation->in_flight = 0;

    done->kind = (enum port_kind)operation->kind;
    done->operation = operation->kind == PORT_ACCEPT ? NULL : operation;
    done->failure.call = NULL;
    done->failure.code = 0;
    done->cancelled = 0;
    done->out_of_buffers = 0;
    done->buffer = PORT_NO_BUFFER;
    done->bytes = 0;
    done->accepted = INVALID_SOCKET;

    int res = cqe->res; /* bytes or a descriptor, or -errno */
    if (cqe->flags & IORING_CQE_F_BUFFER) {
        done->buffer = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        port->buffers_lent++;
        port->lent_since_trim = 1;
    }

    switch (operation->kind) {
    case PORT_ACCEPT: {
        struct accept_slot *slot = (struct accept_slot *)(void *)operation;
        if (res >= 0) {
            /* Even when cancelled too late: a client was accepted, and is served. */
            done->accepted = res;
            memcpy(&done->peer, &slot->peer, sizeof done->peer);
            done->peer_len = slot->peer_len;
        } else if (res == -ECANCELED || operation->closing) {
            done->cancelled = 1;
        } else {
            done->failure.call = "accept";
            done->failure.code = -res;
        }
        return 1;
    }
    case PORT_RECEIVE:
        //! [receive-completion]
        if (res > 0 && done->buffer == PORT_NO_BUFFER) {
            res = -EINVAL; /* data without a buffer: cannot happen with BUFFER_SELECT */
        } else if (res <= 0 && done->buffer != PORT_NO_BUFFER) {
            port_release_buffer(port, done->buffer); /* taken, and nothing put in it */
            done->buffer = PORT_NO_BUFFER;
        }
        if (operation->closing || res == -ECANCELED) {
            done->cancelled = 1;
        } else if (res == -ENOBUFS) {
            /* Data arrived and the ring was empty. Make more buffers and receive again,
             * without telling the loop; when no more can be made, the loop queues it. */
            if (!add_buffers(port)) {
                done->out_of_buffers = 1;
                return 1;
            }
            done->failure = port_post_receive(port, operation, operation->socket);
            return done->failure.call != NULL;
        } else if (res < 0) {
            done->failure.call = "recv from";
            done->failure.code = -res;
        } else {
            done->bytes = (size_t)res; /* 0: the end of the stream */
        }
        //! [receive-completion]
        return 1;
    case PORT_SEND:
    default:
        if (operation->closing || res == -ECANCELED)
            done->cancelled = 1;
        else if (res < 0) {
            done->failure.call = "send to";
            done->failure.code = -res;
        } else
            done->bytes = (size_t)res; /* may be fewer than asked: the caller sends the rest */
        return 1;
    }
}

//! [wait]
int port_wait(struct port *port, struct port_completion *completions, int max, int timeout_ms)
{
    struct __kernel_timespec timeout;
    struct io_uring_cqe *cqe = NULL;
    timeout.tv_sec = timeout_ms / 1000;
    timeout.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;

    /* One system call submits every SQE written since the last turn and waits until at
     * least one CQE is there, or the timeout passes (ETIME), or a signal arrives (EINTR). */
    int rc = io_uring_submit_and_wait_timeout(&port->ring, &cqe, 1, &timeout, NULL);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
        report_error_code("io_uring_submit_and_wait_timeout", -rc);
        return -1;
    }
    /* EAGAIN, EBUSY: the kernel is short of room for now; take what completed, try again. */

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

char *port_buffer(struct port *port, int buffer)
{
    return port->chunks[buffer / PORT_BUFFERS_PER_CHUNK] +
           (size_t)(buffer % PORT_BUFFERS_PER_CHUNK) * PORT_BUFFER_SIZE;
}

//! [release-buffer]
void port_release_buffer(struct port *port, int buffer)
{
    /* Back into the ring, at its tail: the kernel may hand it to any connection's receive. */
    io_uring_buf_ring_add(port->buffer_ring, port_buffer(port, buffer), PORT_BUFFER_SIZE,
                          (unsigned short)buffer,
                          io_uring_buf_ring_mask((unsigned)port->buffer_limit), 0);
    io_uring_buf_ring_advance(port->buffer_ring, 1);
    port->buffers_lent--;
}
//! [release-buffer]

int port_free_buffers(const struct port *port)
{
    return port->buffer_count - port->buffers_lent;
}

//! [trim-buffers]
void port_trim_buffers(struct port *port)
{
    /* Only with DEFER_TASKRUN: without it, the kernel may finish a receive, and write its
     * bytes into a buffer of the ring, on this thread's way out of any system call, such as
     * one of the madvise() calls below; the next one could then drop those bytes. */
    if (!port->work_in_waits_only || port->buffers_lent > 0 || !port->lent_since_trim)
        return;
    /* The buffers stay in the ring, where the kernel finds them; only their pages go.
     * MADV_DONTNEED drops them now, and the resident memory falls; when the kernel next
     * writes a receive's bytes into a buffer, it finds fresh zeroed pages there. */
    for (int i = 0; i < port->buffer_count / PORT_BUFFERS_PER_CHUNK; i++) {
        if (madvise(port->chunks[i], CHUNK_BYTES, MADV_DONTNEED) != 0) {
            report_error_code("madvise", errno);
            break;
        }
    }
    port->lent_since_trim = 0;
}
//! [trim-buffers]

void port_free(struct port *port, int all_completed)
{
    if (port->ListenSocket != INVALID_SOCKET)
        close(port->ListenSocket);
    if (port->ring_ready)
        io_uring_queue_exit(&port->ring); /* unregisters the buffer ring too */
    if (!all_completed)
        return; /* the kernel may still use the buffers: they stay until the process ends */
    for (int i = 0; i < port->buffer_count / PORT_BUFFERS_PER_CHUNK; i++)
        munmap(port->chunks[i], CHUNK_BYTES);
    free(port->buffer_ring);
    free(port);
}
