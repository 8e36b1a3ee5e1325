/**
 * @file report.c
 * @brief Error names, error texts and the uniform report: see report.h.
 */
#include "report.h"
#include "net.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/** One row of an error table: the code, its symbolic name, and what it means in brief. */
struct error_entry {
    int code;
    const char *name;
    const char *meaning; /**< used on Windows when the system has no text for the code */
};

/** A table row whose name is the macro's own spelling. */
#define ERROR_ENTRY(code, meaning)                                                                 \
    {                                                                                              \
        code, #code, meaning                                                                       \
    }

#ifdef _WIN32
static const struct error_entry socket_errors[] = {
    ERROR_ENTRY(WSAEINTR, "A blocking call was interrupted"),
    ERROR_ENTRY(WSAEBADF, "The file handle is not valid"),
    ERROR_ENTRY(WSAEACCES, "Access to the socket was denied"),
    ERROR_ENTRY(WSAEFAULT, "A pointer argument was not valid"),
    ERROR_ENTRY(WSAEINVAL, "An argument was not valid"),
    ERROR_ENTRY(WSAEMFILE, "Too many open sockets"),
    ERROR_ENTRY(WSAEWOULDBLOCK, "The operation would block"),
    ERROR_ENTRY(WSAEINPROGRESS, "A blocking operation is in progress"),
    ERROR_ENTRY(WSAEALREADY, "An operation is already in progress on this socket"),
    ERROR_ENTRY(WSAENOTSOCK, "The handle is not a socket"),
    ERROR_ENTRY(WSAEDESTADDRREQ, "A destination address is required"),
    ERROR_ENTRY(WSAEMSGSIZE, "The message is too long"),
    ERROR_ENTRY(WSAEPROTOTYPE, "The protocol does not fit the socket type"),
    ERROR_ENTRY(WSAENOPROTOOPT, "Unknown or unsupported socket option"),
    ERROR_ENTRY(WSAEPROTONOSUPPORT, "The protocol is not supported"),
    ERROR_ENTRY(WSAESOCKTNOSUPPORT, "The socket type is not supported"),
    ERROR_ENTRY(WSAEOPNOTSUPP, "The operation is not supported on this socket"),
    ERROR_ENTRY(WSAEPFNOSUPPORT, "The protocol family is not supported"),
    ERROR_ENTRY(WSAEAFNOSUPPORT, "The address family is not supported"),
    ERROR_ENTRY(WSAEADDRINUSE, "The address is already in use"),
    ERROR_ENTRY(WSAEADDRNOTAVAIL, "The address is not available on this machine"),
    ERROR_ENTRY(WSAENETDOWN, "The network is down"),
    ERROR_ENTRY(WSAENETUNREACH, "The network is unreachable"),
    ERROR_ENTRY(WSAENETRESET, "The connection was reset by the network"),
    ERROR_ENTRY(WSAECONNABORTED, "The connection was aborted on this machine"),
    ERROR_ENTRY(WSAECONNRESET, "The connection was reset by the peer"),
    ERROR_ENTRY(WSAENOBUFS, "No buffer space is available"),
    ERROR_ENTRY(WSAEISCONN, "The socket is already connected"),
    ERROR_ENTRY(WSAENOTCONN, "The socket is not connected"),
    ERROR_ENTRY(WSAESHUTDOWN, "The socket has been shut down in that direction"),
    ERROR_ENTRY(WSAETIMEDOUT, "The connection timed out"),
    ERROR_ENTRY(WSAECONNREFUSED, "The connection was refused: nothing listens on that port"),
    ERROR_ENTRY(WSAEHOSTDOWN, "The host is down"),
    ERROR_ENTRY(WSAEHOSTUNREACH, "The host is unreachable"),
    ERROR_ENTRY(WSAEPROCLIM, "Too many processes use Winsock"),
    ERROR_ENTRY(WSASYSNOTREADY, "The network subsystem is not ready"),
    ERROR_ENTRY(WSAVERNOTSUPPORTED, "The requested Winsock version is not supported"),
    ERROR_ENTRY(WSANOTINITIALISED, "WSAStartup has not been called"),
    ERROR_ENTRY(WSAEDISCON, "The peer is shutting the connection down"),
    ERROR_ENTRY(WSATYPE_NOT_FOUND, "The class type was not found"),
    ERROR_ENTRY(WSAHOST_NOT_FOUND, "No such host is known"),
    ERROR_ENTRY(WSATRY_AGAIN, "The name server did not answer; try again later"),
    ERROR_ENTRY(WSANO_RECOVERY, "The name lookup failed for good"),
    ERROR_ENTRY(WSANO_DATA, "The name exists but has no address of the requested kind"),
    ERROR_ENTRY(WSA_NOT_ENOUGH_MEMORY, "Not enough memory"),
    ERROR_ENTRY(WSA_INVALID_PARAMETER, "A parameter was not valid"),
    ERROR_ENTRY(WSA_OPERATION_ABORTED, "The overlapped operation was aborted"),
};
#else
/* Some codes are absent on some systems; the #ifdefs keep the table portable. On Linux
 * EWOULDBLOCK equals EAGAIN, so the first of the two names wins. */
