/**
 * @file options.c
 * @brief Command-line parsing and validation: see options.h.
 */
#include "options.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

/** One option: its name, the flag that enables it, its value's placeholder and help text. */
struct option_spec {
    const char *name;
    unsigned flag;
    const char *value_name;
    const char *help;
};

static const struct option_spec option_specs[] = {
    {"--host", OPTIONS_ADDRESS, "HOST",
     "address or name to use (default " OPTIONS_DEFAULT_HOST "; ::1 for IPv6)"},
    {"--port", OPTIONS_ADDRESS, "PORT",
     "TCP port, 0-65535 (default " OPTIONS_DEFAULT_PORT "; 0 lets the system choose)"},
    {"--clients", OPTIONS_CLIENTS, "N", "stop after serving N clients (default: no limit)"},
    {"--max-clients", OPTIONS_MAX_CLIENTS, "N", "serve at most N clients at once"},
    {"--idle-timeout", OPTIONS_IDLE_TIMEOUT, "SECONDS",
     "close a client when nothing moved for SECONDS"},
    {"--allow", OPTIONS_ALLOW, "NETWORK",
     "serve only clients in NETWORK: ADDRESS or ADDRESS/BITS; repeatable (default: all)"},
};

/** The help of `--host` and `--port` when they name the server to connect to. */
static const struct option_spec server_specs[] = {
    {"--host", OPTIONS_ADDRESS, "HOST",
     "the server's address or name (default " OPTIONS_DEFAULT_HOST ")"},
    {"--port", OPTIONS_ADDRESS, "PORT",
     "the server's TCP port, 1-65535 (default " OPTIONS_DEFAULT_PORT ")"},
};

#define OPTION_COUNT (sizeof option_specs / sizeof option_specs[0])

static void print_usage(unsigned accepted, const char *summary, const struct options *defaults)
{
    printf("Usage: %s", report_program_name());
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (accepted & option_specs[i].flag)
            printf(" [%s %s]", option_specs[i].name, option_specs[i].value_name);
    }
    printf("%s\n%s\n\nOptions:\n", (accepted & OPTIONS_MESSAGE) ? " [MESSAGE...]" : "", summary);
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option_spec *spec = &option_specs[i];
        char help[160];
        if (!(accepted & spec->flag))
            continue;
        if ((accepted & OPTIONS_TO_SERVER) && i < sizeof server_specs / sizeof server_specs[0])
            spec = &server_specs[i];
        /* These two show the program's own default. */
        if (spec->flag == OPTIONS_MAX_CLIENTS)
            snprintf(help, sizeof help, "%s (default: %lu)", spec->help, defaults->max_clients);
        else if (spec->flag == OPTIONS_IDLE_TIMEOUT)
            snprintf(help, sizeof help, "%s (default: %lu)", spec->help, defaults->idle_timeout);
        else
            snprintf(help, sizeof help, "%s", spec->help);
        printf("  %-14s %-7s %s\n", spec->name, spec->value_name, help);
    }
    printf("  %-22s %s\n", "--help", "show this help and exit");
}

/** True if @p text is a decimal number no larger than @p max; stores it in @p value. */
static bool parse_decimal(const char *text, unsigned long max, unsigned long *value)
{
    unsigned long result = 0;
    if (*text == '\0')
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        result = result * 10 + (unsigned long)(*p - '0');
        if (result > max)
            return false;
    }
    *value = result;
    return true;
}

/** Validates and stores one option's value; reports and returns false if it is bad. */
static bool store_value(const char *name, const char *value, unsigned accepted,
                        struct options *opts)
{
    unsigned long number = 0;
    if (strcmp(name, "--host") == 0) {
        if (*value == '\0') {
            report_message("invalid --host value '': expected an address or a name (see --help)");
            return false;
        }
        opts->host = value;
    } else if (strcmp(name, "--port") == 0) {
        unsigned long lowest = (accepted & OPTIONS_TO_SERVER) ? 1 : 0;
        if (!parse_decimal(value, 65535, &number) || number < lowest) {
            report_message("invalid --port value '%s': expected a decimal number from %lu to "
                           "65535 (see --help)",
                           value, lowest);
            return false;
        }
        opts->port = value;
    } else if (strcmp(name, "--allow") == 0) {
        /* Only collected here: the program that takes --allow checks each value itself. */
        if (opts->allow_count == OPTIONS_MAX_ALLOW) {
            report_message("too many --allow options: at most %d (see --help)", OPTIONS_MAX_ALLOW);
            return false;
        }
        opts->allow[opts->allow_count++] = value;
    } else {
        if (!parse_decimal(value, 1000000, &number) || number == 0) {
            report_message("invalid %s value '%s': expected a whole number from 1 to 1000000 "
                           "(see --help)",
                           name, value);
            return false;
        }
        if (strcmp(name, "--clients") == 0)
            opts->clients = number;
        else if (strcmp(name, "--max-clients") == 0)
            opts->max_clients = number;
        else
            opts->idle_timeout = number;
    }
    return true;
}

/** The accepted option called @p name (which may end in `=value`), or NULL. */
static const struct option_spec *find_option(const char *arg, unsigned accepted)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        size_t length = strlen(option_specs[i].name);
        if ((accepted & option_specs[i].flag) && strncmp(arg, option_specs[i].name, length) == 0 &&
            (arg[length] == '\0' || arg[length] == '='))
            return &option_specs[i];
    }
    return NULL;
}

bool options_parse(int argc, char **argv, unsigned accepted, const char *summary,
                   struct options *opts)
{
    /* The caller's defaults of the options it takes; every other field starts at zero. */
    unsigned long max_clients = (accepted & OPTIONS_MAX_CLIENTS) ? opts->max_clients : 0;
    unsigned long idle_timeout = (accepted & OPTIONS_IDLE_TIMEOUT) ? opts->idle_timeout : 0;
    memset(opts, 0, sizeof *opts);
    opts->max_clients = max_clients;
    opts->idle_timeout = idle_timeout;
    opts->host = OPTIONS_DEFAULT_HOST;
    opts->port = OPTIONS_DEFAULT_PORT;
    opts->exit_status = NET_EXIT_USAGE;
    report_set_program_name(argc > 0 ? argv[0] : "program");

    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(accepted, summary, opts);
            opts->exit_status = NET_EXIT_OK;
            return false;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break; /* the first argument that is not an option */
        const struct option_spec *spec = find_option(arg, accepted);
        if (spec == NULL) {
            report_message("unknown option '%s' (see --help)", arg);
            return false;
        }
        const char *value = strchr(arg, '=');
        if (value != NULL) {
            value++;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            report_message("option '%s' needs a value (see --help)", arg);
            return false;
        }
        if (!store_value(spec->name, value, accepted, opts))
            return false;
    }
    if (i < argc && !(accepted & OPTIONS_MESSAGE)) {
        report_message("unexpected argument '%s' (see --help)", argv[i]);
        return false;
    }
    opts->message_index = i;
    opts->message_count = argc - i;
    opts->exit_status = NET_EXIT_OK;
    return true;
}
