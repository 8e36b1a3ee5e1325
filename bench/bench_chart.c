/**
 * @file bench_chart.c
 * @brief Draws the benchmark's results.csv (from echo_bench --suite) as an SVG bar chart:
 *        round trips per second and stream throughput, by server and connection count.
 *
 * Usage: bench_chart results.csv chart.svg
 *
 * Plain SVG written with fprintf: no library and no script language in the build. Bars of a
 * server that served fewer connections than were open are labelled with how many it served,
 * so that the complete server's one-client-at-a-time limit shows in the picture.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS    64
#define MAX_SERVERS 8
#define MAX_COUNTS  8

/** One line of results.csv. */
struct row {
    char server[64];
    int connections;
    double round_trips, p50, p99, longest, mib;
    int served_rtt, served_stream, errors;
};

static struct row rows[MAX_ROWS];
static int row_count;
static char servers[MAX_SERVERS][64];
static int server_count;
static int counts[MAX_COUNTS];
static int count_count;

/** Colours of the servers' bars, in order of first appearance. */
static const char *const colours[MAX_SERVERS] = {"#9e9e9e", "#e07b39", "#3b7dd8", "#4caf50",
                                                 "#8e44ad", "#c0392b", "#16a085", "#7f8c8d"};

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

static int index_of_count(int connections)
{
    for (int i = 0; i < count_count; i++) {
        if (counts[i] == connections)
            return i;
    }
    if (count_count == MAX_COUNTS)
        return -1;
    counts[count_count] = connections;
    return count_count++;
}

static const struct row *find(int server, int count)
{
    for (int i = 0; i < row_count; i++) {
        if (strcmp(rows[i].server, servers[server]) == 0 && rows[i].connections == counts[count])
            return &rows[i];
    }
    return NULL;
}

static int read_csv(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    char line[512];
    if (fgets(line, sizeof line, f) == NULL) { /* the header */
        fclose(f);
        return -1;
    }
    while (row_count < MAX_ROWS && fgets(line, sizeof line, f) != NULL) {
        struct row *r = &rows[row_count];
        if (sscanf(line, "%63[^,],%d,%lf,%lf,%lf,%lf,%lf,%d,%d,%d", r->server, &r->connections,
                   &r->round_trips, &r->p50, &r->p99, &r->longest, &r->mib, &r->served_rtt,
                   &r->served_stream, &r->errors) != 10)
            continue;
        if (index_of_server(r->server) < 0 || index_of_count(r->connections) < 0)
            continue;
        row_count++;
    }
    fclose(f);
    return row_count > 0 ? 0 : -1;
}

/** A round number at or above @p value, for the top of an axis: 1, 2 or 5 times 10^n. */
static double nice_ceiling(double value)
{
    double step = 1;
    while (step * 10 <= value)
        step *= 10;
    while (step > value && step > 1e-9)
        step /= 10;
    if (value <= step)
        return step;
    if (value <= 2 * step)
        return 2 * step;
    if (value <= 5 * step)
        return 5 * step;
    return 10 * step;
}

/** Formats a figure shortly: 950, 12.3k, 1.2M. */
static const char *short_number(double v, char *buf, size_t size)
{
    if (v >= 1e6)
        snprintf(buf, size, "%.1fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, size, "%.0fk", v / 1e3);
    else if (v >= 1e3)
        snprintf(buf, size, "%.1fk", v / 1e3);
    else
        snprintf(buf, size, "%.0f", v);
    return buf;
}

/** Draws one panel of grouped bars at (x, y), @p w by @p h. */
static void panel(FILE *out, double x, double y, double w, double h, const char *title, int use_mib)
{
    double max = 0;
    for (int i = 0; i < row_count; i++) {
        double v = use_mib ? rows[i].mib : rows[i].round_trips;
        if (v > max)
            max = v;
    }
    max = nice_ceiling(max > 0 ? max : 1);
    double left = x + 56, bottom = y + h - 40, top = y + 30, right = x + w - 10;
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"title\">%s</text>\n", x + 56, y + 16, title);
    /* Axis and grid: five steps. */
    for (int i = 0; i <= 5; i++) {
        double v = max * i / 5, gy = bottom - (bottom - top) * i / 5;
        char label[32];
        if (use_mib)
            snprintf(label, sizeof label, "%.0f", v);
        else
            short_number(v, label, sizeof label);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%s</text>\n",
                left, gy, right, gy, left - 6, gy + 4, label);
    }
    double group_w = (right - left) / count_count;
    double bar_w = (group_w - 16) / server_count;
    for (int c = 0; c < count_count; c++) {
        double gx = left + group_w * c + 8;
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">%d "
                "connection%s</text>\n",
                gx + (group_w - 16) / 2, bottom + 18, counts[c], counts[c] == 1 ? "" : "s");
        for (int s = 0; s < server_count; s++) {
            const struct row *r = find(s, c);
            if (r == NULL)
                continue;
            double v = use_mib ? r->mib : r->round_trips;
            double bh = (bottom - top) * v / max;
            double bx = gx + bar_w * s;
            int served = use_mib ? r->served_stream : r->served_rtt;
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    "<title>%s, %d connections: %.0f %s; %d served; %d errors</title></rect>\n",
                    bx + 1, bottom - bh, bar_w - 2, bh, colours[s], r->server, r->connections, v,
                    use_mib ? "MiB/s" : "round trips/s", served, r->errors);
            if (served < r->connections) {
                /* The server left connections waiting: say how many it served. */
                /* Written upwards from the top of the bar. */
                double tx = bx + bar_w / 2 + 4, ty = bottom - bh - 4;
                fprintf(out,
                        "<text x=\"%.1f\" y=\"%.1f\" class=\"note\" "
                        "transform=\"rotate(-90 %.1f %.1f)\">%d of %d served</text>\n",
                        tx, ty, tx, ty, served, r->connections);
            }
        }
    }
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axisline\"/>\n",
            left, bottom, right, bottom);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s results.csv chart.svg\n", argv[0]);
        return 2;
    }
    if (read_csv(argv[1]) != 0) {
        fprintf(stderr, "%s: no results in %s\n", argv[0], argv[1]);
        return 1;
    }
    FILE *out = fopen(argv[2], "w");
    if (out == NULL) {
        perror(argv[2]);
        return 1;
    }
    /* No width or height, only the viewBox: the chart scales to the page that shows it. */
    const double width = 960, height = 400;
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"sans-serif\">\n"
            "<style>.title{font-size:15px;font-weight:bold}.axis{font-size:12px;fill:#333}"
            ".note{font-size:11px;fill:#b00020}.grid{stroke:#ddd}.axisline{stroke:#333}"
            ".legend{font-size:13px}</style>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            width, height);
    panel(out, 0, 0, width / 2, height - 40, "Round trips per second (64-byte messages)", 0);
    panel(out, width / 2, 0, width / 2, height - 40, "Stream throughput, MiB/s", 1);
    for (int s = 0; s < server_count; s++) {
        double lx = 56 + s * 170;
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">%s</text>\n",
                lx, height - 28, colours[s], lx + 20, height - 16, servers[s]);
    }
    fprintf(out, "</svg>\n");
    fclose(out);
    return 0;
}
