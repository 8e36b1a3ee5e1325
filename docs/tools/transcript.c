/**
 * @file transcript.c
 * @brief Runs the sessions a docs page describes and writes what really happened as HTML.
 *
 * A page asks for a transcript with an HTML comment, which Doxygen leaves out of the site:
 *
 *     <!-- transcript in-use
 *     $ 04-listen --port 0 &
 *     2$ 03-bind --port {port} => 1
 *     enter
 *     -->
 *     \htmlinclude transcripts/03-bind/in-use.html
 *
 * and this tool, run by the `docs` target, executes the lines in order with the programs of
 * the build and writes `OUTDIR/in-use.html`: the commands as a learner types them, and the
 * output the programs printed, stdout and stderr apart. Nothing in a transcript is typed by
 * hand, so a page cannot show output that the program no longer prints; and every line
 * states the exit code it expects, so an example of a failure cannot silently turn into a
 * success (or the reverse): the docs build fails instead.
 *
 * The lines of a transcript, one action each (`N` is a terminal, 1 if not given):
 *
 * | line                         | what happens                                                |
 * |------------------------------|-------------------------------------------------------------|
 * | `N$ PROGRAM ARGS [=> CODE]`  | runs a step program with its input at end of file, waits for it to exit with CODE (default 0) |
 * | `N$ PROGRAM ARGS &`          | starts a program that keeps running (a server, or a client that waits for input or for its server), shows its first line of output: on stdout, or on stderr if it writes there first |
 * | `N line`                     | shows the next line the running program prints              |
 * | `N stderr`                   | shows the next line the running program writes to stderr    |
 * | `N type TEXT`                | types TEXT and Enter into the running program's input       |
 * | `N enter [=> CODE]`          | presses Enter in that terminal; the program must exit with CODE |
 * | `N eof [=> CODE]`            | ends its input (Ctrl-D; Ctrl-Z Enter on Windows)            |
 * | `N ctrl-c [=> CODE]`         | interrupts it (SIGINT; CTRL_BREAK_EVENT on Windows)         |
 * | `N wait [=> CODE]`           | waits for the running program to exit by itself             |
 * | `N connect [=> ERROR]`       | a client connects to the running server (terminal 2 if no N) |
 * | `N connect => reset`         | a client connects to a server that resets it at once, and reads: shows whether connect() or the first recv() saw the reset |
 * | `N send TEXT`                | the client sends TEXT (`\n` is a line break)                |
 * | `N shutdown`                 | the client shuts down its sending side (FIN)                |
 * | `N recv BYTES`               | the client receives exactly BYTES bytes (an echo, say) and shows them; the connection stays open |
 * | `N quiet MS`                 | the client checks that nothing arrives for MS milliseconds (an echo that must not come yet) |
 * | `N flood`                    | the client sends without reading until the connection takes no more for half a second; shows how many bytes went (its socket stays non-blocking: `recv`, `close`, `reset` still work) |
 * | `N recv [=> ERROR]`          | the client receives until the server closes; shows how it ended (ERROR: `ECONNRESET`..., or `end-of-stream`) |
 * | `N close` / `N reset`        | the client closes, in order (FIN) or abortively (RST)       |
 * | `N ulimit -n COUNT`          | as the shell's `ulimit -n`: the programs started later in terminal N may open at most COUNT descriptors (POSIX only) |
 *
 * `{host}` and `{port}` in an argument are the address the last started program announced
 * on stdout ("listening on 127.0.0.1:40117"). Client actions take `#K` to name the Kth client
 * connected; without it they act on the last one. Blank lines and lines starting with `#`
 * are ignored. What a running program writes to stderr is shown at its next `stderr`, after
 * its next `line`, or when it exits. Adding an action means adding a branch to run_line() or
 * run_client().
 *
 * Usage: `transcript PAGE OUTDIR BINDIR DISPLAYDIR`; DISPLAYDIR is how the commands show
 * the programs' folder (the default preset's, `build/default/bin`).
 */
#include "harness.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE      1024
#define MAX_WORDS     32
#define MAX_TERMINALS 4
#define MAX_CLIENTS   16

/** One line of the transcript being written: which terminal, and its HTML. */
struct shown_line {
    int terminal;
    char *html;
};

