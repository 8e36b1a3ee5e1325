/**
 * @file steps/17-completion-ports/ports.h
 * @brief The completion model in a few calls: hand the kernel an operation, and be told
 *        when it is done. One interface, two implementations: an I/O completion port on
 *        Windows (ports_iocp.c), an io_uring on Linux (ports_uring.c).
 *
 * Both systems work the same way, and this step calls both a "port": the program posts
 * operations (accept a connection, receive, send), each with a small record that the kernel
 * keeps until the operation ends; later, one wait returns the operations that ended, with
 * their results. Nothing is "ready" here, as in poll(): when a completion arrives the bytes
 * have already moved. The price is ownership: memory handed to the kernel with an operation
 * (the record, a buffer to send from) is the kernel's until its completion has been taken
 * from the port. Freeing it earlier lets the kernel write into memory that has a new owner.
 *
 * main.c uses only what is declared here, so it reads the same on both systems; the calls
 * themselves (`AcceptEx`, `WSARecv`, `io_uring_prep_recv`, ...) and their checks are in the
 * two implementation files, each commented for its system.
 */
#ifndef PORTS_H
#define PORTS_H

#include "net.h"

/** The size of one receive buffer. A receive takes at most this many bytes. */
#ifndef PORT_BUFFER_SIZE
#    define PORT_BUFFER_SIZE 16384
#endif
/** The receive buffers are the server's, shared by every connection: a connection holds
 *  one only from the moment data arrives until its echo is sent. They are allocated this
 *  many at a time, when a receive finds none free, so the server owns as many as were ever
 *  in use at once, not one per client. */
#ifndef PORT_BUFFERS_PER_CHUNK
#    define PORT_BUFFERS_PER_CHUNK 64
#endif
/** The most buffers there can be: Linux's largest buffer ring. The port allows one per
 *  connection (`max_connections` of port_open()), up to this. When all are lent out, a
 *  receive waits for one (see main.c). A power of two, a multiple of the chunk. */
#ifndef PORT_BUFFER_LIMIT
#    define PORT_BUFFER_LIMIT 32768
#endif
/** "No buffer": a connection that holds none. */
#define PORT_NO_BUFFER (-1)
/** The most accepts posted at once, ahead of the clients they will take. */
#define PORT_MAX_ACCEPTS 16
/** The most completions one port_wait() returns. */
#define PORT_WAIT_BATCH 64

/** What an operation was posted to do. */
enum port_kind { PORT_ACCEPT, PORT_RECEIVE, PORT_SEND };

/**
 * One operation handed to the kernel, from the post until its completion is taken. The
 * kernel keeps its address and gives it back with the completion: it must stay where it is,
 * unchanged, until then. Each connection has one: it never has two operations in flight,
 * because it receives only once the echo of what came before is sent.
 */
struct port_operation {
#ifdef _WIN32
    /* Windows: the OVERLAPPED is the record the kernel fills in. It comes first, so that
     * the OVERLAPPED pointer a completion returns is also this structure's address. */
    OVERLAPPED overlapped;
#endif
    SOCKET socket;           /**< the socket it was posted on: its completion may need it */
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
    int cancelled;      /**< ended early because the program closed its socket: no failure */
    int out_of_buffers; /**< receive: data is waiting, and no buffer is free or can be made */
    int buffer;         /**< receive: the buffer holding the bytes, or #PORT_NO_BUFFER */
    size_t bytes;       /**< receive: bytes in the buffer, 0 at end of stream; send: bytes sent */
    SOCKET accepted;    /**< accept: the new connection, ready for port_post_receive() */
    struct sockaddr_storage peer; /**< accept: the client's address */
    socklen_t peer_len;           /**< accept: its length */
};

/** A completion port or an io_uring, with the server's receive buffers. */
struct port;

/**
 * Creates the port and its first chunk of buffers. Reports what failed (on Linux, where io_uring may be
 * missing or forbidden, `io_uring_queue_init_params failed: ...`) and returns NULL.
 * @param max_connections how many connections may be open at once, to size the queues and
 *        the most buffers.
 */
struct port *port_open(unsigned long max_connections);

/** Prepares @p ListenSocket for port_post_accept(); reports a failure and returns -1. */
int port_listen(struct port *port, SOCKET ListenSocket);

/** Posts one accept; at most #PORT_MAX_ACCEPTS may be in flight. */
struct port_failure port_post_accept(struct port *port);

/** Withdraws the accepts in flight (those already done still complete normally). */
void port_cancel_accepts(struct port *port);

/** Withdraws the accepts in flight and closes the listening socket. */
void port_close_listener(struct port *port);

/** Posts a receive on @p s. No buffer is named: one is taken only when data arrives. */
struct port_failure port_post_receive(struct port *port, struct port_operation *operation,
                                      SOCKET s);

/** Posts a send of @p length bytes at @p data, which must stay untouched until it completes. */
struct port_failure port_post_send(struct port *port, struct port_operation *operation, SOCKET s,
                                   const char *data, size_t length);

/** Closes @p s; an operation in flight on it ends with `cancelled` set. */
void port_close_socket(struct port *port, struct port_operation *operation, SOCKET s);

/**
 * Hands the kernel what was posted and waits up to @p timeout_ms for completions.
 * @return how many were stored in @p completions (0 after the timeout or an interruption),
 *         or -1 after reporting a failure of the wait itself.
 */
int port_wait(struct port *port, struct port_completion *completions, int max, int timeout_ms);

/** Where buffer @p buffer starts. */
char *port_buffer(struct port *port, int buffer);

/** Gives a buffer back, for the next receive of any connection. */
void port_release_buffer(struct port *port, int buffer);

/** How many buffers are free at this moment. */
int port_free_buffers(const struct port *port);

/** When no connection holds a buffer, gives the buffers' memory back to the system, so that
 *  the memory a burst of traffic needed is not the server's for good: an idle server holds
 *  none. The buffers stay usable (Linux: the same buffers, their pages filled again when the
 *  kernel next writes into them, and only from Linux 6.1 on (see ports_uring.c); Windows:
 *  made again when a receive finds none free). main.c calls it when a wait ended with
 *  nothing done. */
void port_trim_buffers(struct port *port);

/** Frees the port; with @p all_completed false (operations still in flight), leaves the
 *  memory those operations use to the end of the process. */
void port_free(struct port *port, int all_completed);

/**
 * Ends a port_wait() in progress, from another thread: the Windows console handler calls it.
 * Windows posts a completion that carries no operation. Linux needs nothing: a signal ends
 * the wait (EINTR), and this does nothing.
 */
void port_wake(void);

#endif /* PORTS_H */
