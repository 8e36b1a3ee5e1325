/**
 * @file steps/16-accept-ahead/ports.h
 * @brief What main.c asks of the system: post an accept, a receive or a send, and wait until
 *        some are done. One small file per system makes the calls: ports_iocp.c (Windows,
 *        an I/O completion port), ports_uring.c (Linux, an io_uring).
 *
 * Both systems work the same way, and this step calls both a "port". The program posts an
 * operation with a record that the kernel keeps until the operation ends; one wait returns
 * the operations that ended, each with its result. Nothing is "ready" here, as with poll():
 * when a receive completes, the bytes are already in its buffer. The price is ownership: the
 * record and the buffer of an operation are the kernel's until its completion has been
 * taken, and freeing them earlier lets the kernel write into memory that has a new owner.
 */
#ifndef PORTS_H
#define PORTS_H

#include "net.h"

/** The most accepts in flight at once, posted ahead of the clients they will take. */
#define PORT_MAX_ACCEPTS 16
/** The most completions one port_wait() returns. */
#define PORT_WAIT_BATCH 64

/** What an operation was posted to do. */
enum port_kind { PORT_ACCEPT, PORT_RECEIVE, PORT_SEND };

/**
 * One operation handed to the kernel, from the post until its completion is taken. The
 * kernel keeps its address and gives it back with the completion: it stays where it is until
 * then. A connection has one, and one operation in flight at a time: it receives again only
 * once the echo of what came before is sent.
 */
struct port_operation {
#ifdef _WIN32
    /* Windows: the OVERLAPPED is the record the kernel fills in. It comes first, so that the
     * OVERLAPPED pointer a completion returns is also this structure's address. */
    OVERLAPPED overlapped;
#endif
    SOCKET socket;           /**< the socket it was posted on */
    unsigned char kind;      /**< enum port_kind */
    unsigned char in_flight; /**< posted, and its completion not yet taken */
    unsigned char closing;   /**< its socket was closed while it was in flight */
};

/** A failed call: its name for the report (with "from" or "to" when a peer follows) and
 *  its error code; @c call is NULL when nothing failed. */
struct port_failure {
    const char *call;
    int code;
};

/** One completed operation, as port_wait() returns it. */
struct port_completion {
    enum port_kind kind;
    struct port_operation *operation; /**< the receive or send as posted; NULL for accepts */
    struct port_failure failure;      /**< what failed, if it did */
    int cancelled;   /**< ended early because the program closed its socket: no failure */
    size_t bytes;    /**< receive: bytes received, 0 at the end of the stream; send: sent */
    SOCKET accepted; /**< accept: the new connection */
    struct sockaddr_storage peer; /**< accept: the client's address */
    socklen_t peer_len;           /**< accept: its length */
};

/** A completion port or an io_uring. */
struct port;

/** Creates the port; reports what failed and returns NULL (on Linux, where io_uring may be
 *  missing or forbidden: `io_uring_queue_init_params failed: ...`).
 *  @param max_connections how many connections may be open at once, to size its queues. */
struct port *port_open(unsigned long max_connections);

/** Prepares @p ListenSocket for port_post_accept(), which the port then owns and closes;
 *  reports a failure and returns -1. */
int port_listen(struct port *port, SOCKET ListenSocket);

/** Posts one accept; at most #PORT_MAX_ACCEPTS may be in flight. */
struct port_failure port_post_accept(struct port *port);

/** Withdraws the accepts in flight (those already done still complete normally). */
void port_cancel_accepts(struct port *port);

/** Withdraws the accepts in flight and closes the listening socket. */
void port_close_listener(struct port *port);

/** Posts a receive of up to @p size bytes into @p buffer, which stays the kernel's until the
 *  receive completes. */
struct port_failure port_post_receive(struct port *port, struct port_operation *operation, SOCKET s,
                                      char *buffer, size_t size);

/** Posts a send of @p length bytes at @p data, which must stay untouched until it completes. */
struct port_failure port_post_send(struct port *port, struct port_operation *operation, SOCKET s,
                                   const char *data, size_t length);

/** Closes @p s; an operation in flight on it ends with `cancelled` set. */
void port_close_socket(struct port *port, struct port_operation *operation, SOCKET s);

/** Hands the kernel what was posted and waits up to @p timeout_ms for completions. Returns
 *  how many were stored in @p completions (0 after the timeout or an interruption), or -1
 *  after reporting a failure of the wait itself. */
int port_wait(struct port *port, struct port_completion *completions, int max, int timeout_ms);

/** Frees the port; with @p all_completed false (operations still in flight), leaves the
 *  memory those operations use to the end of the process. */
void port_free(struct port *port, int all_completed);

/** Ends a port_wait() in progress, from another thread: the Windows console handler calls it.
 *  Linux needs nothing: a signal ends the wait (EINTR). */
void port_wake(void);

#endif /* PORTS_H */
