/**
 * @file bench_chart.c
 * @brief Draws the benchmark's results.csv (from echo_bench --suite) as SVG bar charts, one
 *        bar per server, grouped by connection count.
 *
 * Usage: bench_chart results.csv DIR
 *
 * Writes into DIR:
 * - round_trips.svg: ping-pong round trips per second;
 * - p99.svg: ping-pong latency, 99th percentile (a logarithmic axis: it spans microseconds to
 *   seconds);
 * - stream.svg: stream throughput, MiB/s;
 * - connect_close.svg: connect/echo/close, connections per second, by connections in flight;
 * - idle_memory.svg: the server's resident memory per idle connection (where measured);
 * - chart.svg: round trips and stream side by side, the overview;
 * - tables.html: the same figures as HTML tables, with the latencies, the connections served
 *   and the failures, for a page to include (the docs' \\htmlinclude).
 * Every chart names the build type and the machine's core count from the CSV. A bar of a
 * server that served fewer connections than were open says how many it served, and one with
 * failures says how many, so that a fast figure bought by leaving clients waiting shows.
 *
 * Plain SVG written with fprintf: no library and no script language in the build.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS    256
#define MAX_SERVERS 8
#define MAX_GROUPS  8

/** One line of results.csv; a field the test does not have reads as 0. */
struct row {
    char build[32];
    int cores;
    char server[64];
    char test[32];
    int connections;
    double value, p50, p99, longest;
    int served, of, failures, retries;
    long rss_before_kib, rss_after_kib;
};

static struct row rows[MAX_ROWS];
static int row_count;
static char servers[MAX_SERVERS][64];
static int server_count;

/** Colours of the servers' bars, in order of first appearance. */
static const char *const colours[MAX_SERVERS] = {"#e07b39", "#3b7dd8", "#4caf50", "#8e44ad",
                                                 "#9e9e9e", "#c0392b", "#16a085", "#7f8c8d"};

/** What a chart shows of the rows of one test. */
enum metric { VALUE, P99 };

/** How a figure is written on a bar or an axis. */
enum format { COUNT, MIB, TIME_US, BYTES };

struct chart {
    const char *file;
    const char *title;
    const char *test; /**< the rows of this test */
    enum metric metric;
    enum format format;
    int log_scale;
    const char *group_label; /**< what follows the count in a group's label */
    int show_served;         /**< label bars that left connections unserved */
};

static int index_of_server(const char *name)
{
    for (int i = 0; i < server_count; i++) {
        if (strcmp(servers[i], name) == 0)
            return i;
    }
    if (server_count == MAX_SERVERS)
        return -1;
    snprintf(servers[server_count], sizeof servers[0], "%s", name);
    return server_count++;
}

/** Splits @p line at commas in place; empty fields stay empty strings. */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static int read_csv(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    char line[1024];
    if (fgets(line, sizeof line, f) == NULL) { /* the header */
        fclose(f);
        return -1;
    }
    while (row_count < MAX_ROWS && fgets(line, sizeof line, f) != NULL) {
        char *v[18];
        int fields = split(line, v, 18);
        if (fields < 14)
            continue;
        struct row *r = &rows[row_count];
        snprintf(r->build, sizeof r->build, "%.31s", v[0]);
        r->cores = atoi(v[1]);
        snprintf(r->server, sizeof r->server, "%.63s", v[2]);
        snprintf(r->test, sizeof r->test, "%.31s", v[3]);
        r->connections = atoi(v[4]);
        r->value = atof(v[5]);
        r->p50 = atof(v[7]);
        r->p99 = atof(v[8]);
        r->longest = atof(v[9]);
        r->served = atoi(v[10]);
        r->of = atoi(v[11]);
        r->failures = atoi(v[12]);
        r->retries = atoi(v[13]);
        r->rss_before_kib = fields > 15 ? atol(v[14]) : 0;
        r->rss_after_kib = fields > 15 ? atol(v[15]) : 0;
        if (index_of_server(r->server) < 0)
            continue;
        row_count++;
    }
    fclose(f);
    return row_count > 0 ? 0 : -1;
}