/** Everything one transcript has started, shown and learned so far. */
struct session {
    const char *page; /**< the page, for error messages */
    int line_number;  /**< the page's line being run */
    struct shown_line *lines;
    size_t line_count;
    size_t line_capacity;
    struct child *running[MAX_TERMINALS + 1]; /**< the program that keeps running, per terminal */
    size_t stderr_shown[MAX_TERMINALS + 1];   /**< how much of its stderr is already shown */
    unsigned long open_files[MAX_TERMINALS + 1]; /**< `ulimit -n` per terminal; 0: unchanged */
    SOCKET clients[MAX_CLIENTS];
    int client_terminal[MAX_CLIENTS];
    int client_count;
    char host[64]; /**< the address the last started program announced */
    char port[8];
};

static const char *bin_dir;
static const char *display_dir;

static struct session current;

/** Stops with a report that names the page and its line; kills what is still running. */
#define FAIL(...) harness_fail(current.page, current.line_number, __VA_ARGS__)

/* ---- Writing the transcript ---------------------------------------------------------------- */

/** Appends @p text to @p out with the characters HTML gives a meaning escaped. */
static void escape_into(char *out, size_t size, const char *text)
{
    size_t n = strlen(out);
    for (const char *p = text; *p != '\0' && n + 8 < size; p++) {
        const char *entity = NULL;
        switch (*p) {
        case '&':
            entity = "&amp;";
            break;
        case '<':
            entity = "&lt;";
            break;
        case '>':
            entity = "&gt;";
            break;
        case '"':
            entity = "&quot;";
            break;
        default:
            out[n++] = *p;
            continue;
        }
        n += (size_t)snprintf(out + n, size - n, "%s", entity);
    }
    out[n] = '\0';
}

/** Adds a line to terminal @p terminal: @p css is its class ("" for plain output). */
static void show(int terminal, const char *css, const char *text)
{
    char html[4 * MAX_LINE + 128] = "";
    if (*css != '\0')
        snprintf(html, sizeof html, "<span class=\"%s\">", css);
    escape_into(html, sizeof html, text);
    if (*css != '\0')
        strncat(html, "</span>", sizeof html - strlen(html) - 1);
    if (current.line_count == current.line_capacity) {
        size_t capacity = current.line_capacity ? current.line_capacity * 2 : 64;
        struct shown_line *grown = realloc(current.lines, capacity * sizeof *grown);
        if (grown == NULL)
            FAIL("out of memory");
        current.lines = grown;
        current.line_capacity = capacity;
    }
    size_t length = strlen(html) + 1;
    char *copy = malloc(length);
    if (copy == NULL)
        FAIL("out of memory");
    memcpy(copy, html, length);
    current.lines[current.line_count].terminal = terminal;
    current.lines[current.line_count].html = copy;
    current.line_count++;
}

/** Adds every line of @p text (a program's output) to a terminal. */
static void show_output(int terminal, const char *css, const char *text)
{
    char line[MAX_LINE];
    while (*text != '\0') {
        const char *end = strchr(text, '\n');
        size_t length = end ? (size_t)(end - text) : strlen(text);
        if (length >= sizeof line)
            length = sizeof line - 1;
        memcpy(line, text, length);
        line[length] = '\0';
        show(terminal, css, line);
        text += end ? (size_t)(end - text) + 1 : strlen(text);
    }
}

/** Shows what the program in @p terminal wrote to stderr since the last look. */
static void show_new_stderr(int terminal)
{
    const char *err = child_stderr(current.running[terminal]);
    show_output(terminal, "stderr", err + current.stderr_shown[terminal]);
    current.stderr_shown[terminal] = strlen(err);
}

/** Shows the next whole line the program in @p terminal wrote to stderr, if there is one. */
static bool show_stderr_line(int terminal)
{
    const char *err = child_stderr(current.running[terminal]) + current.stderr_shown[terminal];
    const char *end = strchr(err, '\n');
    if (end == NULL)
        return false;
    char line[MAX_LINE];
    size_t length = (size_t)(end - err);
    snprintf(line, sizeof line, "%.*s", (int)(length < sizeof line ? length : sizeof line - 1),
             err);
    show(terminal, "stderr", line);
    current.stderr_shown[terminal] += length + 1;
    return true;
}