static const struct error_entry socket_errors[] = {
    ERROR_ENTRY(EINTR, NULL),           ERROR_ENTRY(EBADF, NULL),
    ERROR_ENTRY(EACCES, NULL),          ERROR_ENTRY(EPERM, NULL),
    ERROR_ENTRY(EFAULT, NULL),          ERROR_ENTRY(EINVAL, NULL),
    ERROR_ENTRY(EMFILE, NULL),          ERROR_ENTRY(ENFILE, NULL),
    ERROR_ENTRY(ENOMEM, NULL),          ERROR_ENTRY(EAGAIN, NULL),
    ERROR_ENTRY(EWOULDBLOCK, NULL),     ERROR_ENTRY(EINPROGRESS, NULL),
    ERROR_ENTRY(EALREADY, NULL),        ERROR_ENTRY(ENOTSOCK, NULL),
    ERROR_ENTRY(EDESTADDRREQ, NULL),    ERROR_ENTRY(EMSGSIZE, NULL),
    ERROR_ENTRY(EPROTOTYPE, NULL),      ERROR_ENTRY(ENOPROTOOPT, NULL),
    ERROR_ENTRY(EPROTONOSUPPORT, NULL), ERROR_ENTRY(EOPNOTSUPP, NULL),
    ERROR_ENTRY(EAFNOSUPPORT, NULL),    ERROR_ENTRY(EADDRINUSE, NULL),
    ERROR_ENTRY(EADDRNOTAVAIL, NULL),   ERROR_ENTRY(ENETDOWN, NULL),
    ERROR_ENTRY(ENETUNREACH, NULL),     ERROR_ENTRY(ENETRESET, NULL),
    ERROR_ENTRY(ECONNABORTED, NULL),    ERROR_ENTRY(ECONNRESET, NULL),
    ERROR_ENTRY(ENOBUFS, NULL),         ERROR_ENTRY(EISCONN, NULL),
    ERROR_ENTRY(ENOTCONN, NULL),        ERROR_ENTRY(ETIMEDOUT, NULL),
    ERROR_ENTRY(ECONNREFUSED, NULL),    ERROR_ENTRY(EHOSTUNREACH, NULL),
    ERROR_ENTRY(EPIPE, NULL),           ERROR_ENTRY(EPROTO, NULL),
#    ifdef ESHUTDOWN
    ERROR_ENTRY(ESHUTDOWN, NULL),
#    endif
#    ifdef EHOSTDOWN
    ERROR_ENTRY(EHOSTDOWN, NULL),
#    endif
#    ifdef ENONET
    ERROR_ENTRY(ENONET, NULL),
#    endif
#    ifdef ENOSR
    ERROR_ENTRY(ENOSR, NULL),
#    endif
    ERROR_ENTRY(ENOSYS, NULL),          ERROR_ENTRY(EBUSY, NULL),
    ERROR_ENTRY(ESRCH, NULL),           ERROR_ENTRY(ECHILD, NULL),
    ERROR_ENTRY(ENOENT, NULL),          ERROR_ENTRY(EIO, NULL),
};

