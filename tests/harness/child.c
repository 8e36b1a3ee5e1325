/**
 * @file child.c
 * @brief Step programs run as child processes with pipes: see harness.h.
 *
 * POSIX uses fork()/execvp() and poll(); Windows uses CreateProcess() and anonymous pipes,
 * which cannot be waited on, so it polls them with PeekNamedPipe() in short slices.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#    define _GNU_SOURCE /* for prlimit(), which changes another process's limits */
#endif
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#    include <tlhelp32.h>
typedef HANDLE pipe_end;
#    define NO_PIPE NULL
#else
#    include <fcntl.h>
#    include <poll.h>
#    include <signal.h>
#    include <sys/resource.h>
#    include <sys/wait.h>
#    ifdef __linux__
#        include <dirent.h>
#    endif
typedef int pipe_end;
#    define NO_PIPE (-1)
#endif

#define MAX_ARGS 64

/** Everything read so far from one of the child's output pipes. */
struct captured {
    char *data;
    size_t length;
    size_t capacity;
    pipe_end pipe; /**< NO_PIPE once the child closed it */
    bool raw;      /**< keep every byte, carriage returns too (see child_keep_stdout_raw()) */
};

#ifdef _WIN32
/* A Windows program's stdout and stderr are in text mode: every "\n" arrives as "\r\n".
 * Tests compare text as the program meant it, so the carriage returns are dropped, except
 * from the stdout of a child that writes binary data (child_keep_stdout_raw()). */
#    define DROP_CARRIAGE_RETURNS 1
#else
#    define DROP_CARRIAGE_RETURNS 0
#endif

struct child {
#ifdef _WIN32
    HANDLE process;
    DWORD pid;
#else
    pid_t pid;
#endif
    pipe_end input;
    struct captured out;
    struct captured err;
    size_t line_start; /**< where the next unread line of stdout begins */
    char line[8192];
    bool exited;
    int exit_code;
#ifndef _WIN32
    int signal; /**< the signal that killed it, or 0 (its exit code is then 128 + signal) */
#endif
    bool cause_reported; /**< a failure message said what the signal that ended it means */
    char name[64];
    char command[512]; /**< the command line as a shell user would type it, for reports */
    struct child *next;
};

#ifndef _WIN32
/** RLIMIT_NOFILE for children started from now on; 0 for none. */
static unsigned long open_files_limit;
/** Descriptors 3 to this number minus 1 are taken in the children started from now on. */
static int occupied_descriptors;
#endif
/** The next child starts with its stdout closed (see child_close_stdout_at_start()). */
static bool next_without_stdout;

/** Every child not yet freed, so that a failing test can report and kill them. */
static struct child *children;

static void append(struct captured *c, const char *data, size_t length)
{
    if (c->length + length + 1 > c->capacity) {
        size_t capacity = c->capacity ? c->capacity : 4096;
        while (c->length + length + 1 > capacity)
            capacity *= 2;
        char *grown = realloc(c->data, capacity);
        if (grown == NULL) {
            fprintf(stderr, "harness: out of memory\n");
            exit(1);
        }
        c->data = grown;
        c->capacity = capacity;
    }
    for (size_t i = 0; i < length; i++) {
        if (!(DROP_CARRIAGE_RETURNS && !c->raw && data[i] == '\r'))
            c->data[c->length++] = data[i];
    }
    c->data[c->length] = '\0';
}

static void close_pipe(pipe_end *p)
{
    if (*p == NO_PIPE)
        return;
#ifdef _WIN32
    CloseHandle(*p);
#else
    close(*p);
#endif
    *p = NO_PIPE;
}

#ifdef _WIN32
/** Reads what one pipe has now; returns true if it read anything or saw the end. */
static bool read_available(struct captured *c)
{
    DWORD available = 0;
    if (c->pipe == NO_PIPE)
        return false;
    if (!PeekNamedPipe(c->pipe, NULL, 0, NULL, &available, NULL)) {
        close_pipe(&c->pipe); /* ERROR_BROKEN_PIPE: the child closed its end */
        return true;
    }
    if (available == 0)
        return false;
    char chunk[4096];
    DWORD got = 0;
    if (!ReadFile(c->pipe, chunk, available < sizeof chunk ? available : sizeof chunk, &got,
                  NULL) ||
        got == 0) {
        close_pipe(&c->pipe);
        return true;
    }
    append(c, chunk, got);
    return true;
}

/** Waits up to @p timeout_ms for output from the child and captures it. */
static void pump(struct child *c, int timeout_ms)
{
    long long deadline = harness_now_ms() + timeout_ms;
    for (;;) {
        bool progress = read_available(&c->out);
        progress = read_available(&c->err) || progress;
        if (progress || harness_now_ms() >= deadline)
            return;
        Sleep(2); /* with both pipes closed too: the caller asked to wait, not to spin */
    }
}

/** Waits until the child's stdin pipe may have room again, capturing its output meanwhile. */
static void wait_for_input_room(struct child *c)
{
    pump(c, 2); /* anonymous pipes cannot be waited on for room: look again shortly */
}
#else
/**
 * Waits up to @p timeout_ms for output from the child and captures it. With @p input_room,
 * returns as well as soon as the child's stdin pipe has room for more.
 */
static void pump_io(struct child *c, int timeout_ms, bool input_room)
{
    struct pollfd fds[3];
    struct captured *sources[3];
    nfds_t count = 0;
    if (c->out.pipe != NO_PIPE) {
        fds[count].fd = c->out.pipe;
        fds[count].events = POLLIN;
        sources[count++] = &c->out;
    }
    if (c->err.pipe != NO_PIPE) {
        fds[count].fd = c->err.pipe;
        fds[count].events = POLLIN;
        sources[count++] = &c->err;
    }
    if (input_room && c->input != NO_PIPE) {
        fds[count].fd = c->input;
        fds[count].events = POLLOUT;
        sources[count++] = NULL;
    }
    if (count == 0) {
        /* Nothing left to read: wait anyway, so that a caller's loop does not spin. */
        if (timeout_ms > 0)
            net_sleep_ms(timeout_ms);
        return;
    }
    if (poll(fds, count, timeout_ms) <= 0)
        return;
    for (nfds_t i = 0; i < count; i++) {
        if (fds[i].revents == 0 || sources[i] == NULL)
            continue;
        char chunk[4096];
        ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
        if (got > 0)
            append(sources[i], chunk, (size_t)got);
        else if (got == 0 || (errno != EINTR && errno != EAGAIN))
            close_pipe(&sources[i]->pipe);
    }
}

static void pump(struct child *c, int timeout_ms)
{
    pump_io(c, timeout_ms, false);
}

static void wait_for_input_room(struct child *c)
{
    pump_io(c, 100, true);
}
#endif