/** Writes the transcript: one block per run of lines in the same terminal. */
static void write_html(const char *path)
{
    bool several = false;
    for (size_t i = 1; i < current.line_count; i++)
        several = several || current.lines[i].terminal != current.lines[0].terminal;
    FILE *out = fopen(path, "w");
    if (out == NULL)
        FAIL("cannot write %s", path);
    fputs("<div class=\"transcript\">\n", out);
    for (size_t i = 0; i < current.line_count; i++) {
        int terminal = current.lines[i].terminal;
        if (i == 0 || current.lines[i - 1].terminal != terminal) {
            fprintf(out, "<div class=\"terminal terminal-%d\">", terminal);
            if (several)
                fprintf(out, "<div class=\"terminal-title\">terminal %d</div>", terminal);
            fputs("<pre>", out);
        }
        fprintf(out, "%s\n", current.lines[i].html);
        if (i + 1 == current.line_count || current.lines[i + 1].terminal != terminal)
            fputs("</pre></div>\n", out);
    }
    fputs("</div>\n", out);
    if (fclose(out) != 0)
        FAIL("cannot write %s", path);
}

/* ---- Running the lines --------------------------------------------------------------------- */

/** Splits a line into words; double quotes group words with spaces. Returns the count. */
static int split(char *line, char *words[MAX_WORDS])
{
    int count = 0;
    char *p = line;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            return count;
        if (count == MAX_WORDS)
            FAIL("more than %d words", MAX_WORDS);
        char *word = p, *to = p;
        bool quoted = false;
        while (*p != '\0' && (quoted || !isspace((unsigned char)*p))) {
            if (*p == '"')
                quoted = !quoted;
            else
                *to++ = *p;
            p++;
        }
        if (*p != '\0')
            p++;
        *to = '\0';
        words[count++] = word;
    }
}

/** Replaces {host} and {port} in @p word with what the last server announced. */
static const char *substitute(const char *word, char *buf, size_t size)
{
    buf[0] = '\0';
    for (const char *p = word; *p != '\0';) {
        const char *value = NULL;
        if (strncmp(p, "{host}", 6) == 0)
            value = current.host;
        else if (strncmp(p, "{port}", 6) == 0)
            value = current.port;
        if (value != NULL) {
            if (*value == '\0')
                FAIL("%.6s used before any program announced an address", p);
            strncat(buf, value, size - strlen(buf) - 1);
            p += 6;
        } else {
            size_t n = strlen(buf);
            if (n + 1 < size) {
                buf[n] = *p;
                buf[n + 1] = '\0';
            }
            p++;
        }
    }
    return buf;
}

/** Learns host and port from a line that ends in "127.0.0.1:40117" or "[::1]:40117". */
static void learn_address(const char *line)
{
    const char *colon = strrchr(line, ':');
    const char *start = strrchr(line, ' ');
    if (colon == NULL || start == NULL || colon < start)
        return;
    start++;
    size_t host_length = (size_t)(colon - start);
    if (*start == '[' && host_length >= 2) {
        start++;
        host_length -= 2;
    }
    if (host_length == 0 || host_length >= sizeof current.host)
        return;
    memcpy(current.host, start, host_length);
    current.host[host_length] = '\0';
    snprintf(current.port, sizeof current.port, "%s", colon + 1);
}

/** Reads "=> VALUE" at the end of the words, if there; returns the words left. */
static int take_expectation(char *words[], int count, const char **expected)
{
    *expected = NULL;
    if (count >= 2 && strcmp(words[count - 2], "=>") == 0) {
        *expected = words[count - 1];
        return count - 2;
    }
    return count;
}

/** The exit code a line expects: "=> N", or 0. */
static int expected_code(const char *expected)
{
    return expected ? atoi(expected) : 0;
}

/** Waits for the program in @p terminal to exit and checks its exit code. */
static void finish(int terminal, int code)
{
    struct child *c = current.running[terminal];
    int got = child_wait(c, HARNESS_DEADLINE_MS);
    /* The lines not shown yet; its pipes are closed now, so this ends at the last one. */
    const char *line;
    while ((line = child_read_line(c, HARNESS_DEADLINE_MS)) != NULL)
        show(terminal, "", line);
    show_new_stderr(terminal);
    char note[64];
    snprintf(note, sizeof note, "[exit code %d]", got);
    show(terminal, "note", note);
    if (got != code)
        FAIL("expected exit code %d, got %d", code, got);
    child_free(c);
    current.running[terminal] = NULL;
}

