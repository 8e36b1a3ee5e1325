/**
 * @file uv_echo_server.c
 * @brief The benchmark's reference: an echo server on libuv, the event library under
 *        Node.js, to show how close step 14's plain poll() loop comes to a production one.
 *
 * Usage: uv_echo_server [--host HOST] [--port PORT]   (defaults 127.0.0.1 and 27015)
 *
 * It behaves like the tutorial's servers where the benchmark looks: prints
 * `listening on ADDRESS` once ready, echoes every byte, shuts down its side after the
 * client's end of stream, and exits 0 on Ctrl-C (SIGINT) or SIGTERM. On Linux libuv waits
 * with epoll, whose wait costs no time per idle connection (the kernel keeps an entry for
 * each socket), where poll() looks at every socket on every call. Reads use 64 KiB buffers, as step 14's do, kept on a free list for reuse (with
 * a malloc() and free() per read, the C library hands memory back to the system and faults
 * it in again, which costs more than the echo). Like step 14, it bounds the unsent echo per
 * client: once MAX_QUEUED bytes or more wait to be written (at most about two buffers, as the
 * check follows the write that crossed it), the client is not read from until they are.
 */
#include <uv.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The most written-but-unsent bytes a client may pile up before reading pauses. */
#define MAX_QUEUED 65536
/** The size of a read buffer. */
#define BUFFER_SIZE 65536
/** How many free read buffers to keep for reuse. */
#define MAX_FREE_BUFFERS 1024

/** A client connection; the handle comes first, so a uv_stream_t * is a struct client *. */
struct client {
    uv_tcp_t tcp;
    int eof;    /**< the client shut down its side */
    int paused; /**< reading stopped until the writes drain */
};

/** One write in flight, with the buffer it sends. */
struct write_request {
    uv_write_t req;
    uv_buf_t buf;
};

static uv_loop_t *loop;
/** Read buffers not in use: a stack, linked through their first bytes. */
static void *free_buffers;
static int free_buffer_count;
static uv_tcp_t listener;
static uv_signal_t sigint_watcher, sigterm_watcher;

static void on_closed(uv_handle_t *handle)
{
    if (handle->data != NULL) /* a client: its struct was allocated */
        free(handle->data);
}

static void close_client(struct client *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)handle;
    (void)suggested;
    if (free_buffers != NULL) {
        buf->base = free_buffers;
        memcpy(&free_buffers, buf->base, sizeof free_buffers);
        free_buffer_count--;
    } else {
        buf->base = malloc(BUFFER_SIZE);
    }
    buf->len = buf->base != NULL ? BUFFER_SIZE : 0;
}

/** Gives a read buffer back, for the next on_alloc(). */
static void release_buffer(char *base)
{
    if (base == NULL)
        return;
    if (free_buffer_count == MAX_FREE_BUFFERS) {
        free(base);
        return;
    }
    memcpy(base, &free_buffers, sizeof free_buffers);
    free_buffers = base;
    free_buffer_count++;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    close_client(req->handle->data);
    free(req);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void on_written(uv_write_t *req, int status)
{
    struct write_request *w = (struct write_request *)req;
    struct client *c = req->handle->data;
    release_buffer(w->buf.base);
    free(w);
    if (status < 0) {
        close_client(c);
        return;
    }
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    /* Resume reading once every write has gone. */
    if (c->paused && !c->eof && uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0) {
        c->paused = 0;
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct client *c = stream->data;
    if (nread > 0) {
        struct write_request *w = malloc(sizeof *w);
        if (w == NULL) {
            release_buffer(buf->base);
            close_client(c);
            return;
        }
        w->buf = uv_buf_init(buf->base, (unsigned int)nread);
        if (uv_write(&w->req, stream, &w->buf, 1, on_written) != 0) {
            release_buffer(buf->base);
            free(w);
            close_client(c);
            return;
        }
        if (uv_stream_get_write_queue_size(stream) >= MAX_QUEUED) {
            c->paused = 1;
            uv_read_stop(stream); /* backpressure: on_written resumes */
        }
        return;
    }
    release_buffer(buf->base);
    if (nread == 0)
        return; /* nothing this time (EAGAIN) */
    if (nread == UV_EOF) {
        /* Finish the echo, then send our end of stream: queued after the pending writes. */
        c->eof = 1;
        uv_read_stop(stream);
        uv_shutdown_t *req = malloc(sizeof *req);
        if (req == NULL || uv_shutdown(req, stream, on_shutdown) != 0) {
            free(req);
            close_client(c);
        }
        return;
    }
    close_client(c); /* a reset or another error */
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return; /* e.g. out of descriptors: libuv retries when the listener is readable */
    struct client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        /* Not accepting would stop libuv from watching the listener: stop, and say why. */
        fprintf(stderr, "uv_echo_server: out of memory for a new client\n");
        exit(1);
    }
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        close_client(c);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void close_any(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, on_closed);
}

static void on_signal(uv_signal_t *watcher, int signum)
{
    (void)watcher;
    (void)signum;
    uv_walk(loop, close_any, NULL); /* the loop ends when no handle is left */
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 27015;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--host") == 0)
            host = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
    }
    /* libuv writes with write() or sendmsg() without MSG_NOSIGNAL: a write to a client that
     * has gone would raise SIGPIPE and kill the server. */
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();

    struct sockaddr_storage address;
    int rc = strchr(host, ':') != NULL ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&address)
                                       : uv_ip4_addr(host, port, (struct sockaddr_in *)&address);
    if (rc == 0)
        rc = uv_tcp_init(loop, &listener);
    listener.data = NULL;
    if (rc == 0)
        rc = uv_tcp_bind(&listener, (const struct sockaddr *)&address, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&listener, SOMAXCONN, on_connection);
    if (rc != 0) {
        fprintf(stderr, "uv_echo_server: %s\n", uv_strerror(rc));
        return 1;
    }

    /* Print the address really bound, port 0 resolved, as the tutorial's servers do. */
    struct sockaddr_storage bound;
    int length = (int)sizeof bound;
    char name[64];
    rc = uv_tcp_getsockname(&listener, (struct sockaddr *)&bound, &length);
    if (rc != 0) {
        fprintf(stderr, "uv_echo_server: uv_tcp_getsockname: %s\n", uv_strerror(rc));
        return 1;
    }
    if (bound.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&bound, name, sizeof name);
        printf("listening on [%s]:%d\n", name, ntohs(((struct sockaddr_in6 *)&bound)->sin6_port));
    } else {
        uv_ip4_name((struct sockaddr_in *)&bound, name, sizeof name);
        printf("listening on %s:%d\n", name, ntohs(((struct sockaddr_in *)&bound)->sin_port));
    }
    fflush(stdout);

    uv_signal_init(loop, &sigint_watcher);
    uv_signal_start(&sigint_watcher, on_signal, SIGINT);
    uv_signal_init(loop, &sigterm_watcher);
    uv_signal_start(&sigterm_watcher, on_signal, SIGTERM);
    sigint_watcher.data = sigterm_watcher.data = NULL;

    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    while (free_buffers != NULL) {
        void *next;
        memcpy(&next, free_buffers, sizeof next);
        free(free_buffers);
        free_buffers = next;
    }
    printf("shut down\n");
    return 0;
}