/* getaddrinfo() and getnameinfo() return these instead of setting errno. */
static const struct error_entry resolver_errors[] = {
    ERROR_ENTRY(EAI_AGAIN, NULL),    ERROR_ENTRY(EAI_BADFLAGS, NULL), ERROR_ENTRY(EAI_FAIL, NULL),
    ERROR_ENTRY(EAI_FAMILY, NULL),   ERROR_ENTRY(EAI_MEMORY, NULL),   ERROR_ENTRY(EAI_NONAME, NULL),
    ERROR_ENTRY(EAI_SERVICE, NULL),  ERROR_ENTRY(EAI_SOCKTYPE, NULL), ERROR_ENTRY(EAI_SYSTEM, NULL),
    ERROR_ENTRY(EAI_OVERFLOW, NULL),
};
#endif

/** Looks a code up in a table; NULL when it is not there. */
static const struct error_entry *find_error(const struct error_entry *table, size_t count, int code)
{
    for (size_t i = 0; i < count; i++) {
        if (table[i].code == code)
            return &table[i];
    }
    return NULL;
}

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

static char program_name[64] = "program";

void report_set_program_name(const char *argv0)
{
    const char *base = argv0;
    for (const char *p = argv0; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\')
            base = p + 1;
    }
    size_t length = strlen(base);
    if (length > 4 &&
        (strcmp(base + length - 4, ".exe") == 0 || strcmp(base + length - 4, ".EXE") == 0))
        length -= 4;
    if (length >= sizeof program_name)
        length = sizeof program_name - 1;
    if (length == 0)
        return;
    memcpy(program_name, base, length);
    program_name[length] = '\0';
}

const char *report_program_name(void)
{
    return program_name;
}

int net_last_error(void)
{
#ifdef _WIN32
    return WSAGetLastError();
#else
    return errno;
#endif
}

const char *net_error_name(int code)
{
    const struct error_entry *entry = find_error(socket_errors, COUNT_OF(socket_errors), code);
    return entry ? entry->name : "unknown error";
}

#ifndef _WIN32
/* strerror_r() comes in two versions with one name. The XSI one (POSIX) returns 0 and fills
 * the buffer; the GNU one (glibc with _GNU_SOURCE) returns a pointer to the text, which may
 * be a static string and not the buffer. _Generic picks the right reading from the type of
 * the result, without calling strerror_r() a second time. */
static const char *xsi_strerror_text(int result, char *buf, size_t size, int code)
{
    if (result != 0)
        snprintf(buf, size, "Unknown error %d", code);
    return buf;
}

static const char *gnu_strerror_text(const char *result, char *buf, size_t size, int code)
{
    snprintf(buf, size, "%s", result != NULL ? result : "Unknown error");
    (void)code;
    return buf;
}
#endif

const char *net_error_text(int code, char *buf, size_t size)
{
    if (size == 0)
        return buf;
#ifdef _WIN32
    /* The wide version: its text is Unicode, converted here for where it is going. The "A"
     * version would give the text in the ANSI code page, which a console (whose code page
     * is the OEM one) shows wrongly in most languages other than English. */
    wchar_t wide[512];
    DWORD length = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                                  (DWORD)code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), wide,
                                  (DWORD)(sizeof wide / sizeof wide[0]), NULL);
    /* System messages end in ".\r\n"; the report adds its own line break. */
    while (length > 0 && (wide[length - 1] == L'\n' || wide[length - 1] == L'\r' ||
                          wide[length - 1] == L' ' || wide[length - 1] == L'.'))
        wide[--length] = L'\0';
    int converted = 0;
    if (length > 0) {
        /* A console shows bytes in its output code page; a file or a pipe gets UTF-8. */
        DWORD mode;
        UINT code_page =
            GetConsoleMode(GetStdHandle(STD_ERROR_HANDLE), &mode) ? GetConsoleOutputCP() : CP_UTF8;
        converted = WideCharToMultiByte(code_page, 0, wide, -1, buf, (int)size, NULL, NULL);
    }
    if (converted == 0) {
        /* No text (Wine has none for most Winsock codes), or it did not fit. */
        const struct error_entry *entry = find_error(socket_errors, COUNT_OF(socket_errors), code);
        const char *meaning = entry ? entry->meaning : "No description is available";
        snprintf(buf, size, "%s", meaning);
    }