/** `N$ PROGRAM ARGS...`: runs or starts a step program. */
static void run_program(int terminal, char *words[], int count)
{
    const char *expected = NULL;
    bool background = false;
    count = take_expectation(words, count, &expected);
    if (count > 0 && strcmp(words[count - 1], "&") == 0) {
        background = true;
        count--;
    }
    if (count == 0)
        FAIL("no program after $");
    if (current.running[terminal] != NULL)
        FAIL("terminal %d still runs a program", terminal);

    static char values[MAX_WORDS][MAX_LINE];
    const char *args[MAX_WORDS + 1];
    char command[4 * MAX_LINE];
    snprintf(command, sizeof command, "%s/%s", display_dir, words[0]);
    for (int i = 1; i < count; i++) {
        args[i - 1] = substitute(words[i], values[i], sizeof values[i]);
        bool quote = strchr(args[i - 1], ' ') != NULL || *args[i - 1] == '\0';
        size_t n = strlen(command);
        snprintf(command + n, sizeof command - n, quote ? " \"%s\"" : " %s", args[i - 1]);
    }
    args[count - 1] = NULL;
    char program[2 * MAX_LINE];
#ifdef _WIN32
    snprintf(program, sizeof program, "%s/%s.exe", bin_dir, words[0]);
#else
    snprintf(program, sizeof program, "%s/%s", bin_dir, words[0]);
#endif

    char prompt[4 * MAX_LINE + 8];
    snprintf(prompt, sizeof prompt, "$ %s", command);
    show(terminal, "command", prompt);
    if (current.open_files[terminal] != 0)
        child_limit_open_files(current.open_files[terminal]);
    current.running[terminal] = child_start_argv(program, args);
    if (current.open_files[terminal] != 0)
        child_limit_open_files(0);
    current.stderr_shown[terminal] = 0;
    if (!background) {
        child_close_stdin(current.running[terminal]); /* as if run with < /dev/null */
        finish(terminal, expected_code(expected));
        return;
    }
    if (expected != NULL)
        FAIL("a program started with & has no exit code yet: expect it at enter/eof/ctrl-c/wait");
    /* Its first line: a server announces its address on stdout; a client speaks on stderr
     * first ("connected to ..."), and its stdout is the data it receives, which comes later.
     * Stderr is looked at first: a client may have both by the first look. */
    struct child *c = current.running[terminal];
    long long deadline = harness_now_ms() + HARNESS_READY_MS;
    for (;;) {
        if (show_stderr_line(terminal))
            return;
        if (strchr(child_stdout(c), '\n') != NULL)
            break;
        if (harness_now_ms() >= deadline)
            FAIL("%s printed no line within %d ms", words[0], HARNESS_READY_MS);
        net_sleep_ms(10);
    }
    const char *line = child_read_line(c, HARNESS_READY_MS);
    if (line == NULL)
        FAIL("%s ended without printing a line", words[0]);
    show(terminal, "", line);
    learn_address(line);
}

/** The client a line names with "#K", or the last one connected. */
static int client_index(char *words[], int *count)
{
    int index = current.client_count - 1;
    if (*count >= 2 && words[*count - 1][0] == '#') {
        index = atoi(words[*count - 1] + 1) - 1;
        (*count)--;
    }
    if (index < 0 || index >= current.client_count)
        FAIL("no such client");
    if (current.clients[index] == INVALID_SOCKET)
        FAIL("client %d is already closed", index + 1);
    return index;
}

/** Shows a client's action as "client K> WHAT" in its terminal. */
static void show_client(int terminal, int index, const char *what)
{
    char line[MAX_LINE];
    snprintf(line, sizeof line, "client %d> %s", index + 1, what);
    show(terminal, "command", line);
}

/** Describes an error code as the programs' reports do: "ECONNRESET (104): text". */
static const char *describe_error(int code, char *buf, size_t size)
{
    char text[256];
    snprintf(buf, size, "%s (%d): %s", net_error_name(code), code,
             net_error_text(code, text, sizeof text));
    return buf;
}

