/* The echo server of steps 1 to 7 written with the plain Winsock calls, nothing of common/:
 *   winsock_echo_server [PORT]    (27015 unless given; 0 lets the system choose)
 * It serves one client after another on 127.0.0.1 until Ctrl-C. Each call is checked, simply:
 * the steps show how a server reports, cleans up and survives each failure. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>

static int fail(const char *call)
{
    fprintf(stderr, "%s failed: error %d\n", call, WSAGetLastError()); /* 10048: port in use */
    return 1;
}

/* send() may take fewer bytes than it is given: send until all are gone. */
static int send_all(SOCKET s, const char *data, int length)
{
    while (length > 0) {
        int sent = send(s, data, length, 0);
        if (sent == SOCKET_ERROR)
            return -1;
        data += sent;
        length -= sent;
    }
    return 0;
}

/* socket(), bind() and listen(): the listening socket, or INVALID_SOCKET once the failed call is
 * named. Windows lets no other socket bind this port while it listens: no option to set. */
static SOCKET open_listener(const struct addrinfo *res)
{
    SOCKET listener = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (listener == INVALID_SOCKET) {
        fail("socket");
        return INVALID_SOCKET;
    }
    if (bind(listener, res->ai_addr, (int)res->ai_addrlen) == SOCKET_ERROR)
        fail("bind");
    else if (listen(listener, SOMAXCONN) == SOCKET_ERROR)
        fail("listen");
    else
        return listener;
    closesocket(listener);
    return INVALID_SOCKET;
}

int main(int argc, char **argv)
{
    WSADATA wsa;
    int rc = WSAStartup(MAKEWORD(2, 2), &wsa); /* before any other Winsock call */
    if (rc != 0) {
        fprintf(stderr, "WSAStartup failed: error %d\n", rc);
        return 1;
    }
    struct addrinfo hints = {0}, *res;
    hints.ai_family = AF_INET; /* 127.0.0.1 is IPv4; step 2 takes either family */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo("127.0.0.1", argc > 1 ? argv[1] : "27015", &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "getaddrinfo failed: error %d\n", rc);
        return 1;
    }
    SOCKET listener = open_listener(res);
    freeaddrinfo(res);
    if (listener == INVALID_SOCKET)
        return 1;
    struct sockaddr_in bound; /* the port really bound: with port 0, the system's choice */
    int bound_len = (int)sizeof bound;
    if (getsockname(listener, (struct sockaddr *)&bound, &bound_len) == SOCKET_ERROR)
        return fail("getsockname");
    printf("listening on port %u\n", (unsigned)ntohs(bound.sin_port));
    fflush(stdout);

    for (;;) {
        SOCKET client = accept(listener, NULL, NULL);
        if (client == INVALID_SOCKET)
            return fail("accept"); /* step 8 tells one client's failure from the server's */
        char buf[512];
        int received;
        while ((received = recv(client, buf, (int)sizeof buf, 0)) > 0) /* 0: the client is done */
            if (send_all(client, buf, received) == -1)
                break;
        if (received != 0) /* a reset, say: this client only */
            fprintf(stderr, "%s failed: error %d\n", received < 0 ? "recv" : "send",
                    WSAGetLastError());
        else if (shutdown(client, SD_SEND) == SOCKET_ERROR) /* our end of the stream, in order */
            fail("shutdown");
        closesocket(client);
    }
}
