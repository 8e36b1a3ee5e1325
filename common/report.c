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

const char *net_error_text(int code, char *buf, size_t size)
{
    if (size == 0)
        return buf;
#ifdef _WIN32
    DWORD length = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                                  (DWORD)code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), buf,
                                  (DWORD)size, NULL);
    /* System messages end in ".\r\n"; the report adds its own line break. */
    while (length > 0 && (buf[length - 1] == '\n' || buf[length - 1] == '\r' ||
                          buf[length - 1] == ' ' || buf[length - 1] == '.'))
        buf[--length] = '\0';
    if (length == 0) {
        const struct error_entry *entry = find_error(socket_errors, COUNT_OF(socket_errors), code);
        const char *meaning = entry ? entry->meaning : "No description is available";
        snprintf(buf, size, "%s", meaning);
    }
#else
    /* strerror() may use a shared buffer; strerror_r() (the XSI version, selected by
     * _POSIX_C_SOURCE) is safe when several threads report at once. */
    if (strerror_r(code, buf, size) != 0)
        snprintf(buf, size, "Unknown error %d", code);
#endif
    return buf;
}

/** Prints one report line: `PROGRAM: CALL failed: NAME (CODE): TEXT`. */
static void print_report(const char *call, const char *name, int code, const char *text)
{
    fprintf(stderr, "%s: %s failed: %s (%d): %s\n", program_name, call, name, code, text);
    fflush(stderr);
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

void report_gai_error(const char *call, int code)
{
#ifdef _WIN32
    /* Winsock's getaddrinfo() returns ordinary Winsock codes (EAI_NONAME is
     * WSAHOST_NOT_FOUND), so they are reported like any other. */
    report_error_code(call, code);
#else
    if (code == EAI_SYSTEM) {
        report_error_code(call, errno);
        return;
    }
    const struct error_entry *entry = find_error(resolver_errors, COUNT_OF(resolver_errors), code);
    print_report(call, entry ? entry->name : "unknown error", code, gai_strerror(code));
#endif
}

void report_message(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s: ", program_name);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    fflush(stderr);
}