static double figure(const struct row *r, enum metric metric)
{
    return metric == P99 ? r->p99 : r->value;
}

/** A round number at or above @p value, for the top of an axis of five steps: 1, 1.5, 2,
 *  2.5, 3, 4, 5, 6 or 8 times 10^n, so that the tallest bar fills most of the height. */
static double nice_ceiling(double value)
{
    static const double factors[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    double step = 1;
    while (step * 10 <= value)
        step *= 10;
    while (step > value && step > 1e-9)
        step /= 10;
    for (size_t i = 0; i < sizeof factors / sizeof factors[0]; i++) {
        if (value <= factors[i] * step)
            return factors[i] * step;
    }
    return 10 * step;
}

/** Writes a figure shortly: 950, 12.3k, 1.2M; 85 µs, 12 ms; 183 B, 12.4 kB. */
static const char *format_figure(double v, enum format format, char *buf, size_t size)
{
    switch (format) {
    case MIB:
        snprintf(buf, size, v >= 100 || v == 0 ? "%.0f" : "%.1f", v);
        break;
    case TIME_US:
        if (v < 1000)
            snprintf(buf, size, "%.0f µs", v);
        else if (v < 1e6)
            snprintf(buf, size, v < 1e4 ? "%.1f ms" : "%.0f ms", v / 1000);
        else
            snprintf(buf, size, "%.1f s", v / 1e6);
        break;
    case BYTES: /* decimal kilobytes: the axis steps are round numbers of bytes */
        if (v < 1000)
            snprintf(buf, size, "%.0f B", v);
        else
            snprintf(buf, size, "%.1f kB", v / 1000);
        break;
    default:
        if (v >= 1e6)
            snprintf(buf, size, "%.1fM", v / 1e6);
        else if (v >= 1e4)
            snprintf(buf, size, "%.0fk", v / 1e3);
        else if (v >= 1e3)
            snprintf(buf, size, "%.1fk", v / 1e3);
        else
            snprintf(buf, size, "%.0f", v);
        break;
    }
    return buf;
}

/** The connection counts of a test's rows, in order of first appearance. */
static int groups_of(const char *test, int *groups)
{
    int n = 0;
    for (int i = 0; i < row_count; i++) {
        if (strcmp(rows[i].test, test) != 0)
            continue;
        int known = 0;
        for (int g = 0; g < n; g++)
            known |= groups[g] == rows[i].connections;
        if (!known && n < MAX_GROUPS)
            groups[n++] = rows[i].connections;
    }
    return n;
}

/** The servers with figures for @p test, in the CSV's order, into @p list; returns how many.
 *  (A server measured by connect/echo/close only has no bar in the other charts.) */
static int servers_in(const char *test, int list[MAX_SERVERS])
{
    int n = 0;
    for (int s = 0; s < server_count; s++) {
        for (int i = 0; i < row_count; i++) {
            if (strcmp(rows[i].test, test) == 0 && strcmp(rows[i].server, servers[s]) == 0) {
                list[n++] = s;
                break;
            }
        }
    }
    return n;
}

static const struct row *find(const char *test, int server, int connections)
{
    for (int i = 0; i < row_count; i++) {
        if (strcmp(rows[i].test, test) == 0 && strcmp(rows[i].server, servers[server]) == 0 &&
            rows[i].connections == connections)
            return &rows[i];
    }
    return NULL;
}

/** Where @p v sits between @p bottom and @p top of the axis, 0 to 1. */
static double scale(double v, double low, double high, int log_scale)
{
    if (log_scale) {
        if (v <= low)
            return 0;
        return (log10(v) - log10(low)) / (log10(high) - log10(low));
    }
    return v / high;
}

/** Draws one chart as a panel at (x, y), @p w by @p h. Returns 0 if it had no rows. */
static int panel(FILE *out, const struct chart *c, double x, double y, double w, double h)
{
    int groups[MAX_GROUPS];
    int group_count = groups_of(c->test, groups);
    if (group_count == 0)
        return 0;
    double max = 0, min = 0;
    for (int i = 0; i < row_count; i++) {
        if (strcmp(rows[i].test, c->test) != 0)
            continue;
        double v = figure(&rows[i], c->metric);
        if (v > max)
            max = v;
        if (v > 0 && (min == 0 || v < min))
            min = v;
    }
    double low = 0, high = nice_ceiling(max > 0 ? max : 1);
    int steps = 5;
    if (c->log_scale) {
        /* Whole decades around the figures. */
        low = pow(10, floor(log10(min > 0 ? min : 1)));
        if (min < 2 * low)
            low /= 10; /* the shortest bar must still show */
        high = pow(10, ceil(log10(max > low ? max : low * 10)));
        steps = (int)(log10(high) - log10(low) + 0.5);
    }
    double left = x + 64, bottom = y + h - 34, top = y + 40, right = x + w - 10;
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"title\">%s</text>\n", left, y + 18, c->title);
    for (int i = 0; i <= steps; i++) {
        double v = c->log_scale ? low * pow(10, i) : high * i / steps;
        double gy = bottom - (bottom - top) * i / steps;
        char label[32];
        format_figure(v, c->format, label, sizeof label);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%s</text>\n",
                left, gy, right, gy, left - 6, gy + 4, label);
    }
    int shown[MAX_SERVERS];
    int shown_count = servers_in(c->test, shown);
    double group_w = (right - left) / group_count;
    double bar_w = (group_w - 16) / shown_count;
    for (int g = 0; g < group_count; g++) {
        double gx = left + group_w * g + 8;
        char label[64];
        snprintf(label, sizeof label, "%d %s", groups[g], c->group_label);
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">%s</text>\n",
                gx + (group_w - 16) / 2, bottom + 18, label);
        for (int j = 0; j < shown_count; j++) {
            int s = shown[j]; /* the colour stays the server's in every chart */
            const struct row *r = find(c->test, s, groups[g]);
            if (r == NULL)
                continue;
            double v = figure(r, c->metric);
            double bh = (bottom - top) * scale(v, low, high, c->log_scale);
            double bx = gx + bar_w * j;
            char text[32];
            format_figure(v, c->format, text, sizeof text);
            fprintf(
                out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                "<title>%s, %s: %s; %d of %d served; %d failed</title></rect>\n"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"value\" text-anchor=\"middle\">%s</text>\n",
                bx + 1, bottom - bh, bar_w - 2, bh, colours[s], r->server, label, text, r->served,
                r->of, r->failures, bx + bar_w / 2, bottom - bh - 3, text);
            char note[64] = "";
            if (c->show_served && r->served < r->of)
                snprintf(note, sizeof note, "%d of %d served", r->served, r->of);
            if (r->failures > 0) {
                size_t used = strlen(note);
                snprintf(note + used, sizeof note - used, "%s%d failed", used ? ", " : "",
                         r->failures);
            }
            if (note[0] != '\0') {
                /* Written upwards inside the bar, from its foot; above the bar where the bar
                 * is too short for it. */
                int inside = bh - 8 >= 5.6 * (double)strlen(note);
                double tx = bx + bar_w / 2 + 4, ty = inside ? bottom - 4 : bottom - bh - 16;
                fprintf(out,
                        "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\" "
                        "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
                        tx, ty, inside ? "note" : "warn", tx, ty, note);
            }
        }
    }
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axisline\"/>\n",
            left, bottom, right, bottom);
    return 1;
}

