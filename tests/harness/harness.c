/**
 * @file harness.c
 * @brief Test selection, assertions and failure reports: see harness.h.
 */
#include "harness.h"
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#    include <signal.h>
#    include <sys/resource.h>
#endif

static const char *const *program_args;
static int program_count;

/* Defined in child.c: kills every child still running, after printing what it wrote if
 * @p dump is true. */
void child_kill_all(bool dump);

int harness_deadline_ms(void)
{
    static int deadline = 0;
    if (deadline == 0) {
        const char *text = getenv("HARNESS_DEADLINE_MS");
        long value = text != NULL ? strtol(text, NULL, 10) : 0;
        deadline = value >= 100 && value <= 600000 ? (int)value : 15000;
    }
    return deadline;
}

void harness_program_name(const char *path, char *name, size_t size)
{
    const char *base = path;
    for (const char *p = path; *p; p++) {
        if (*p == '/' || *p == '\\')
            base = p + 1;
    }
    snprintf(name, size, "%s", base);
    char *exe = strstr(name, ".exe");
    if (exe != NULL)
        *exe = '\0';
}

const char *harness_program(void)
{
    return harness_program_at(0);
}

int harness_program_count(void)
{
    return program_count;
}

int harness_count(const char *text, const char *needle)
{
    int count = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        count++;
    return count;
}

const char *harness_program_at(int index)
{
    if (index >= program_count)
        harness_fail(__FILE__, __LINE__, "the test needs program argument %d", index + 1);
    return program_args[index];
}

_Noreturn void harness_fail(const char *file, int line, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s:%d: FAILED: ", file, line);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    /* Why the test exists, in the learner's terms: after what went wrong, before the raw
     * output of the programs, which can be long. */
    const char *explains = getenv(HARNESS_EXPLAINS);
    if (explains != NULL && *explains != '\0')
        fprintf(stderr, "%s\n", explains);
    child_kill_all(true);
    fflush(stderr);
    exit(1);
}

_Noreturn void harness_skip(const char *reason)
{
    printf("SKIPPED: %s\n", reason);
    fflush(stdout);
    child_kill_all(false);
    exit(HARNESS_SKIPPED);
}

void harness_need_descriptors(unsigned long count)
{
#ifdef _WIN32
    (void)count; /* Windows has no per-process limit on sockets to raise */
#else
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur < (rlim_t)count) {
        char reason[128];
        snprintf(reason, sizeof reason,
                 "the test needs %lu descriptors and the system allows %lu (ulimit -Hn)", count,
                 (unsigned long)limit.rlim_cur);
        harness_skip(reason);
    }
#endif
}

bool harness_under_wine(void)
{
#ifdef _WIN32
    /* Wine's ntdll.dll exports wine_get_version(); Windows' does not. */
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
#else
    return false;
#endif
}

void harness_message_add(struct harness_message *message, const char *format, ...)
{
    size_t room = sizeof message->text - message->length;
    if (room <= 1)
        return;
    va_list args;
    va_start(args, format);
    int written = vsnprintf(message->text + message->length, room, format, args);
    va_end(args);
    if (written > 0)
        message->length += (size_t)written < room ? (size_t)written : room - 1;
}

/** Of a quoted text longer than both, the first QUOTED_HEAD and the last QUOTED_TAIL bytes
 *  show: enough to see how a line or an output starts and how it ends. */
#define QUOTED_HEAD 300
#define QUOTED_TAIL 500

void harness_message_add_quoted(struct harness_message *message, const char *data, size_t length)
{
    harness_message_add(message, "\"");
    for (size_t i = 0; i < length; i++) {
        if (i == QUOTED_HEAD && length > QUOTED_HEAD + QUOTED_TAIL) {
            harness_message_add(message, "\" ... %lu bytes left out ... \"",
                                (unsigned long)(length - QUOTED_HEAD - QUOTED_TAIL));
            i = length - QUOTED_TAIL;
        }
        unsigned char byte = (unsigned char)data[i];
        if (byte == '\n')
            harness_message_add(message, "\\n");
        else if (byte == '\r')
            harness_message_add(message, "\\r");
        else if (byte == '\t')
            harness_message_add(message, "\\t");
        else if (byte == '"' || byte == '\\')
            harness_message_add(message, "\\%c", byte);
        else if (byte < 0x20 || byte == 0x7f)
            harness_message_add(message, "\\x%02x", byte);
        else
            harness_message_add(message, "%c", byte); /* UTF-8 passes as it is */
    }
    harness_message_add(message, "\"");
}

