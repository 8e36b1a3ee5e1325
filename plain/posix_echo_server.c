/* The echo server of steps 1 to 7 written with the plain POSIX calls, nothing of common/:
 *   posix_echo_server [PORT]      (27015 unless given; 0 lets the system choose)
 * It serves one client after another on 127.0.0.1 until Ctrl-C. Each call is checked, simply:
 * the steps show how a server reports, cleans up and survives each failure. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *call)
{
    perror(call); /* "bind: Address already in use" */
    return 1;
}

/* send() may take fewer bytes than it is given: send until all are gone. */
static int send_all(int s, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t sent = send(s, data, length, 0);
        if (sent == -1)
            return -1;
        data += sent;
        length -= (size_t)sent;
    }
    return 0;
}

/* socket(), bind() and listen(): the listening socket, or -1 once the failed call is named. */
static int open_listener(const struct addrinfo *res)
{
    int listener = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (listener == -1) {
        fail("socket");
        return -1;
    }
    int on = 1; /* a restart may bind while old connections wait out TIME_WAIT */
    if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
        fail("setsockopt");
    else if (bind(listener, res->ai_addr, res->ai_addrlen) == -1)
        fail("bind");
    else if (listen(listener, SOMAXCONN) == -1)
        fail("listen");
    else
        return listener;
    close(listener);
    return -1;
}

int main(int argc, char **argv)
{
    struct addrinfo hints = {0}, *res;
    hints.ai_family = AF_INET; /* 127.0.0.1 is IPv4; step 2 takes either family */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo("127.0.0.1", argc > 1 ? argv[1] : "27015", &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "getaddrinfo: %s\n", gai_strerror(rc));
        return 1;
    }
    int listener = open_listener(res);
    freeaddrinfo(res);
    if (listener == -1)
        return 1;
    struct sockaddr_in bound; /* the port really bound: with port 0, the system's choice */
    socklen_t bound_len = sizeof bound;
    if (getsockname(listener, (struct sockaddr *)&bound, &bound_len) == -1)
        return fail("getsockname");
    printf("listening on port %u\n", (unsigned)ntohs(bound.sin_port));
    fflush(stdout);
    signal(SIGPIPE, SIG_IGN); /* a client gone: send() fails with EPIPE, the server lives */

    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client == -1)
            return fail("accept"); /* step 8 tells one client's failure from the server's */
        char buf[512];
        ssize_t received;
        while ((received = recv(client, buf, sizeof buf, 0)) > 0) /* 0: the client is done */
            if (send_all(client, buf, (size_t)received) == -1)
                break;
        if (received != 0)
            perror(received == -1 ? "recv" : "send"); /* a reset, say: this client only */
        else if (shutdown(client, SHUT_WR) == -1)     /* our end of the stream, in order */
            perror("shutdown");
        close(client);
    }
}