/** The legend's rows end this far from the right edge: the build line takes the last row's
 *  right end. */
#define LEGEND_RIGHT_MARGIN 260
/** Where row 0 of the legend starts, and each row's height. */
#define LEGEND_LEFT 64
#define LEGEND_ROW  20

/** The room one server's legend entry takes: its colour, its name, a gap. */
static double legend_entry_width(int server)
{
    return 40 + 8.0 * (double)strlen(servers[server]);
}

/** How many rows the legend of @p test takes in an SVG @p width wide; with @p row_of, the row
 *  of each of its servers, in servers_in()'s order. */
static int legend_rows(const char *test, double width, int row_of[MAX_SERVERS])
{
    int shown[MAX_SERVERS];
    int shown_count = servers_in(test, shown), lines = 1;
    double lx = LEGEND_LEFT;
    for (int j = 0; j < shown_count; j++) {
        double w = legend_entry_width(shown[j]);
        if (lx > LEGEND_LEFT && lx + w > width - LEGEND_RIGHT_MARGIN) {
            lines++;
            lx = LEGEND_LEFT;
        }
        if (row_of != NULL)
            row_of[j] = lines - 1;
        lx += w;
    }
    return lines;
}

/** Starts an SVG of @p width by @p height with the legend (the servers with figures for
 *  @p test) and the build line at the foot. */