#ifndef _WIN32
/** Records how the child ended, from waitpid()'s @p status. */
static void record_exit(struct child *c, int status)
{
    /* Like a shell: a death by signal N reads as 128 + N. */
    c->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    c->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + c->signal;
    c->exited = true;
}
#endif

/** Checks without waiting whether the child has exited, and records its exit code. */
static bool poll_exit(struct child *c)
{
    if (c->exited)
        return true;
#ifdef _WIN32
    if (WaitForSingleObject(c->process, 0) != WAIT_OBJECT_0)
        return false;
    DWORD code = 0;
    GetExitCodeProcess(c->process, &code);
    c->exit_code = (int)code;
#else
    int status = 0;
    if (waitpid(c->pid, &status, WNOHANG) != c->pid)
        return false;
    record_exit(c, status);
#endif
    c->exited = true;
    return true;
}

static void kill_child(struct child *c)
{
    if (poll_exit(c))
        return;
#ifdef _WIN32
    TerminateProcess(c->process, 137);
    WaitForSingleObject(c->process, 5000);
#else
    kill(c->pid, SIGKILL);
    int status = 0;
    waitpid(c->pid, &status, 0);
#endif
    c->exited = true;
    c->exit_code = 137;
}

/** A way for a program to be ended from outside, and why it happens, in a learner's terms. */
struct death_cause {
    unsigned long code; /**< POSIX: the signal; Windows: the exit code (an NTSTATUS) */
    const char *name;
    const char *meaning;
};

#ifdef _WIN32
/* Windows ends a program on an exception or a Ctrl event with the event's status code as its
 * exit code. */
static const struct death_cause death_causes[] = {
    {0xC000013AUL, "STATUS_CONTROL_C_EXIT",
     "Ctrl-C or Ctrl-Break ended the program at once: no console handler took the event"},
    {0xC0000005UL, "STATUS_ACCESS_VIOLATION",
     "a read or write through a bad pointer (NULL, freed, or never set)"},
    {0xC0000409UL, "STATUS_STACK_BUFFER_OVERRUN",
     "the C runtime stopped the program: a failed check, or abort()"},
    {0xC00000FDUL, "STATUS_STACK_OVERFLOW", "the stack overflowed: a recursion without end?"},
};
#else
static const struct death_cause death_causes[] = {
    {SIGINT, "SIGINT",
     "Ctrl-C; its default action ends the program at once, since no handler took it"},
    {SIGPIPE, "SIGPIPE",
     "a send() on a connection whose peer has gone, or a write to a pipe nobody reads; its "
     "default action ends the program, unless the program ignores SIGPIPE or sends with "
     "MSG_NOSIGNAL"},
    {SIGSEGV, "SIGSEGV", "a read or write through a bad pointer (NULL, freed, or never set)"},
#    ifdef SIGBUS
    {SIGBUS, "SIGBUS", "a read or write through a bad pointer"},
#    endif
    {SIGABRT, "SIGABRT", "abort(): a failed assert(), or a check of the C library or a sanitizer"},
    {SIGFPE, "SIGFPE", "an arithmetic error, such as an integer division by zero"},
    {SIGKILL, "SIGKILL", "killed at once, by the harness or by the system"},
    {SIGTERM, "SIGTERM", "asked to terminate, with no handler to take the request"},
};
#endif

/** Why the child ended as it did, when something ended it from outside; NULL otherwise. */
static const struct death_cause *death_cause(const struct child *c)
{
    if (!c->exited)
        return NULL;
#ifdef _WIN32
    unsigned long code = (unsigned long)(unsigned int)c->exit_code;
#else
    unsigned long code = (unsigned long)c->signal;
#endif
    for (size_t i = 0; i < sizeof death_causes / sizeof death_causes[0]; i++) {
        if (death_causes[i].code == code)
            return &death_causes[i];
    }
    return NULL;
}

/** Adds how the child stands to a report: "is still running", "exited with code 1", "was
 *  killed by signal 13 (SIGPIPE)". */
static void add_state(struct harness_message *message, struct child *c)
{
    if (!poll_exit(c)) {
        harness_message_add(message, "is still running");
        return;
    }
    const struct death_cause *cause = death_cause(c);
#ifdef _WIN32
    if ((unsigned int)c->exit_code >= 0xC0000000u)
        harness_message_add(message, "exited with code 0x%08X", (unsigned int)c->exit_code);
    else
        harness_message_add(message, "exited with code %d", c->exit_code);
    if (cause != NULL)
        harness_message_add(message, " (%s)", cause->name);
#else
    if (c->signal != 0)
        harness_message_add(message, "was killed by signal %d%s%s%s", c->signal, cause ? " (" : "",
                            cause ? cause->name : "", cause ? ")" : "");
    else
        harness_message_add(message, "exited with code %d", c->exit_code);
#endif
}

/** Adds, on a line of its own, what the signal (or Windows status) that ended the child
 *  means, if something ended it from outside; once per failure. */
static void add_death_cause(struct harness_message *message, struct child *c)
{
    const struct death_cause *cause = death_cause(c);
    if (cause != NULL && !c->cause_reported)
        harness_message_add(message, "\n  %s: %s.", cause->name, cause->meaning);
    c->cause_reported = c->cause_reported || cause != NULL;
}

#ifdef _WIN32
/** Appends one argument to a command line, quoted as CommandLineToArgvW() expects. */
static void append_quoted(char *cmd, size_t size, const char *arg)
{
    size_t n = strlen(cmd);
    bool needs_quotes = *arg == '\0' || strpbrk(arg, " \t\"") != NULL;
    if (n > 0 && n + 1 < size)
        cmd[n++] = ' ';
    if (!needs_quotes) {
        snprintf(cmd + n, size - n, "%s", arg);
        return;
    }
    if (n + 1 < size)
        cmd[n++] = '"';
    for (const char *p = arg; *p != '\0' && n + 4 < size; p++) {
        size_t backslashes = 0;
        while (*p == '\\') {
            backslashes++;
            p++;
        }
        /* Backslashes are literal unless they precede a quote. */
        size_t copies = (*p == '"' || *p == '\0') ? backslashes * 2 : backslashes;
        for (size_t i = 0; i < copies && n + 4 < size; i++)
            cmd[n++] = '\\';
        if (*p == '\0')
            break;
        if (*p == '"')
            cmd[n++] = '\\';
        cmd[n++] = *p;
    }
    cmd[n++] = '"';
    cmd[n] = '\0';
}

/** Wine hands us POSIX paths from CMake; as a DOS path it needs the drive of the root. */
static void windows_path(const char *program, char *path, size_t size)
{
    snprintf(path, size, "%s%s", program[0] == '/' ? "Z:" : "", program);
}