/** Writes bytes as a C string literal would show them: "hello\n". */
static void quote_bytes(const char *data, size_t length, char *buf, size_t size)
{
    size_t n = 0;
    buf[n++] = '"';
    for (size_t i = 0; i < length && n + 8 < size; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == '\n')
            n += (size_t)snprintf(buf + n, size - n, "\\n");
        else if (ch == '"' || ch == '\\')
            n += (size_t)snprintf(buf + n, size - n, "\\%c", ch);
        else if (ch < 32 || ch > 126)
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
        else
            buf[n++] = (char)ch;
    }
    buf[n++] = '"';
    buf[n] = '\0';
}

/** `connect => reset`: a server that resets each connection as soon as it has accepted it.
 *  Which call sees the reset is a race: connect() itself, on Linux, when the reset arrives
 *  before the connecting thread runs again; otherwise the first recv(). Both are shown as
 *  they happened; anything but a reset fails the page. */
static void connect_expecting_reset(int terminal, int index)
{
    char line[MAX_LINE], error[300];
    int code = 0;
    const char *call = "connect";
    SOCKET s = client_try_connect_from(current.host, current.port, NULL, &code);
    if (s != INVALID_SOCKET) {
        char port[8];
        client_local_port(s, port, sizeof port);
        snprintf(line, sizeof line, "connected from local port %s", port);
        show(terminal, "", line);
        show_client(terminal, index, "recv until the server closes");
        char data[64];
        size_t received = 0;
        code = client_recv_until_closed(s, data, sizeof data, &received, HARNESS_DEADLINE_MS);
        closesocket(s);
        call = "recv";
        if (received > 0)
            FAIL("%lu bytes arrived; the page expects a reset", (unsigned long)received);
    }
    if (code == 0)
        FAIL("the connection ended in order (FIN); the page expects a reset");
    snprintf(line, sizeof line, "%s failed: %s", call, describe_error(code, error, sizeof error));
    show(terminal, "stderr", line);
    if (code != ERROR_CODE(ECONNRESET))
        FAIL("%s failed with %s; the page expects ECONNRESET", call, net_error_name(code));
}