static FILE *begin_svg(const char *dir, const char *file, double width, double height,
                       const char *test)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        perror(path);
        exit(1);
    }
    /* No width or height, only the viewBox: the chart scales to the page that shows it. */
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"sans-serif\">\n"
            "<style>.title{font-size:15px;font-weight:bold}.axis{font-size:12px;fill:#333}"
            ".value{font-size:10px;fill:#333}.note{font-size:10px;fill:#fff}"
            ".warn{font-size:10px;fill:#b00020}.grid{stroke:#ddd}"
            ".axisline{stroke:#333}.legend{font-size:13px}.build{font-size:12px;fill:#555}"
            "</style>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            width, height);
    /* The legend at the foot, in as many rows as it needs; the last row ends at the foot. */
    int shown[MAX_SERVERS], row_of[MAX_SERVERS];
    int shown_count = servers_in(test, shown);
    int lines = legend_rows(test, width, row_of);
    double lx = LEGEND_LEFT;
    for (int j = 0; j < shown_count; j++) {
        int s = shown[j];
        if (j > 0 && row_of[j] != row_of[j - 1])
            lx = LEGEND_LEFT;
        double y = height - 30 - LEGEND_ROW * (lines - 1 - row_of[j]);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">%s</text>\n",
                lx, y, colours[s], lx + 20, y + 12, servers[s]);
        lx += legend_entry_width(s);
    }
    /* The build type and the cores, as the CSV says; "mixed" if its rows disagree. */
    const char *build = rows[0].build;
    int cores = rows[0].cores;
    for (int i = 1; i < row_count; i++) {
        if (strcmp(rows[i].build, build) != 0)
            build = "mixed builds";
        if (rows[i].cores != cores)
            cores = -1;
    }
    if (cores > 0)
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" class=\"build\" text-anchor=\"end\">%s build, "
                "%d core%s, loopback</text>\n",
                width - 10, height - 18, build, cores, cores == 1 ? "" : "s");
    else
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" class=\"build\" text-anchor=\"end\">%s, machines "
                "with different core counts</text>\n",
                width - 10, height - 18, build);
    return out;
}

static const struct chart charts[] = {
    {"round_trips.svg", "Ping-pong: round trips per second (64-byte messages)", "ping-pong", VALUE,
     COUNT, 0, "connections", 1},
    {"p99.svg", "Ping-pong: latency, 99th percentile (logarithmic)", "ping-pong", P99, TIME_US, 1,
     "connections", 1},
    {"stream.svg", "Stream throughput, MiB/s", "stream", VALUE, MIB, 0, "connections", 1},
    {"connect_close.svg", "Connect, echo one message, close: connections per second",
     "connect-echo-close", VALUE, COUNT, 0, "in flight", 0},
    {"idle_memory.svg", "Server memory per idle connection (resident, bytes)", "idle-memory", VALUE,
     BYTES, 0, "idle connections", 0},
};

/** The rows of @p test and @p connections for @p server, or NULL. */
static const struct row *find(const char *test, int server, int connections);

/** Writes the figures of @p test as one HTML table, a row per server and count; the
 *  ping-pong rows carry the stream's throughput at the same count, and the failures of both. */