static struct child *spawn(struct child *c, const char *program, const char *const *args)
{
    SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
    HANDLE in_read, in_write, out_read, out_write, err_read, err_write;
    if (!CreatePipe(&in_read, &in_write, &inherit, 0) ||
        !CreatePipe(&out_read, &out_write, &inherit, 0) ||
        !CreatePipe(&err_read, &err_write, &inherit, 0)) {
        harness_fail(__FILE__, __LINE__, "CreatePipe failed: %lu", GetLastError());
    }
    /* Our ends stay here: a child that inherited them would keep the pipes open. */
    SetHandleInformation(in_write, HANDLE_FLAG_INHERIT, 0);
    /* Writes to the child's stdin take what fits and return: see child_write_bytes(). */
    DWORD no_wait = PIPE_NOWAIT;
    SetNamedPipeHandleState(in_write, &no_wait, NULL, NULL);
    SetHandleInformation(out_read, HANDLE_FLAG_INHERIT, 0);
    SetHandleInformation(err_read, HANDLE_FLAG_INHERIT, 0);

    char path[1024];
    static char cmd[8192];
    windows_path(program, path, sizeof path);
    cmd[0] = '\0';
    append_quoted(cmd, sizeof cmd, path);
    for (size_t i = 0; args[i] != NULL; i++)
        append_quoted(cmd, sizeof cmd, args[i]);

    STARTUPINFOA startup;
    PROCESS_INFORMATION info;
    memset(&startup, 0, sizeof startup);
    startup.cb = sizeof startup;
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = in_read;
    startup.hStdOutput = out_write;
    startup.hStdError = err_write;
    if (next_without_stdout) {
        /* As `program >&-` in a shell: no stdout at all. */
        CloseHandle(out_write);
        out_write = NULL;
        startup.hStdOutput = NULL;
    }
    /* A process group of its own, so that CTRL_BREAK_EVENT reaches the child alone. Not under
     * Wine: there the system's Ctrl dispatcher ignores every event for a new process group
     * (Windows ignores only Ctrl-C), and child_interrupt() delivers the event another way. */
    DWORD flags = harness_under_wine() ? 0 : CREATE_NEW_PROCESS_GROUP;
    if (!CreateProcessA(path, cmd, NULL, NULL, TRUE, flags, NULL, NULL, &startup, &info))
        harness_fail(__FILE__, __LINE__, "CreateProcess(%s) failed: %lu", cmd, GetLastError());
    CloseHandle(info.hThread);
    CloseHandle(in_read);
    if (out_write != NULL)
        CloseHandle(out_write);
    CloseHandle(err_write);
    c->process = info.hProcess;
    c->pid = info.dwProcessId;
    c->input = in_write;
    c->out.pipe = out_read;
    c->err.pipe = err_read;
    return c;
}
#else
static void make_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        harness_fail(__FILE__, __LINE__, "pipe failed: %s", strerror(errno));
    /* Neither end may leak into a later child: it would hold the pipe open. */
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
}