#else
    /* strerror() may use a shared buffer; strerror_r() is safe when several threads
     * report at once. */
    _Generic(strerror_r(code, buf, size), int: xsi_strerror_text, char *: gnu_strerror_text)(
        strerror_r(code, buf, size), buf, size, code);
#endif
    return buf;
}

/**
 * Writes one report: `PROGRAM: ` and the formatted text, with every control character of
 * the text escaped (`\n`, `\t`, `\xHH`), then a line break, in a single write.
 *
 * One write, because several threads (step 12) or processes may report at once: stderr is
 * unbuffered, so each fprintf() call would reach the terminal as a write of its own, and
 * the pieces of two reports would interleave. Escaped, because a report may quote what the
 * user typed (an option's value, a host name) and a line break in it would forge a second
 * report line.
 */
static void write_report(const char *format, va_list args)
{
    char text[1024];
    char line[2048];
    size_t n = 0;
    vsnprintf(text, sizeof text, format, args);
    n = (size_t)snprintf(line, sizeof line, "%s: ", program_name);
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (n + 6 >= sizeof line)
            break; /* room for "\xHH" and the line break */
        if (*p == '\n') {
            line[n++] = '\\';
            line[n++] = 'n';
        } else if (*p == '\t') {
            line[n++] = '\\';
            line[n++] = 't';
        } else if (*p < 0x20 || *p == 0x7f) {
            n += (size_t)snprintf(line + n, sizeof line - n, "\\x%02x", *p);
        } else {
            line[n++] = (char)*p;
        }
    }
    line[n++] = '\n';
    fwrite(line, 1, n, stderr);
    fflush(stderr);
}

/** Writes a report from a format and its arguments. */
static void report_line(const char *format, ...) REPORT_PRINTF_FORMAT(1, 2);
static void report_line(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    write_report(format, args);
    va_end(args);
}

/** Prints one failure report: `PROGRAM: CALL failed: NAME (CODE): TEXT`. */
static void print_report(const char *call, const char *name, int code, const char *text)
{
    report_line("%s failed: %s (%d): %s", call, name, code, text);
}

void report_error_code(const char *call, int code)
{
    char text[256];
    print_report(call, net_error_name(code), code, net_error_text(code, text, sizeof text));
}

void report_socket_error(const char *call)
{
    report_error_code(call, net_last_error());
}

/** The name and text of a resolver error; POSIX's EAI_SYSTEM stands for the errno beside it. */
static void gai_error_parts(int *code, const char **name, const char **text, char *text_buf,
                            size_t text_size)
{
#ifdef _WIN32
    /* Winsock's getaddrinfo() returns ordinary Winsock codes (EAI_NONAME is
     * WSAHOST_NOT_FOUND), so they are named like any other. */
    *name = net_error_name(*code);
    *text = net_error_text(*code, text_buf, text_size);
#else
    if (*code == EAI_SYSTEM) {
        *code = errno;
        *name = net_error_name(*code);
        *text = net_error_text(*code, text_buf, text_size);
        return;
    }
    const struct error_entry *entry = find_error(resolver_errors, COUNT_OF(resolver_errors), *code);
    *name = entry ? entry->name : "unknown error";
    *text = gai_strerror(*code);
    (void)text_buf;
    (void)text_size;
#endif
}

void report_gai_error(const char *call, int code)
{
    const char *name;
    const char *text;
    char text_buf[256];
    gai_error_parts(&code, &name, &text, text_buf, sizeof text_buf);
    print_report(call, name, code, text);
}

const char *report_describe_gai_error(int code, char *buf, size_t size)
{
    const char *name;
    const char *text;
    char text_buf[256];
    gai_error_parts(&code, &name, &text, text_buf, sizeof text_buf);
    snprintf(buf, size, "%s (%d): %s", name, code, text);
    return buf;
}

void report_message(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    write_report(format, args);
    va_end(args);
}