/** Adds a string of an assertion, quoted, or (null). */
static void add_shown(struct harness_message *message, const char *s)
{
    if (s == NULL)
        harness_message_add(message, "(null)");
    else
        harness_message_add_quoted(message, s, strlen(s));
}

void harness_assert_str(const char *file, int line, const char *seen_text,
                        const char *expected_text, const char *seen, const char *expected,
                        enum harness_str_check check)
{
    bool ok = false;
    if (seen != NULL && expected != NULL) {
        switch (check) {
        case HARNESS_STR_EQUAL:
            ok = strcmp(seen, expected) == 0;
            break;
        case HARNESS_STR_NOT_EQUAL:
            ok = strcmp(seen, expected) != 0;
            break;
        case HARNESS_STR_CONTAINS:
            ok = strstr(seen, expected) != NULL;
            break;
        case HARNESS_STR_STARTS_WITH:
            ok = strncmp(seen, expected, strlen(expected)) == 0;
            break;
        case HARNESS_STR_NOT_CONTAINS:
            ok = strstr(seen, expected) == NULL;
            break;
        }
    }
    if (ok)
        return;
    /* The relation, and how the expected string reads after "expected:". */
    const char *relation = "";
    const char *before = "", *after = "";
    switch (check) {
    case HARNESS_STR_EQUAL:
        relation = "equals";
        break;
    case HARNESS_STR_NOT_EQUAL:
        relation = "differs from";
        before = "anything but ";
        break;
    case HARNESS_STR_CONTAINS:
        relation = "contains";
        after = " in it";
        break;
    case HARNESS_STR_STARTS_WITH:
        relation = "starts with";
        after = " at its start";
        break;
    case HARNESS_STR_NOT_CONTAINS:
        relation = "does not contain";
        before = "no ";
        after = " in it";
        break;
    }
    static struct harness_message message;
    harness_message_add(&message, "`%s` %s `%s`\n  seen:     ", seen_text, relation, expected_text);
    add_shown(&message, seen);
    harness_message_add(&message, "\n  expected: %s", before);
    add_shown(&message, expected);
    harness_message_add(&message, "%s", after);
    harness_fail(file, line, "%s", message.text);
}

long long harness_now_ms(void)
{
    return net_now_ms();
}

void harness_fill_random(char *buf, size_t length, unsigned seed)
{
    /* xorshift32: enough to make every byte position distinct in practice. */
    unsigned state = seed ? seed : 1u;
    for (size_t i = 0; i < length; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        buf[i] = (char)(state & 0xff);
    }
}

int harness_main(int argc, char **argv, const struct test_case *tests, size_t count)
{
    /* Says "the test program did start" to whoever ran it and asked, by the file named in
     * HARNESS_STARTED_FILE: cmake/wine_run.sh tells a test that failed from a Wine that
     * failed to start it. */
    const char *started = getenv("HARNESS_STARTED_FILE");
    if (started != NULL) {
        FILE *f = fopen(started, "w");
        if (f != NULL)
            fclose(f);
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s TEST [PROGRAM...]\ntests:\n", argv[0]);
        for (size_t i = 0; i < count; i++)
            fprintf(stderr, "  %s\n", tests[i].name);
        return 2;
    }
    program_args = (const char *const *)argv + 2;
    program_count = argc - 2;
#ifndef _WIN32
    /* A child that exits while we write to its stdin must not kill the harness. */
    signal(SIGPIPE, SIG_IGN);
    /* Tests with a thousand clients need a descriptor each, and so do the servers they
     * start (which inherit the limit): raise the soft limit to what the system allows. */
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
#endif
    if (net_startup() != 0)
        return 1;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(tests[i].name, argv[1]) == 0) {
            tests[i].run();
            child_kill_all(false); /* tests free their children; this catches any left over */
            net_cleanup();
            printf("PASSED: %s\n", tests[i].name);
            return 0;
        }
    }
    fprintf(stderr, "no test named '%s'\n", argv[1]);
    return 2;
}