static struct child *spawn(struct child *c, const char *program, const char *const *args)
{
    const char *argv[MAX_ARGS + 16];
    size_t n = 0;
    /* HARNESS_WRAPPER puts a tool such as valgrind in front of the program. */
    static char wrapper[512];
    const char *env = getenv("HARNESS_WRAPPER");
    if (env != NULL && *env != '\0') {
        snprintf(wrapper, sizeof wrapper, "%s", env);
        for (char *word = strtok(wrapper, " "); word != NULL && n < 15; word = strtok(NULL, " "))
            argv[n++] = word;
    }
    argv[n++] = program;
    for (size_t i = 0; args[i] != NULL && n < MAX_ARGS + 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    int in[2], out[2], err[2];
    make_pipe(in);
    make_pipe(out);
    make_pipe(err);
    pid_t pid = fork();
    if (pid < 0)
        harness_fail(__FILE__, __LINE__, "fork failed: %s", strerror(errno));
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        if (next_without_stdout)
            close(1);             /* as `program >&-` in a shell */
        signal(SIGPIPE, SIG_DFL); /* the harness ignores it; the program must not inherit that */
        /* A mark that the processes the program starts inherit: see
         * harness_processes_started_by(). */
        char family[32];
        snprintf(family, sizeof family, "%ld", (long)getpid());
        setenv("HARNESS_FAMILY", family, 1);
        /* Only stdin, stdout and stderr go to the program: a descriptor the test runner left
         * open would count against its limits and could keep a connection alive. */
        long open_max = sysconf(_SC_OPEN_MAX);
        for (int fd = 3; fd < (open_max > 0 && open_max < 4096 ? open_max : 4096); fd++)
            close(fd);
        if (open_files_limit != 0) {
            struct rlimit limit;
            getrlimit(RLIMIT_NOFILE, &limit);
            limit.rlim_cur = (rlim_t)open_files_limit;
            setrlimit(RLIMIT_NOFILE, &limit);
        }
        if (occupied_descriptors > 3) {
            /* Room for them and a few more, then /dev/null on every number below. */
            struct rlimit limit;
            getrlimit(RLIMIT_NOFILE, &limit);
            if (limit.rlim_cur < (rlim_t)occupied_descriptors + 64)
                limit.rlim_cur = (rlim_t)occupied_descriptors + 64;
            setrlimit(RLIMIT_NOFILE, &limit);
            for (int fd = 3; fd < occupied_descriptors; fd++) {
                int null = open("/dev/null", O_RDONLY);
                if (null >= 0 && null != fd) {
                    dup2(null, fd);
                    close(null);
                }
            }
        }
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "harness: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    /* Writes to the child's stdin take what fits and return: see child_write_bytes(). */
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    c->pid = pid;
    c->input = in[1];
    c->out.pipe = out[0];
    c->err.pipe = err[0];
    return c;
}
#endif

void child_close_stdout_at_start(void)
{
    next_without_stdout = true;
}

void child_occupy_descriptors(int count)
{
#ifdef _WIN32
    (void)count;
    harness_skip("Windows sockets are handles, not small descriptor numbers");
#else
    occupied_descriptors = count;
#endif
}

void child_limit_open_files(unsigned long limit)
{
#ifdef _WIN32
    (void)limit;
    harness_skip("Windows has no per-process limit on open sockets to lower");
#else
    open_files_limit = limit;
#endif
}

void child_set_open_files_limit(struct child *c, unsigned long limit)
{
#ifdef __linux__
    struct rlimit value;
    if (prlimit(c->pid, RLIMIT_NOFILE, NULL, &value) != 0)
        harness_fail(__FILE__, __LINE__, "prlimit failed: %s", strerror(errno));
    value.rlim_cur = (rlim_t)limit;
    if (prlimit(c->pid, RLIMIT_NOFILE, &value, NULL) != 0)
        harness_fail(__FILE__, __LINE__, "prlimit failed: %s", strerror(errno));
#else
    (void)c;
    (void)limit;
    harness_skip("changing another process's open-files limit needs Linux's prlimit()");
#endif
}

/** Writes @p name and @p args as a shell user would type them, for reports: an argument that
 *  is empty or holds a space, a quote or a control character goes in double quotes, escaped. */
static void format_command(char *command, size_t size, const char *name, const char *const *args)
{
    static struct harness_message text;
    text.length = 0;
    harness_message_add(&text, "%s", name);
    for (size_t i = 0; args[i] != NULL; i++) {
        bool plain = *args[i] != '\0';
        for (const char *p = args[i]; *p != '\0'; p++)
            plain = plain && (unsigned char)*p > ' ' && *p != '"' && *p != '\'' && *p != '\\';
        harness_message_add(&text, " ");
        if (plain)
            harness_message_add(&text, "%s", args[i]);
        else
            harness_message_add_quoted(&text, args[i], strlen(args[i]));
    }
    /* For reports only: a longer command is cut, on purpose. (Not snprintf(): GCC's
     * optimizing builds warn that it may cut, which is the point.) */
    size_t length = text.length < size ? text.length : size - 1;
    memcpy(command, text.text, length);
    command[length] = '\0';
}

struct child *child_start_argv(const char *program, const char *const *args)
{
    struct child *c = calloc(1, sizeof *c);
    if (c == NULL)
        harness_fail(__FILE__, __LINE__, "out of memory");
    c->input = NO_PIPE;
    c->out.pipe = NO_PIPE;
    c->err.pipe = NO_PIPE;
    const char *base = program;
    for (const char *p = program; *p; p++) {
        if (*p == '/' || *p == '\\')
            base = p + 1;
    }
    snprintf(c->name, sizeof c->name, "%s", base);
    format_command(c->command, sizeof c->command, c->name, args);
    append(&c->out, "", 0);
    append(&c->err, "", 0);
    spawn(c, program, args);
    next_without_stdout = false;
    c->next = children;
    children = c;
    return c;
}

/** Collects the NULL-terminated arguments after @p program. */
#define COLLECT_ARGS(args, last)                                                                   \
    do {                                                                                           \
        va_list list;                                                                              \
        size_t count = 0;                                                                          \
        va_start(list, last);                                                                      \
        for (const char *a = va_arg(list, const char *); a != NULL && count < MAX_ARGS;            \
             a = va_arg(list, const char *))                                                       \
            (args)[count++] = a;                                                                   \
        va_end(list);                                                                              \
        (args)[count] = NULL;                                                                      \
    } while (0)

struct child *child_start(const char *program, ...)
{
    const char *args[MAX_ARGS + 1];
    COLLECT_ARGS(args, program);
    return child_start_argv(program, args);
}

struct child *child_run(const char *program, ...)
{
    const char *args[MAX_ARGS + 1];
    COLLECT_ARGS(args, program);
    struct child *c = child_start_argv(program, args);
    child_close_stdin(c);
    child_wait(c, HARNESS_DEADLINE_MS);
    return c;
}

/**
 * Takes the child's next line of stdout into c->line (without the line break), waiting until
 * @p deadline; returns it, or NULL at the end of stdout, or NULL with @p timed_out set.
 */
static const char *next_line(struct child *c, long long deadline, bool *timed_out)
{
    *timed_out = false;
    for (;;) {
        const char *start = c->out.data + c->line_start;
        const char *end = memchr(start, '\n', c->out.length - c->line_start);
        if (end == NULL && c->out.pipe == NO_PIPE && c->line_start < c->out.length)
            end = c->out.data + c->out.length; /* a last line without a line break */
        if (end != NULL) {
            size_t length = (size_t)(end - start);
            if (length >= sizeof c->line)
                length = sizeof c->line - 1;
            memcpy(c->line, start, length);
            /* Windows' text-mode stdout writes "\r\n". */
            while (length > 0 && c->line[length - 1] == '\r')
                length--;
            c->line[length] = '\0';
            c->line_start = (size_t)(end - c->out.data) + (end < c->out.data + c->out.length);
            return c->line;
        }
        if (c->out.pipe == NO_PIPE)
            return NULL;
        long long left = deadline - harness_now_ms();
        if (left <= 0) {
            *timed_out = true;
            return NULL;
        }
        pump(c, (int)left);
    }
}

/** Where a wait on the child's output began: its failure shows what the child wrote since. */
struct output_mark {
    size_t out; /**< the first byte of stdout that the wait had not seen */
    size_t err; /**< the length of stderr then */
};

/** How a wait on the child's output ended without what it waited for. */
enum wait_outcome {
    WAIT_TIMED_OUT,    /**< nothing of the kind came within the time */
    WAIT_OUTPUT_ENDED, /**< the child closed its stdout (or stderr): nothing more can come */
    WAIT_OTHER_LINE,   /**< the next line is another one */
    WAIT_EXTRA_LINE    /**< a line came where the output should have ended */
};

/** Captures what the child wrote last and, if its stdout has ended, gives it a moment to exit,
 *  so that a report can say how it ended. */
static void settle(struct child *c)
{
    long long deadline = harness_now_ms() + (c->out.pipe == NO_PIPE ? 1000 : 100);
    while (!poll_exit(c) && harness_now_ms() < deadline)
        pump(c, 10);
    long long drain_deadline = harness_now_ms() + 200;
    while (c->exited && (c->out.pipe != NO_PIPE || c->err.pipe != NO_PIPE) &&
           harness_now_ms() < drain_deadline)
        pump(c, 10);
}

/**
 * Adds the part of a captured output from @p from on under @p label, a quoted line each (of
 * many lines, the first and the last few), or "(nothing)".
 */
static void add_lines(struct harness_message *message, const char *label,
                      const struct captured *output, size_t from)
{
    enum { SHOWN_AT_EACH_END = 3 };
    const char *data = output->data;
    size_t count = 0;
    for (size_t i = from; i < output->length; i++)
        count += data[i] == '\n' || i + 1 == output->length;
    harness_message_add(message, "\n  %s: ", label);
    if (count == 0) {
        harness_message_add(message, "(nothing)");
        return;
    }
    int indent = (int)strlen(label) + 4; /* under the first line's opening quote */
    size_t index = 0;
    for (size_t start = from; start < output->length; index++) {
        const char *end = memchr(data + start, '\n', output->length - start);
        size_t stop = end != NULL ? (size_t)(end - data) : output->length;
        if (count <= 2 * SHOWN_AT_EACH_END + 1 || index < SHOWN_AT_EACH_END ||
            index >= count - SHOWN_AT_EACH_END) {
            if (index > 0)
                harness_message_add(message, "\n%*s", indent, "");
            harness_message_add_quoted(message, data + start, stop - start);
            if (end == NULL)
                harness_message_add(message, " (no line break after it)");
        } else if (index == SHOWN_AT_EACH_END) {
            harness_message_add(message, "\n%*s(%lu lines more)", indent, "",
                                (unsigned long)(count - 2 * SHOWN_AT_EACH_END));
        }
        start = stop + 1;
    }
}

/**
 * Fails a wait on the child's @p awaited output (its stdout or stderr). @p expected says what
 * the wait was for, as the object of "print" ("a line starting \"listening on \""), or is
 * NULL for the end of the output. The report adds what the child wrote since @p since, how
 * it stands, and @p hint.
 */
_Noreturn static void fail_output_wait(const char *file, int line, struct child *c,
                                       const struct captured *awaited,
                                       const struct output_mark *since, enum wait_outcome outcome,
                                       const char *expected, int timeout_ms, const char *hint)
{
    static struct harness_message message;
    settle(c);
    bool running = !poll_exit(c);
    harness_message_add(&message, "%s ", c->name);
    switch (outcome) {
    case WAIT_TIMED_OUT:
        if (expected != NULL)
            harness_message_add(&message, "did not print %s within %d ms, and ", expected,
                                timeout_ms);
        else
            harness_message_add(&message, "did not end its output within %d ms, and ", timeout_ms);
        add_state(&message, c);
        break;
    case WAIT_OUTPUT_ENDED:
        if (running)
            harness_message_add(&message, "closed its output");
        else
            add_state(&message, c);
        harness_message_add(&message, " before printing %s", expected);
        if (running)
            harness_message_add(&message, "; it is still running");
        break;
    case WAIT_OTHER_LINE:
        harness_message_add(&message, "printed another line than %s, and ", expected);
        add_state(&message, c);
        break;
    case WAIT_EXTRA_LINE:
        harness_message_add(&message, "printed a line more than expected, and ");
        add_state(&message, c);
        break;
    }
    add_lines(&message, "stdout meanwhile", &c->out, since->out);
    add_lines(&message, "stderr meanwhile", &c->err, since->err);
    add_death_cause(&message, c);
    if (awaited == &c->out && outcome == WAIT_TIMED_OUT && running && c->out.length == since->out)
        harness_message_add(&message,
                            "\n  Nothing came on stdout. A line printed without fflush(stdout) "
                            "stays in the program: stdout into a pipe is written out only when "
                            "its buffer is full, or at exit.");
    if (hint != NULL)
        harness_message_add(&message, "\n  %s", hint);
    harness_fail(file, line, "%s", message.text);
}

const char *child_read_line_at(const char *file, int line, struct child *c, int timeout_ms)
{
    struct output_mark since = {c->line_start, c->err.length};
    bool timed_out = false;
    const char *got = next_line(c, harness_now_ms() + timeout_ms, &timed_out);
    if (timed_out)
        fail_output_wait(file, line, c, &c->out, &since, WAIT_TIMED_OUT, "a line", timeout_ms,
                         NULL);
    return got;
}

/** Which line a wait for a line takes (await_line()). */
enum line_wanted {
    LINE_STARTING,    /**< the first line that starts with the text; the lines before it pass */
    NEXT_LINE_EXACTLY /**< the next line, which must be the text exactly */
};

/** Reads the child's stdout until the line @p wanted comes, and returns it; fails the test,
 *  saying which line it waited for, if it does not come within @p timeout_ms. */
static const char *await_line(const char *file, int line, struct child *c, enum line_wanted wanted,
                              const char *text, int timeout_ms, const char *hint)
{
    struct output_mark since = {c->line_start, c->err.length};
    long long deadline = harness_now_ms() + timeout_ms;
    enum wait_outcome outcome;
    for (;;) {
        bool timed_out = false;
        const char *got = next_line(c, deadline, &timed_out);
        if (got == NULL) {
            outcome = timed_out ? WAIT_TIMED_OUT : WAIT_OUTPUT_ENDED;
            break;
        }
        if (wanted == LINE_STARTING && strncmp(got, text, strlen(text)) == 0)
            return got;
        if (wanted == NEXT_LINE_EXACTLY) {
            if (strcmp(got, text) == 0)
                return got;
            outcome = WAIT_OTHER_LINE;
            break;
        }
    }
    static struct harness_message expected;
    harness_message_add(&expected, "%s",
                        wanted == LINE_STARTING ? "a line starting " : "the line ");
    harness_message_add_quoted(&expected, text, strlen(text));
    fail_output_wait(file, line, c, &c->out, &since, outcome, expected.text, timeout_ms, hint);
}

const char *child_expect_line_at(const char *file, int line, struct child *c, const char *prefix,
                                 int timeout_ms, const char *hint)
{
    return await_line(file, line, c, LINE_STARTING, prefix, timeout_ms, hint);
}

void child_expect_next_line_at(const char *file, int line, struct child *c, const char *expected,
                               int timeout_ms)
{
    await_line(file, line, c, NEXT_LINE_EXACTLY, expected, timeout_ms, NULL);
}

void child_expect_no_more_lines_at(const char *file, int line, struct child *c, int timeout_ms)
{
    struct output_mark since = {c->line_start, c->err.length};
    bool timed_out = false;
    if (next_line(c, harness_now_ms() + timeout_ms, &timed_out) == NULL && !timed_out)
        return;
    fail_output_wait(file, line, c, &c->out, &since, timed_out ? WAIT_TIMED_OUT : WAIT_EXTRA_LINE,
                     NULL, timeout_ms, NULL);
}

/** Writes what the child's stdin pipe takes now, without waiting; returns the byte count. */
static size_t write_input(struct child *c, const char *data, size_t length)
{
    if (c->input == NO_PIPE)
        harness_fail(__FILE__, __LINE__, "%s's stdin is already closed", c->name);
#ifdef _WIN32
    DWORD written = 0;
    if (!WriteFile(c->input, data, length > 65536 ? 65536 : (DWORD)length, &written, NULL))
        harness_fail(__FILE__, __LINE__, "writing to %s's stdin failed: error %lu", c->name,
                     GetLastError());
    return written;
#else
    ssize_t written = write(c->input, data, length);
    if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        harness_fail(__FILE__, __LINE__, "writing to %s's stdin failed: %s", c->name,
                     strerror(errno));
    return written < 0 ? 0 : (size_t)written;
#endif
}

void child_write_bytes(struct child *c, const void *data, size_t length)
{
    const char *p = data;
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (length > 0) {
        size_t written = write_input(c, p, length);
        p += written;
        length -= written;
        if (written > 0) {
            deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
        } else if (harness_now_ms() >= deadline) {
            harness_fail(__FILE__, __LINE__, "%s read none of its input for %d ms", c->name,
                         HARNESS_DEADLINE_MS);
        } else {
            /* The pipe is full. The child may be blocked writing output that nobody reads:
             * read it while waiting, or both would wait forever. */
            wait_for_input_room(c);
        }
    }
}

void child_write(struct child *c, const char *text)
{
    child_write_bytes(c, text, strlen(text));
}

void child_close_stdin(struct child *c)
{
    close_pipe(&c->input);
}

/**
 * Waits until the child exits, and captures what it wrote last; fails the test after
 * @p timeout_ms, adding @p expected, what the test expected of the child, if not NULL.
 */
static void await_exit(const char *file, int line, struct child *c, int timeout_ms,
                       const char *expected)
{
    long long deadline = harness_now_ms() + timeout_ms;
    while (!poll_exit(c)) {
        if (harness_now_ms() >= deadline)
            harness_fail(file, line,
                         "`%s` did not exit within %d ms%s%s%s: it still waits for something (a "
                         "call that blocks, such as accept() or recv(), or its input)",
                         c->command, timeout_ms, expected ? " (expected: " : "",
                         expected ? expected : "", expected ? ")" : "");
        pump(c, 10);
    }
    /* Collect what it wrote last; the pipes close when the process is gone. */
    long long drain_deadline = harness_now_ms() + 5000;
    while ((c->out.pipe != NO_PIPE || c->err.pipe != NO_PIPE) && harness_now_ms() < drain_deadline)
        pump(c, 50);
}

int child_wait_at(const char *file, int line, struct child *c, int timeout_ms)
{
    await_exit(file, line, c, timeout_ms, NULL);
    return c->exit_code;
}

void child_expect_exit_at(const char *file, int line, struct child *c, int code, int timeout_ms)
{
    char expected[32];
    snprintf(expected, sizeof expected, "exit code %d", code);
    await_exit(file, line, c, timeout_ms, expected);
    if (c->exit_code == code)
        return;
    static struct harness_message message;
    harness_message_add(&message, "`%s` ", c->command);
    add_state(&message, c);
    harness_message_add(&message, "; expected exit code %d", code);
    add_death_cause(&message, c);
    harness_fail(file, line, "%s", message.text);
}

long long child_interrupt_and_time_exit_at(const char *file, int line, struct child *c)
{
    long long start = harness_now_ms();
    child_interrupt(c);
    child_expect_exit_at(file, line, c, 0, HARNESS_DEADLINE_MS);
    long long elapsed = harness_now_ms() - start;
    printf("stopped %lld ms after Ctrl-C\n", elapsed);
    return elapsed;
}

int child_exit_code(const struct child *c)
{
    return c->exit_code;
}

#if defined(__SANITIZE_THREAD__) /* GCC */
#    define UNDER_THREAD_SANITIZER 1
#elif defined(__has_feature) /* Clang */
#    if __has_feature(thread_sanitizer)
#        define UNDER_THREAD_SANITIZER 1
#    endif
#endif

#if defined(__linux__) && defined(UNDER_THREAD_SANITIZER)
/* ThreadSanitizer's runtime catches every signal and calls the program's handler itself, at
 * a moment it chooses. Seen with the runtimes of GCC 12 and Clang 14: a SIGINT that arrives
 * while the program is entering its first blocking call is, at times, never handed to the
 * handler. A 25-line program that prints a line and then waits in poll() in a loop until
 * its SIGINT handler sets a flag, signalled as soon as its line was read, hung in 46 of 900
 * runs; built without the sanitizer, in none of 3,000; and in none of 3,000 either when the
 * signal came while it was asleep in poll(). A person presses Ctrl-C while the server
 * waits, so under ThreadSanitizer (and only there: elsewhere a signal comes when it comes)
 * the harness waits, at most 2 s, until the child's main thread sleeps in a call. */
static void wait_until_child_sleeps(struct child *c)
{
    long long deadline = harness_now_ms() + 2000;
    do {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)c->pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            return; /* gone: what follows reports how it ended */
        char text[512];
        size_t length = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[length] = '\0';
        /* "PID (NAME) STATE ...": NAME may hold spaces, so the state follows the last ')'. */
        const char *name_end = strrchr(text, ')');
        char state = name_end != NULL && name_end[1] == ' ' ? name_end[2] : '?';
        if (state != 'R' && state != 'D')
            return; /* asleep in a call that waits (S), or ended */
        pump(c, 1);
    } while (harness_now_ms() < deadline);
}
#endif