/** The client actions: connect, send, shutdown, recv, close, reset. */
static void run_client(int terminal, char *words[], int count)
{
    const char *expected = NULL;
    char line[5 * MAX_LINE], error[300];
    count = take_expectation(words, count, &expected);

    if (strcmp(words[0], "connect") == 0) {
        if (current.client_count == MAX_CLIENTS)
            FAIL("too many clients");
        int index = current.client_count;
        snprintf(line, sizeof line, "connect %s %s", current.host, current.port);
        show_client(terminal, index, line);
        if (expected != NULL && strcmp(expected, "reset") == 0) {
            connect_expecting_reset(terminal, index);
            /* Its number is taken: the next client is the next number. */
            current.clients[index] = INVALID_SOCKET;
            current.client_terminal[index] = terminal;
            current.client_count++;
            return;
        }
        if (expected != NULL) {
            /* A connection that must fail: the error's name, with or without "WSA". */
            int code = client_connect_error(current.host, current.port);
            const char *name = net_error_name(code);
            const char *bare = strncmp(name, "WSA", 3) == 0 ? name + 3 : name;
            if (code == 0)
                FAIL("connect succeeded; the page expects %s", expected);
            snprintf(line, sizeof line, "connect failed: %s",
                     describe_error(code, error, sizeof error));
            show(terminal, "stderr", line);
            if (strcmp(name, expected) != 0 && strcmp(bare, expected) != 0)
                FAIL("connect failed with %s; the page expects %s", name, expected);
            return;
        }
        current.clients[index] = client_connect(current.host, current.port);
        current.client_terminal[index] = terminal;
        current.client_count++;
        char port[8];
        client_local_port(current.clients[index], port, sizeof port);
        snprintf(line, sizeof line, "connected from local port %s", port);
        show(terminal, "", line);
        return;
    }

    int index = client_index(words, &count);
    SOCKET s = current.clients[index];
    if (strcmp(words[0], "send") == 0) {
        if (count != 2)
            FAIL("send takes one argument (quote it)");
        char data[MAX_LINE];
        size_t length = 0;
        for (const char *p = words[1]; *p != '\0' && length + 1 < sizeof data; p++) {
            if (p[0] == '\\' && p[1] == 'n') {
                data[length++] = '\n';
                p++;
            } else {
                data[length++] = *p;
            }
        }
        char quoted[4 * MAX_LINE];
        quote_bytes(data, length, quoted, sizeof quoted);
        snprintf(line, sizeof line, "send %s", quoted);
        show_client(terminal, index, line);
        client_send_all(s, data, length);
        snprintf(line, sizeof line, "sent %lu bytes", (unsigned long)length);
        show(terminal, "", line);
    } else if (strcmp(words[0], "shutdown") == 0) {
        show_client(terminal, index, "shutdown SD_SEND");
        if (shutdown(s, SD_SEND) == SOCKET_ERROR)
            FAIL("shutdown failed: %s", describe_error(net_last_error(), error, sizeof error));
        show(terminal, "", "no more sending; the server reads end of stream");
    } else if (strcmp(words[0], "recv") == 0 && count == 2) {
        /* recv BYTES: exactly that many, as an echo comes back, while the connection stays. */
        char data[MAX_LINE];
        size_t wanted = (size_t)strtoul(words[1], NULL, 10), received = 0;
        if (wanted == 0 || wanted > sizeof data || expected != NULL)
            FAIL("recv takes a byte count from 1 to %lu, and no => expectation",
                 (unsigned long)sizeof data);
        snprintf(line, sizeof line, "recv %lu bytes", (unsigned long)wanted);
        show_client(terminal, index, line);
        int code = client_recv_exact(s, data, wanted, &received, HARNESS_DEADLINE_MS);
        if (code == HARNESS_RECV_TIMED_OUT)
            FAIL("%lu of %lu bytes arrived in time", (unsigned long)received,
                 (unsigned long)wanted);
        if (code == HARNESS_RECV_ENDED)
            FAIL("end of stream after %lu of %lu bytes", (unsigned long)received,
                 (unsigned long)wanted);
        if (code != 0)
            FAIL("recv failed: %s", describe_error(code, error, sizeof error));
        char quoted[4 * MAX_LINE];
        quote_bytes(data, received, quoted, sizeof quoted);
        snprintf(line, sizeof line, "received %lu bytes: %s", (unsigned long)received, quoted);
        show(terminal, "", line);
    } else if (strcmp(words[0], "recv") == 0) {
        static char data[1 << 20];
        size_t received = 0;
        show_client(terminal, index, "recv until the server closes");
        int code = client_recv_until_closed(s, data, sizeof data, &received, HARNESS_DEADLINE_MS);
        char quoted[4 * MAX_LINE];
        quote_bytes(data, received < 400 ? received : 400, quoted, sizeof quoted);
        if (received > 0) {
            snprintf(line, sizeof line, "received %lu bytes: %s", (unsigned long)received, quoted);
            show(terminal, "", line);
        }
        if (code == 0) {
            show(terminal, "", "end of stream: the server closed in order (FIN)");
        } else {
            snprintf(line, sizeof line, "recv failed: %s",
                     describe_error(code, error, sizeof error));
            show(terminal, "stderr", line);
        }
        if (expected != NULL) {
            const char *name = code ? net_error_name(code) : "end-of-stream";
            const char *bare = strncmp(name, "WSA", 3) == 0 ? name + 3 : name;
            if (strcmp(name, expected) != 0 && strcmp(bare, expected) != 0)
                FAIL("recv ended with %s; the page expects %s", name, expected);
        }
    } else if (strcmp(words[0], "quiet") == 0) {
        /* quiet MS: nothing may arrive yet (an echo held back, a connection still queued). */
        int ms = count == 2 ? atoi(words[1]) : 0;
        if (ms <= 0 || expected != NULL)
            FAIL("quiet takes a number of milliseconds, and no => expectation");
        snprintf(line, sizeof line, "wait %d ms for anything to arrive", ms);
        show_client(terminal, index, line);
        int ready = net_wait_readable(s, ms);
        if (ready == SOCKET_ERROR)
            FAIL("waiting failed: %s", describe_error(net_last_error(), error, sizeof error));
        if (ready != 0)
            FAIL("something arrived (or the connection ended) within %d ms", ms);
        snprintf(line, sizeof line, "nothing arrived in %d ms", ms);
        show(terminal, "", line);
    } else if (strcmp(words[0], "flood") == 0) {
        /* flood: a client that sends and never reads, until the connection takes no more. */
        static char chunk[65536];
        static const char pattern[] = "a client that sends and never reads\n";
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = pattern[i % (sizeof pattern - 1)];
        show_client(terminal, index, "send without reading, until the connection takes no more");
        if (net_set_nonblocking(s) == SOCKET_ERROR)
            FAIL("net_set_nonblocking failed: %s",
                 describe_error(net_last_error(), error, sizeof error));
        unsigned long long total = 0;
        for (;;) {
            int n = send(s, chunk + total % sizeof chunk,
                         (int)(sizeof chunk - total % sizeof chunk), MSG_NOSIGNAL);
            if (n > 0) {
                total += (unsigned long long)n;
                if (total > (256u << 20))
                    FAIL("the server took 256 MiB without making the client wait");
                continue;
            }
            if (!net_would_block(net_last_error()))
                FAIL("send failed: %s", describe_error(net_last_error(), error, sizeof error));
            int writable = net_wait_writable(s, 500);
            if (writable == SOCKET_ERROR)
                FAIL("waiting to send failed: %s",
                     describe_error(net_last_error(), error, sizeof error));
            if (writable == 0)
                break;
        }
        snprintf(line, sizeof line, "sent %llu bytes (%.1f MiB); then no room for 500 ms", total,
                 (double)total / (1024.0 * 1024.0));
        show(terminal, "", line);
    } else if (strcmp(words[0], "close") == 0 || strcmp(words[0], "reset") == 0) {
        bool reset = words[0][0] == 'r';
        show_client(terminal, index, reset ? "close abortively (RST)" : "close");
        if (reset)
            client_reset(s);
        else
            closesocket(s);
        current.clients[index] = INVALID_SOCKET;
    } else {
        FAIL("unknown action '%s'", words[0]);
    }
}