static void write_table(FILE *out, const char *test, const char *count_label)
{
    int groups[MAX_GROUPS], shown[MAX_SERVERS];
    int group_count = groups_of(test, groups), shown_count = servers_in(test, shown);
    if (group_count == 0)
        return;
    int ping_pong = strcmp(test, "ping-pong") == 0, idle = strcmp(test, "idle-memory") == 0;
    fprintf(out,
            "<table class=\"markdownTable benchmark\">\n<tr class=\"markdownTableHead\">"
            "<th>server</th><th>%s</th>",
            count_label);
    if (idle)
        fprintf(out, "<th>resident before</th><th>resident after</th><th>bytes per "
                     "connection</th><th>open</th>");
    else
        fprintf(out, "<th>%s</th><th>p50</th><th>p99</th><th>longest</th>%s<th>failures</th>",
                ping_pong ? "round trips/s" : "connections/s",
                ping_pong ? "<th>served</th><th>stream MiB/s</th>" : "");
    fprintf(out, "</tr>\n");
    for (int j = 0; j < shown_count; j++) {
        for (int g = 0; g < group_count; g++) {
            const struct row *r = find(test, shown[j], groups[g]);
            if (r == NULL)
                continue;
            char a[32], b[32], c[32], d[32];
            fprintf(out, "<tr class=\"markdownTableBody\"><td>%s</td><td>%d</td>", r->server,
                    r->connections);
            if (idle) {
                fprintf(out, "<td>%ld KiB</td><td>%ld KiB</td><td>%.0f</td><td>%d of %d</td>",
                        r->rss_before_kib, r->rss_after_kib, r->value, r->served, r->of);
            } else {
                fprintf(out, "<td>%.0f</td><td>%s</td><td>%s</td><td>%s</td>", r->value,
                        format_figure(r->p50, TIME_US, a, sizeof a),
                        format_figure(r->p99, TIME_US, b, sizeof b),
                        format_figure(r->longest, TIME_US, c, sizeof c));
                int failures = r->failures;
                if (ping_pong) {
                    const struct row *st = find("stream", shown[j], groups[g]);
                    fprintf(out, "<td>%d of %d</td><td>%s</td>", r->served, r->of,
                            st != NULL ? format_figure(st->value, MIB, d, sizeof d) : "-");
                    failures += st != NULL ? st->failures : 0;
                }
                fprintf(out, "<td>%d</td>", failures);
            }
            fprintf(out, "</tr>\n");
        }
    }
    fprintf(out, "</table>\n");
}

/** Writes tables.html: every figure of the CSV, as tables. */
static void write_tables(const char *dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/tables.html", dir);
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        perror(path);
        exit(1);
    }
    fprintf(out, "<p><b>Ping-pong</b> (and the stream's throughput at the same count):</p>\n");
    write_table(out, "ping-pong", "connections");
    fprintf(out, "<p><b>Connect, echo, close</b>:</p>\n");
    write_table(out, "connect-echo-close", "in flight");
    fprintf(out, "<p><b>Memory per idle connection</b>:</p>\n");
    write_table(out, "idle-memory", "idle connections");
    fclose(out);
    printf("%s\n", path);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s results.csv DIR\n", argv[0]);
        return 2;
    }
    if (read_csv(argv[1]) != 0) {
        fprintf(stderr, "%s: no results in %s\n", argv[0], argv[1]);
        return 1;
    }
    const double width = 960, height = 420;
    for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) {
        int groups[MAX_GROUPS];
        if (groups_of(charts[i].test, groups) == 0) {
            printf("%s: no %s figures, no chart\n", charts[i].file, charts[i].test);
            continue;
        }
        /* Taller by the legend's extra rows; the chart itself keeps its size. */
        double extra = LEGEND_ROW * (legend_rows(charts[i].test, width, NULL) - 1);
        FILE *out = begin_svg(argv[2], charts[i].file, width, height + extra, charts[i].test);
        panel(out, &charts[i], 0, 0, width, height - 44);
        fprintf(out, "</svg>\n");
        fclose(out);
        printf("%s/%s\n", argv[2], charts[i].file);
    }
    /* The overview: round trips and stream side by side. */
    double extra = LEGEND_ROW * (legend_rows(charts[0].test, width, NULL) - 1);
    FILE *out = begin_svg(argv[2], "chart.svg", width, height + extra, charts[0].test);
    panel(out, &charts[0], 0, 0, width / 2, height - 44);
    panel(out, &charts[2], width / 2, 0, width / 2, height - 44);
    fprintf(out, "</svg>\n");
    fclose(out);
    printf("%s/chart.svg\n", argv[2]);
    write_tables(argv[2]);
    return 0;
}