void child_interrupt(struct child *c)
{
#ifdef _WIN32
    if (GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, c->pid))
        return;
    /* No console to carry the event: under Wine, whose console is a pipe here, the call fails
     * (error 12 or 6). Deliver it as the console host does on Windows: start the system's
     * Ctrl dispatcher, CtrlRoutine, in a new thread of the child. It calls the handlers the
     * program registered with SetConsoleCtrlHandler(), exactly as for a real Ctrl-Break.
     * System DLLs sit at the same address in every process, so our address is the child's. */
    DWORD generate_error = GetLastError();
    FARPROC dispatcher = GetProcAddress(GetModuleHandleA("kernelbase.dll"), "CtrlRoutine");
    LPTHREAD_START_ROUTINE start;
    HANDLE thread = NULL;
    if (dispatcher != NULL) {
        memcpy(&start, &dispatcher, sizeof start); /* one function pointer type to another */
        thread = CreateRemoteThread(c->process, NULL, 0, start, (LPVOID)(ULONG_PTR)CTRL_BREAK_EVENT,
                                    0, NULL);
    }
    if (thread == NULL) {
        char reason[160];
        snprintf(reason, sizeof reason,
                 "no way to deliver Ctrl-Break: GenerateConsoleCtrlEvent failed (error %lu), "
                 "and CtrlRoutine could not be started in the child (error %lu)",
                 generate_error, GetLastError());
        harness_skip(reason);
    }
    CloseHandle(thread);