/** Runs one line of a transcript. */
static void run_line(char *text)
{
    char *all_words[MAX_WORDS];
    char **words = all_words;
    int count = split(text, all_words);
    if (count == 0 || words[0][0] == '#')
        return;

    /* An optional terminal number, glued to the action or not: "2$", "2 enter". */
    int terminal = 0;
    char *action = words[0];
    if (isdigit((unsigned char)action[0])) {
        terminal = action[0] - '0';
        action++;
        if (*action == '\0') {
            if (count < 2)
                FAIL("a terminal number and nothing to do");
            words++;
            count--;
            action = words[0];
        }
    }
    if (terminal < 0 || terminal > MAX_TERMINALS)
        FAIL("terminals are numbered 1 to %d", MAX_TERMINALS);
    if (strcmp(action, "$") == 0) {
        run_program(terminal ? terminal : 1, words + 1, count - 1);
        return;
    }
    words[0] = action;

    bool client_action = strcmp(action, "connect") == 0 || strcmp(action, "send") == 0 ||
                         strcmp(action, "shutdown") == 0 || strcmp(action, "recv") == 0 ||
                         strcmp(action, "close") == 0 || strcmp(action, "reset") == 0 ||
                         strcmp(action, "quiet") == 0 || strcmp(action, "flood") == 0;
    if (client_action) {
        run_client(terminal ? terminal : 2, words, count);
        return;
    }

    if (terminal == 0)
        terminal = 1;
    if (strcmp(action, "ulimit") == 0) {
        /* As in a shell: applies to the programs this terminal starts from now on. */
        long limit = count == 3 && strcmp(words[1], "-n") == 0 ? atol(words[2]) : 0;
        if (limit <= 0)
            FAIL("ulimit takes -n and a number of descriptors");
#ifdef _WIN32
        FAIL("ulimit: Windows has no per-process limit on open sockets to lower");
#else
        char prompt[64];
        snprintf(prompt, sizeof prompt, "$ ulimit -n %ld", limit);
        show(terminal, "command", prompt);
        current.open_files[terminal] = (unsigned long)limit;
        return;
#endif
    }
    struct child *c = current.running[terminal];
    if (c == NULL)
        FAIL("'%s': terminal %d runs no program", action, terminal);
    const char *expected = NULL;
    count = take_expectation(words, count, &expected);
    if (strcmp(action, "line") == 0) {
        const char *line = child_read_line(c, HARNESS_DEADLINE_MS);
        if (line == NULL)
            FAIL("the program ended instead of printing a line");
        show(terminal, "", line);
        show_new_stderr(terminal);
    } else if (strcmp(action, "stderr") == 0) {
        long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
        while (!show_stderr_line(terminal)) {
            if (harness_now_ms() >= deadline)
                FAIL("the program wrote no line to stderr within %d ms", HARNESS_DEADLINE_MS);
            net_sleep_ms(10);
        }
    } else if (strcmp(action, "type") == 0) {
        if (count != 2)
            FAIL("type takes one argument (quote it)");
        show(terminal, "command", words[1]);
        child_write(c, words[1]);
        child_write(c, "\n");
    } else if (strcmp(action, "wait") == 0) {
        finish(terminal, expected_code(expected));
    } else if (strcmp(action, "enter") == 0) {
        show(terminal, "note", "[Enter]");
        child_write(c, "\n");
        finish(terminal, expected_code(expected));
    } else if (strcmp(action, "eof") == 0) {
        show(terminal, "note", "[end of input: Ctrl-D]");
        child_close_stdin(c);
        finish(terminal, expected_code(expected));
    } else if (strcmp(action, "ctrl-c") == 0) {
        show(terminal, "note", "^C");
        child_interrupt(c);
        finish(terminal, expected_code(expected));
    } else {
        FAIL("unknown action '%s'", action);
    }
}

