/**
 * @file steps/11-client/main.c
 * @brief Step 11: the client: resolve the server's name, connect to the first address that
 *        answers, send, shut down the sending side, and print what comes back until the
 *        server closes.
 *
 * Where the server binds and listens, the client tries the addresses that getaddrinfo()
 * returns until one connect() succeeds. As in step 7, each direction ends on its own:
 * shutdown(SD_SEND) tells the server that the input is complete, and the server's close tells
 * the client that the answer is. In between, one thread sends and receives in turns, waiting
 * for whichever the socket is ready for (poll(); WSAPoll() on Windows), so that a large input
 * never deadlocks against a server that echoes it.
 * @see step11
 */
#include "net.h"
#include "options.h"
#include "report.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The size of a chunk read from standard input, and of the receive buffer. */
#define DEFAULT_BUFLEN 8192
/** How long to wait for an echo before reading the next line a person types, in ms. */
#define SETTLE_MS 200
/** How long to pause when WSAPoll() wakes us for nothing we can do (see the send). */
#define PARK_MS 20

int main(int argc, char **argv)
{
    struct options opts;
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct addrinfo *ptr = NULL;
    SOCKET ConnectSocket = INVALID_SOCKET;
    char address[NET_ADDRESS_STRLEN];
    char *message = NULL;         /* the MESSAGE arguments as one line */
    char sendbuf[DEFAULT_BUFLEN]; /* the chunk of standard input being sent */
    char recvbuf[DEFAULT_BUFLEN];
    const char *next = NULL; /* the first byte not sent yet */
    size_t pending = 0;      /* how many bytes from there on wait to be sent */
    bool reading_input;      /* standard input may hold more */
    bool input_turn = true;  /* nothing more has come back for now: read the input */
    bool interactive;        /* a person types the input */
    struct pollfd entry;
    int ready;
    bool sending_done = false;
    bool receiving_done = false;
    const char *failed_call = "connect";
    int last_error = 0;
    int result;
    unsigned long long total_sent = 0;
    unsigned long long total_received = 0;
    int rc;
    int status = NET_EXIT_FAILURE;

    if (!options_parse(argc, argv, OPTIONS_ADDRESS | OPTIONS_TO_SERVER | OPTIONS_MESSAGE,
                       "Sends MESSAGE (or, without one, standard input) to a TCP server and "
                       "prints what comes back until the server closes.",
                       &opts))
        return opts.exit_status;

    /* Bytes in, bytes out: no newline translation on Windows, whatever the data. */
    if (net_binary_stdio() != 0) {
        report_message("cannot switch standard input and output to binary mode");
        return NET_EXIT_FAILURE;
    }

    //! [startup]
    if (net_startup() != 0)
        return NET_EXIT_FAILURE; /* already reported */
    //! [startup]

    //! [message]
    /* MESSAGE arguments are sent as one line, the way echo(1) prints them: joined by spaces,
     * ended by a newline. Line-based servers wait for that newline, and the echo then ends
     * the terminal's line too. Standard input, in contrast, is sent exactly as it is. */
    if (opts.message_count > 0) {
        size_t length = 0;
        size_t used = 0;
        for (int i = 0; i < opts.message_count; i++)
            length += strlen(argv[opts.message_index + i]) + 1; /* and a space or the newline */
        message = malloc(length);
        if (message == NULL) {
            report_message("out of memory for a message of %zu bytes", length);
            goto cleanup;
        }
        for (int i = 0; i < opts.message_count; i++) {
            const char *word = argv[opts.message_index + i];
            memcpy(message + used, word, strlen(word));
            used += strlen(word);
            message[used++] = i + 1 < opts.message_count ? ' ' : '\n';
        }
        next = message;
        pending = length;
    }
    reading_input = message == NULL;
    interactive = reading_input && net_input_is_terminal();
    //! [message]

    //! [resolve]
    /* No AI_PASSIVE: a client asks for the server's addresses, not for one to bind to.
     * AF_UNSPEC: IPv4 and IPv6 alike; a name such as localhost may have one of each. */
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    rc = getaddrinfo(opts.host, opts.port, &hints, &res);
    if (rc != 0) {
        report_gai_error("getaddrinfo", rc);
        goto cleanup;
    }
    //! [resolve]

    //! [connect-loop]
    /* Try the addresses in the order getaddrinfo() returns them, the system's preference,
     * until one connects. localhost may come as ::1 first while the server listens on
     * 127.0.0.1 only: that connect() is refused, and the next address is tried. */
    for (ptr = res; ptr != NULL; ptr = ptr->ai_next) {
        ConnectSocket = socket(ptr->ai_family, ptr->ai_socktype, ptr->ai_protocol);
        if (ConnectSocket == INVALID_SOCKET) {
            failed_call = "socket"; /* e.g. IPv6 switched off on this machine */
            last_error = net_last_error();
            continue;
        }
        /* connect() runs the TCP handshake and returns when it is complete. No bind() first:
         * the system picks our address and a free port. */
        if (connect(ConnectSocket, ptr->ai_addr, (int)ptr->ai_addrlen) != SOCKET_ERROR)
            break;
        failed_call = "connect";
        last_error = net_last_error(); /* before closesocket() can change it */
        closesocket(ConnectSocket);
        ConnectSocket = INVALID_SOCKET;
    }
    if (ConnectSocket == INVALID_SOCKET) {
        /* Every address failed; the last failure says why (ECONNREFUSED: nothing listens). */
        report_error_code(failed_call, last_error);
        goto cleanup;
    }
    report_message("connected to %s",
                   net_format_address(ptr->ai_addr, ptr->ai_addrlen, address, sizeof address));
    //! [connect-loop]

    //! [non-blocking]
    /* One thread sends and receives. "Writable" promises room for some bytes, not for a whole
     * chunk: a blocking send() of more than there is room for waits for the rest, and while
     * it waits nobody reads what the server sends; an echo server whose replies pile up
     * stops reading too, and both wait forever. A non-blocking send() takes what fits and
     * returns, and the loop goes back to receiving. */
    if (net_set_nonblocking(ConnectSocket) == SOCKET_ERROR) {
        report_socket_error(NET_NONBLOCKING_CALL);
        goto cleanup;
    }
    //! [non-blocking]

    //! [send-recv-loop]
    for (;;) {
        //! [read-input]
        /* The next chunk of input is read only when the previous one has gone out. Standard
         * input cannot be waited for together with the socket (WSAPoll() takes sockets
         * only), so it is read here, between two waits. net_read_input() returns what is
         * there: a line typed at a terminal goes out when Enter is pressed. */
        if (pending == 0 && reading_input && input_turn) {
            long got = net_read_input(sendbuf, sizeof sendbuf);
            if (got < 0) {
                report_message("reading standard input failed");
                goto cleanup;
            }
            reading_input = got > 0; /* 0: the end of the input (Ctrl-D; Ctrl-Z, Enter) */
            next = sendbuf;
            pending = (size_t)got;
            input_turn = false;
        }
        //! [read-input]

        //! [half-close]
        /* Everything is sent: say so. The server reads end of stream after our last byte,
         * finishes its answer and closes; we receive until it does. */
        if (pending == 0 && !reading_input && !sending_done) {
            if (shutdown(ConnectSocket, SD_SEND) == SOCKET_ERROR) {
                report_socket_error("shutdown");
                goto cleanup;
            }
            sending_done = true;
        }
        //! [half-close]
        if (sending_done && receiving_done)
            break;

        //! [wait]
        /* Sleep until the socket can be read (data, the server's close, or an error) or,
         * while bytes wait to be sent, written. poll() takes a list of sockets, each with the
         * events wanted, and fills in the events that happened; it works for any descriptor
         * number (select()'s fd_set holds none numbered FD_SETSIZE, 1024, or more). When the
         * next move is to read more input, wait only a little: not at all for a pipe or a
         * file, whose next chunk is ready now; for a person, long enough to print the echo
         * of the line just typed before waiting for the next. */
        entry.fd = ConnectSocket;
        entry.events = (short)((receiving_done ? 0 : POLLIN) | (pending > 0 ? POLLOUT : 0));
        entry.revents = 0;
        if (entry.events == 0) {
            /* The server has finished and everything read so far is sent: nothing to wait
             * for on the socket (and nothing to ask of it: Winsock's select() would even fail
             * with WSAEINVAL on empty sets). The input's turn. */
            input_turn = true;
            continue;
        }
        ready =
            net_poll(&entry, 1, pending == 0 && reading_input ? (interactive ? SETTLE_MS : 0) : -1);
        if (ready == SOCKET_ERROR) {
            report_socket_error(NET_POLL_CALL);
            goto cleanup;
        }
        if (ready == 0) {
            input_turn = true; /* nothing came back in time: the input's turn */
            continue;
        }
        //! [wait]

        //! [send]
        /* POLLERR and POLLHUP: the send() then says what happened. */
        if (pending > 0 && (entry.revents & (POLLOUT | POLLERR | POLLHUP))) {
            /* send() takes what fits, maybe less than offered: the rest goes next turn.
             * MSG_NOSIGNAL: a server that has gone makes it fail instead of raising SIGPIPE. */
            result = send(ConnectSocket, next,
                          pending < sizeof sendbuf ? (int)pending : DEFAULT_BUFLEN, MSG_NOSIGNAL);
            if (result == SOCKET_ERROR) {
                int err = net_last_error();
                if (!net_would_block(err)) {
                    report_error_code("send", err);
                    goto cleanup;
                }
                /* WSAPoll() goes on reporting POLLHUP, without POLLOUT, once the server has
                 * shut down its side (seen under Wine): pause, or this would spin. */
                if (!(entry.revents & POLLOUT))
                    net_sleep_ms(PARK_MS);
            } else {
                next += result;
                pending -= (size_t)result;
                total_sent += (unsigned long long)result;
            }
        }
        //! [send]

        //! [recv]
        if (!receiving_done && (entry.revents & (POLLIN | POLLERR | POLLHUP))) {
            result = recv(ConnectSocket, recvbuf, (int)sizeof recvbuf, 0);
            if (result > 0) {
                /* Out at once: whoever reads our output sees each piece as it arrives, and a
                 * failure later on loses none of it. */
                if (fwrite(recvbuf, 1, (size_t)result, stdout) != (size_t)result ||
                    fflush(stdout) != 0) {
                    report_message("writing standard output failed");
                    goto cleanup;
                }
                total_received += (unsigned long long)result;
            } else if (result == 0) {
                /* The server closed its direction: the answer is complete. Ours may not be;
                 * the directions end separately, so sending goes on. */
                receiving_done = true;
            } else {
                int err = net_last_error();
                if (!net_would_block(err)) {
                    report_error_code("recv", err); /* a reset: the server aborted */
                    goto cleanup;
                }
            }
        }
        //! [recv]
    }
    //! [send-recv-loop]

    report_message("sent %llu bytes, received %llu bytes", total_sent, total_received);
    status = NET_EXIT_OK;

cleanup:
    //! [cleanup]
    /* Release in the reverse order of acquisition; each guard skips what was never taken. */
    if (ConnectSocket != INVALID_SOCKET)
        closesocket(ConnectSocket);
    if (res != NULL)
        freeaddrinfo(res);
    free(message);
    net_cleanup();
    //! [cleanup]
    return status;
}