#else
#    if defined(__linux__) && defined(UNDER_THREAD_SANITIZER)
    wait_until_child_sleeps(c);
#    endif
    kill(c->pid, SIGINT);
#endif
}

void child_pause(struct child *c)
{
#ifdef _WIN32
    (void)c;
    harness_skip("stopping a process and letting it go on later needs POSIX's SIGSTOP");
#else
    kill(c->pid, SIGSTOP);
    /* Wait until it really is stopped: kill() only sends the signal. */
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(c->pid, &status, WUNTRACED | WNOHANG);
        if (pid == c->pid && WIFSTOPPED(status))
            return;
        if (pid == c->pid) {
            record_exit(c, status); /* reaped here: poll_exit() will not see it again */
            static struct harness_message message;
            harness_message_add(&message, "`%s` ", c->command);
            add_state(&message, c);
            harness_message_add(&message,
                                " before the test could pause it (SIGSTOP); expected it to be "
                                "still running, with its client");
            add_death_cause(&message, c);
            harness_fail(__FILE__, __LINE__, "%s", message.text);
        }
        if (harness_now_ms() >= deadline)
            harness_fail(__FILE__, __LINE__, "%s did not stop within %d ms", c->name,
                         HARNESS_DEADLINE_MS);
        pump(c, 5);
    }
