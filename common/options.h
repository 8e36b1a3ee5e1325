/**
 * @file options.h
 * @brief The command line shared by every program: `--help`, `--host`, `--port` and the
 *        few options that later steps add, validated strictly.
 *
 * A step parses its command line in one call:
 * @code
 *     struct options opts;
 *     if (!options_parse(argc, argv, OPTIONS_ADDRESS, "Binds a TCP socket.", &opts))
 *         return opts.exit_status;
 * @endcode
 * A program that takes `--max-clients` or `--idle-timeout` sets its own default in the field
 * first (`opts.idle_timeout = 60;`); `--help` shows it.
 * A bad value is a usage error that names the option and the value, with exit code
 * #NET_EXIT_USAGE; `--help` prints the usage and exits with #NET_EXIT_OK.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>

/** The default host: loopback only, so nothing is exposed by accident and Windows shows no
 *  firewall prompt. Use `--host ::1` for IPv6, `--host 0.0.0.0` for every interface. */
#define OPTIONS_DEFAULT_HOST "127.0.0.1"
/** The default port, the Winsock tutorial's `DEFAULT_PORT`. */
#define OPTIONS_DEFAULT_PORT "27015"

/** Which options a program accepts, besides `--help`; combine with `|`. */
enum options_accepted {
    OPTIONS_NONE = 0,              /**< only `--help` */
    OPTIONS_ADDRESS = 1 << 0,      /**< `--host HOST` and `--port PORT` */
    OPTIONS_CLIENTS = 1 << 1,      /**< `--clients N`: stop after serving N clients */
    OPTIONS_MAX_CLIENTS = 1 << 2,  /**< `--max-clients N`: at most N clients at once */
    OPTIONS_IDLE_TIMEOUT = 1 << 3, /**< `--idle-timeout SECONDS` */
    OPTIONS_MESSAGE = 1 << 4,      /**< `MESSAGE...` arguments after the options */
    OPTIONS_TO_SERVER = 1 << 5,    /**< with #OPTIONS_ADDRESS: the server to connect to, so
                                        `--port` must be 1-65535 (0 only means "any" to bind) */
    OPTIONS_ALLOW = 1 << 6         /**< `--allow NETWORK`, repeatable: the values as given */
};

/** How many `--allow` options a command line may hold. */
#define OPTIONS_MAX_ALLOW 16

/** The parsed command line. Options not given keep their defaults. */
struct options {
    const char *host; /**< `--host`; default #OPTIONS_DEFAULT_HOST */
    const char
        *port; /**< `--port`, checked to be a decimal 0-65535; default #OPTIONS_DEFAULT_PORT */
    unsigned long clients;      /**< `--clients`; 0 (the default) means no limit */
    unsigned long max_clients;  /**< `--max-clients`; its default is the caller's, set before */
    unsigned long idle_timeout; /**< `--idle-timeout` in seconds; its default is the caller's */
    const char *allow[OPTIONS_MAX_ALLOW]; /**< the `--allow` values as given, in order: the
                                               program checks them itself */
    int allow_count;                      /**< how many `--allow` options were given */
    int message_index;                    /**< index in argv of the first `MESSAGE` argument */
    int message_count;                    /**< how many `MESSAGE` arguments follow it */
    int exit_status;                      /**< when options_parse() returns false: the exit code */
};

/**
 * @brief Parses and validates the command line; sets the program name for reports.
 *
 * Options take their value as the next argument or after `=` (`--port 0`, `--port=0`).
 * `--` ends the options. Anything not in @p accepted is a usage error.
 *
 * @param argc the argument count, as passed to `main()`.
 * @param argv the arguments, as passed to `main()`.
 * @param accepted the options this program takes (`OPTIONS_ADDRESS | ...`).
 * @param summary one sentence for `--help` that says what the program does.
 * @param opts filled in with the values, or the defaults; when @p accepted includes
 *        #OPTIONS_MAX_CLIENTS or #OPTIONS_IDLE_TIMEOUT, the caller sets that field to its
 *        default before the call.
 * @return true if the program should run; false if it should exit at once with
 *         `opts->exit_status`: #NET_EXIT_OK after `--help`, #NET_EXIT_USAGE after a usage
 *         error (already reported on stderr).
 */
bool options_parse(int argc, char **argv, unsigned accepted, const char *summary,
                   struct options *opts);

#endif /* OPTIONS_H */