/** Runs one transcript of the page: the lines between "<!-- transcript NAME" and "-->". */
static void run_transcript(FILE *page, const char *name, const char *out_dir)
{
    char text[MAX_LINE], path[2 * MAX_LINE];
    memset(&current.running, 0, sizeof current.running);
    memset(&current.open_files, 0, sizeof current.open_files);
    current.line_count = 0;
    current.client_count = 0;
    current.host[0] = current.port[0] = '\0';
    while (fgets(text, sizeof text, page) != NULL) {
        current.line_number++;
        text[strcspn(text, "\r\n")] = '\0';
        if (strstr(text, "-->") != NULL)
            break;
        run_line(text);
    }
    for (int t = 1; t <= MAX_TERMINALS; t++) {
        if (current.running[t] != NULL)
            FAIL("transcript %s ends with a program still running in terminal %d", name, t);
    }
    for (int i = 0; i < current.client_count; i++) {
        if (current.clients[i] != INVALID_SOCKET)
            closesocket(current.clients[i]);
    }
    snprintf(path, sizeof path, "%s/%s.html", out_dir, name);
    write_html(path);
    for (size_t i = 0; i < current.line_count; i++)
        free(current.lines[i].html);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s PAGE OUTDIR BINDIR DISPLAYDIR\n", argv[0]);
        return 2;
    }
    current.page = argv[1];
    bin_dir = argv[3];
    display_dir = argv[4];
    /* A program that exits while we write to its stdin must not kill us. */
    if (net_ignore_sigpipe() != 0) {
        perror("signal");
        return 1;
    }
    if (net_startup() != 0)
        return 1;
    FILE *page = fopen(argv[1], "r");
    if (page == NULL) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 1;
    }
    char text[MAX_LINE];
    int transcripts = 0;
    static const char opening[] = "<!-- transcript ";
    while (fgets(text, sizeof text, page) != NULL) {
        current.line_number++;
        text[strcspn(text, "\r\n")] = '\0';
        if (strncmp(text, opening, sizeof opening - 1) != 0)
            continue;
        const char *name = text + sizeof opening - 1;
        for (const char *p = name; *p != '\0'; p++) {
            if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
                FAIL("a transcript's name is made of a-z, 0-9 and -: '%s'", name);
        }
        if (*name == '\0')
            FAIL("a transcript needs a name");
        char saved[MAX_LINE];
        snprintf(saved, sizeof saved, "%s", name);
        run_transcript(page, saved, argv[2]);
        transcripts++;
    }
    fclose(page);
    net_cleanup();
    printf("%s: %d transcript%s\n", argv[1], transcripts, transcripts == 1 ? "" : "s");
    return 0;
}