#endif
}

void child_resume(struct child *c)
{
#ifdef _WIN32
    (void)c;
#else
    kill(c->pid, SIGCONT);
#endif
}

void child_close_stdout_reader(struct child *c)
{
    pump(c, 0);
    close_pipe(&c->out.pipe);
}

const char *child_stdout(struct child *c)
{
    pump(c, 0);
    return c->out.data;
}

void child_keep_stdout_raw(struct child *c)
{
    c->out.raw = true;
}

const char *child_stdout_bytes(struct child *c, size_t *length)
{
    pump(c, 0);
    *length = c->out.length;
    return c->out.data;
}

const char *child_stderr(struct child *c)
{
    pump(c, 0);
    return c->err.data;
}

void child_await_at(const char *file, int line, struct child *c, bool on_stderr, const char *needle,
                    int times, int timeout_ms)
{
    struct output_mark since = {c->out.length, c->err.length};
    const struct captured *output = on_stderr ? &c->err : &c->out;
    long long deadline = harness_now_ms() + timeout_ms;
    int seen;
    while ((seen = harness_count(output->data, needle)) < times) {
        long long left = deadline - harness_now_ms();
        bool ended = output->pipe == NO_PIPE; /* all of it is read: no more can come */
        if (left <= 0 || ended) {
            static struct harness_message expected;
            harness_message_add_quoted(&expected, needle, strlen(needle));
            harness_message_add(&expected, " on %s", on_stderr ? "stderr" : "stdout");
            if (times > 1)
                harness_message_add(&expected, " %d times (so far: %d)", times, seen);
            fail_output_wait(file, line, c, output, &since,
                             ended ? WAIT_OUTPUT_ENDED : WAIT_TIMED_OUT, expected.text, timeout_ms,
                             NULL);
        }
        pump(c, left < 50 ? (int)left : 50);
    }
}

void child_free(struct child *c)
{
    if (c == NULL)
        return;
    kill_child(c);
    for (struct child **p = &children; *p != NULL; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    close_pipe(&c->input);
    close_pipe(&c->out.pipe);
    close_pipe(&c->err.pipe);
#ifdef _WIN32
    CloseHandle(c->process);
#endif
    free(c->out.data);
    free(c->err.data);
    free(c);
}

void child_pump_all(void)
{
    for (struct child *c = children; c != NULL; c = c->next)
        pump(c, 0);
}

/** Prints a captured output as it came, ending with a line break. */
static void print_captured(const struct captured *output)
{
    fwrite(output->data, 1, output->length, stderr);
    if (output->length > 0 && output->data[output->length - 1] != '\n')
        fputc('\n', stderr);
}

void child_kill_all(bool dump)
{
    while (children != NULL) {
        struct child *c = children;
        if (dump) {
            settle(c); /* a child that is ending: its last words, and how it ended */
            static struct harness_message heading;
            heading.length = 0;
            harness_message_add(&heading, "---- `%s` ", c->command);
            add_state(&heading, c);
            harness_message_add(&heading, " ----");
            add_death_cause(&heading, c);
            fprintf(stderr, "%s\n---- its stdout ----\n", heading.text);
            print_captured(&c->out);
            fprintf(stderr, "---- its stderr ----\n");
            print_captured(&c->err);
            fprintf(stderr, "----\n");
        }
        child_free(c);
    }
}

#ifdef __linux__
/** Opens /proc/PID/NAME of the child for reading; fails the test if it cannot. */
static FILE *open_proc(struct child *c, const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/%s", (long)c->pid, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        harness_fail(__FILE__, __LINE__, "cannot open %s: %s", path, strerror(errno));
    return f;
}
#endif

int child_settled(struct child *c, int (*count)(struct child *))
{
    long long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    int value = count(c);
    long long since = harness_now_ms();
    while (harness_now_ms() - since < 300) {
        if (harness_now_ms() >= deadline)
            harness_fail(__FILE__, __LINE__, "%s's count kept changing for %d ms", c->name,
                         HARNESS_DEADLINE_MS);
        net_sleep_ms(10);
        int now = count(c);
        if (now != value) {
            value = now;
            since = harness_now_ms();
        }
    }
    return value;
}

int child_descendants(struct child *c, long *pids, int max, int *zombies)
{
#ifdef __linux__
    /* /proc/PID/stat of every process: the fourth field is the parent's pid, the third the
     * state (Z: ended, not yet reaped by its parent). */
    DIR *dir = opendir("/proc");
    int count = 0;
    if (dir == NULL)
        harness_fail(__FILE__, __LINE__, "cannot open /proc: %s", strerror(errno));
    *zombies = 0;
    for (struct dirent *entry = readdir(dir); entry != NULL; entry = readdir(dir)) {
        char path[300], text[512];
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* ended meanwhile */
        size_t length = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[length] = '\0';
        const char *p = strrchr(text, ')');
        char state;
        long parent;
        if (p == NULL || sscanf(p + 1, " %c %ld", &state, &parent) != 2 || parent != (long)c->pid)
            continue;
        if (state == 'Z')
            (*zombies)++;
        if (count < max)
            pids[count] = strtol(entry->d_name, NULL, 10);
        count++;
    }
    closedir(dir);
    return count;
#else
    (void)c;
    (void)pids;
    (void)max;
    (void)zombies;
    harness_skip("finding another process's children needs Linux's /proc");
    return 0;
#endif
}

void harness_kill_process(long pid)
{
#ifdef _WIN32
    HANDLE process = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)pid);
    if (process == NULL || !TerminateProcess(process, 9)) /* 9, as POSIX's SIGKILL */
        harness_fail(__FILE__, __LINE__, "cannot end process %ld: error %lu", pid, GetLastError());
    CloseHandle(process);
#else
    if (kill((pid_t)pid, SIGKILL) != 0)
        harness_fail(__FILE__, __LINE__, "kill(%ld, SIGKILL) failed: %s", pid, strerror(errno));
#endif
}

long child_pid(const struct child *c)
{
    return (long)c->pid;
}

int harness_processes_started_by(long pid, const char *program, long *pids, int max)
{
    int count = 0;
#ifdef _WIN32
    /* The program's file name, as the snapshot gives it: "18-process-hand-off.exe". */
    const char *name = program;
    for (const char *p = program; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\')
            name = p + 1;
    }
    HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snapshot == INVALID_HANDLE_VALUE)
        harness_fail(__FILE__, __LINE__, "CreateToolhelp32Snapshot failed: %lu", GetLastError());
    PROCESSENTRY32 entry;
    entry.dwSize = sizeof entry;
    for (BOOL more = Process32First(snapshot, &entry); more;
         more = Process32Next(snapshot, &entry)) {
        if ((long)entry.th32ParentProcessID != pid || (long)entry.th32ProcessID == pid ||
            _stricmp(entry.szExeFile, name) != 0)
            continue;
        if (count < max)
            pids[count] = (long)entry.th32ProcessID;
        count++;
    }
    CloseHandle(snapshot);
#elif defined(__linux__)
    (void)program; /* the mark is enough: only the server and its children carry it */
    /* /proc/PID/environ holds the environment a process started with, NUL-separated. */
    char mark[48];
    int mark_length = snprintf(mark, sizeof mark, "HARNESS_FAMILY=%ld", pid) + 1; /* its NUL */
    DIR *dir = opendir("/proc");
    if (dir == NULL)
        harness_fail(__FILE__, __LINE__, "cannot open /proc: %s", strerror(errno));
    for (struct dirent *entry = readdir(dir); entry != NULL; entry = readdir(dir)) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9' ||
            strtol(entry->d_name, NULL, 10) == pid)
            continue;
        char path[300];
        static char text[65536];
        snprintf(path, sizeof path, "/proc/%s/environ", entry->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* ended meanwhile, or not ours to read */
        size_t length = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[length] = '\0'; /* so that strlen() below stops at the end */
        bool marked = false;
        for (size_t at = 0; at < length && !marked; at += strlen(text + at) + 1)
            marked = length - at >= (size_t)mark_length &&
                     memcmp(text + at, mark, (size_t)mark_length) == 0;
        if (!marked)
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        f = fopen(path, "r");
        char state[512];
        size_t got = f != NULL ? fread(state, 1, sizeof state - 1, f) : 0;
        if (f != NULL)
            fclose(f);
        state[got] = '\0';
        const char *p = strrchr(state, ')');
        if (p == NULL || p[1] == '\0' || p[2] == 'Z')
            continue; /* a zombie has ended; only its exit status is left */
        if (count < max)
            pids[count] = strtol(entry->d_name, NULL, 10);
        count++;
    }
    closedir(dir);
#else
    (void)pid;
    (void)program;
    (void)pids;
    (void)max;
    harness_skip("finding the processes another process started needs Linux's /proc or Windows");
#endif
    return count;
}

void expect_no_process_started_by_at(const char *file, int line, long pid, const char *program,
                                     int timeout_ms)
{
    long pids[8];
    long long deadline = harness_now_ms() + timeout_ms;
    int count = harness_processes_started_by(pid, program, pids, 8);
    while (count > 0) {
        if (harness_now_ms() >= deadline) {
            for (int i = 0; i < count && i < 8; i++)
                harness_kill_process(pids[i]);
            harness_fail(file, line,
                         "%d processes started by the server (pid %ld) still ran %d ms after it "
                         "stopped, the first of them pid %ld",
                         count, pid, timeout_ms, pids[0]);
        }
        net_sleep_ms(20);
        count = harness_processes_started_by(pid, program, pids, 8);
    }
}

int child_open_descriptors(struct child *c)
{
#ifdef __linux__
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd", (long)c->pid);
    DIR *dir = opendir(path);
    if (dir == NULL)
        harness_fail(__FILE__, __LINE__, "cannot open %s: %s", path, strerror(errno));
    int count = 0;
    for (struct dirent *entry = readdir(dir); entry != NULL; entry = readdir(dir))
        count += entry->d_name[0] != '.';
    closedir(dir);
    return count;
#else
    (void)c;
    harness_skip("counting another process's descriptors needs Linux's /proc");
    return 0;
#endif
}

#ifdef __linux__
/** The number after @p field (such as "VmRSS:") in the child's /proc/PID/status. */
static long proc_status_number(struct child *c, const char *field)
{
    FILE *f = open_proc(c, "status");
    char line[256];
    long value = -1;
    size_t field_length = strlen(field);
    while (value < 0 && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, field_length) == 0)
            sscanf(line + field_length, "%ld", &value);
    }
    fclose(f);
    if (value < 0)
        harness_fail(__FILE__, __LINE__, "no %s line in /proc/%ld/status", field, (long)c->pid);
    return value;
}
#endif

long child_resident_kib(struct child *c)
{
#ifdef __linux__
    return proc_status_number(c, "VmRSS:"); /* "VmRSS:    1234 kB" */
#else
    (void)c;
    harness_skip("reading another process's resident memory needs Linux's /proc");
    return 0;
#endif
}

int child_thread_count(struct child *c)
{
#ifdef __linux__
    return (int)proc_status_number(c, "Threads:");
#else
    (void)c;
    harness_skip("counting another process's threads needs Linux's /proc");
    return 0;
#endif
}

long long child_cpu_time_ms(struct child *c)
{
#ifdef _WIN32
    FILETIME created, exited, kernel, user;
    if (!GetProcessTimes(c->process, &created, &exited, &kernel, &user))
        harness_fail(__FILE__, __LINE__, "GetProcessTimes failed: %lu", GetLastError());
    /* FILETIMEs count 100-nanosecond units. */
    unsigned long long k = ((unsigned long long)kernel.dwHighDateTime << 32) | kernel.dwLowDateTime;
    unsigned long long u = ((unsigned long long)user.dwHighDateTime << 32) | user.dwLowDateTime;
    return (long long)((k + u) / 10000);
#elif defined(__linux__)
    FILE *f = open_proc(c, "stat");
    char text[1024];
    size_t length = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[length] = '\0';
    /* "PID (NAME) STATE ..." where NAME may hold spaces: fields are counted after the last
     * ')'. utime and stime are fields 14 and 15, cutime and cstime (the time of its children
     * that ended and that it reaped) 16 and 17, in clock ticks. */
    const char *p = strrchr(text, ')');
    unsigned long long utime = 0, stime = 0;
    long long cutime = 0, cstime = 0;
    if (p == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &utime,
               &stime, &cutime, &cstime) != 4)
        harness_fail(__FILE__, __LINE__, "cannot read /proc/%ld/stat", (long)c->pid);
    long ticks = sysconf(_SC_CLK_TCK);
    unsigned long long total = utime + stime + (unsigned long long)(cutime + cstime);
    return (long long)(total * 1000ULL / (unsigned long long)(ticks > 0 ? ticks : 100));
#else
    (void)c;
    harness_skip("reading another process's processor time needs Linux's /proc or Windows");
    return 0;
#endif
}
