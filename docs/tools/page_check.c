/**
 * @file page_check.c
 * @brief Checks that the site's pages read in one sitting: their prose within a word budget,
 *        no paragraph or list item over 100 words, no test named in the prose, no code
 *        marker line shown.
 *
 *   page_check [--teaches-heading TEXT] [--teaches-limit N] [--paragraph-limit N]
 *              PAGE.html=BUDGET ...
 *   page_check --markers FILE.html ...
 *
 * The prose of a page is the text a learner reads in its contents: the page's text outside
 * code fragments, tables, transcripts, diffs and charts (answers
 * folded away in <details> count: a learner reads them too). For each page it prints one line (its words, its longest
 * paragraph, the words of "What this step teaches") and every problem; it exits 1 if any
 * page has one. With --markers it checks only that no file shows a `//! [name]` marker line:
 * the markers say where a quoted block starts and ends, and are for the build, not the reader.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The section whose words have a budget of their own, unless --teaches-heading names it in
 *  another language. */
static const char *teaches_heading = "What this step teaches";
#define MAX_DEPTH 256

/** What a page's prose measures, and what is wrong with it. */
struct measure {
    long words;          /**< every word of the prose */
    long longest;        /**< the words of the longest paragraph or list item */
    long teaches;        /**< the words of "What this step teaches" */
    long unit_words;     /**< the words of the paragraph being read */
    char unit_start[64]; /**< its first words, to name it in a problem */
    char heading[128];   /**< the heading being read, or the last one */
    bool in_heading;
    bool in_teaches;
    int problems;
    const char *page;
    long paragraph_limit;
};

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    size_t size = 0, capacity = 1 << 16;
    char *text = malloc(capacity);
    size_t got;
    while (text != NULL && (got = fread(text + size, 1, capacity - size - 1, f)) > 0) {
        size += got;
        if (capacity - size < 2) {
            capacity *= 2;
            char *bigger = realloc(text, capacity);
            if (bigger == NULL)
                free(text);
            text = bigger;
        }
    }
    fclose(f);
    if (text == NULL) {
        fprintf(stderr, "page_check: out of memory reading %s\n", path);
        exit(2);
    }
    text[size] = '\0';
    return text;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
problem(struct measure *m, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    printf("  %s: ", m->page);
    vprintf(format, args);
    printf("\n");
    va_end(args);
    m->problems++;
}

/** The paragraph or list item being read has ended: weigh it. */
static void end_unit(struct measure *m)
{
    if (m->unit_words > m->longest)
        m->longest = m->unit_words;
    if (m->unit_words > m->paragraph_limit)
        problem(m, "a paragraph or list item of %ld words, over the limit of %ld: \"%s...\"",
                m->unit_words, m->paragraph_limit, m->unit_start);
    m->unit_words = 0;
    m->unit_start[0] = '\0';
}

/** A word of prose. */
static void add_word(struct measure *m, const char *word, size_t length)
{
    bool has_letter = false;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)word[i];
        /* 0xC3 starts the UTF-8 of U+00C0 to U+00FF: the accented letters of Portuguese (é,
         * ç, ã...), so that "é" is a word; a dash or a middle dot is not. */
        has_letter |= isalnum(c) != 0 || c == 0xC3;
    }
    if (!has_letter)
        return; /* a dash, a middle dot: punctuation, not a word */
    if (m->in_heading) {
        size_t used = strlen(m->heading);
        if (used + length + 2 < sizeof m->heading)
            snprintf(m->heading + used, sizeof m->heading - used, "%s%.*s", used ? " " : "",
                     (int)length, word);
        m->words++;
        return;
    }
    m->words++;
    m->unit_words++;
    if (m->in_teaches)
        m->teaches++;
    size_t used = strlen(m->unit_start);
    if (m->unit_words <= 8 && used + length + 2 < sizeof m->unit_start)
        snprintf(m->unit_start + used, sizeof m->unit_start - used, "%s%.*s", used ? " " : "",
                 (int)length, word);
    /* A test's name (step05_...) belongs in the page's "Proven by" table, not in its prose. */
    const char *w = word;
    size_t n = length;
    while (n > 0 && !isalnum((unsigned char)*w)) {
        w++;
        n--;
    }
    if (n > 7 && strncmp(w, "step", 4) == 0 && isdigit((unsigned char)w[4]) &&
        isdigit((unsigned char)w[5]) && memchr(w + 6, '_', n - 6) != NULL) {
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(n < 120 ? n : 120), w);
        problem(m, "the prose names the test %s: tests belong in the \"Proven by\" table", name);
    }
}

/** Reads the words of a text node (entities count as the characters they stand for). */
static void add_text(struct measure *m, const char *text, size_t length)
{
    size_t i = 0;
    while (i < length) {
        while (i < length && (isspace((unsigned char)text[i]) ||
                              (text[i] == '&' && strncmp(text + i, "&nbsp;", 6) == 0))) {
            i += text[i] == '&' ? 6 : 1;
        }
        size_t start = i;
        while (i < length && !isspace((unsigned char)text[i]) &&
               !(text[i] == '&' && strncmp(text + i, "&nbsp;", 6) == 0))
            i++;
        if (i > start)
            add_word(m, text + start, i - start);
    }
}

static bool is_one_of(const char *name, const char *const *names)
{
    for (; *names != NULL; names++)
        if (strcmp(name, *names) == 0)
            return true;
    return false;
}

/** Elements whose whole content is no prose. */
static bool skips_content(const char *name, const char *classes)
{
    static const char *const skipped[] = {"table", "pre",    "script", "style", "map",
                                          "svg",   "object", "iframe", NULL};
    static const char *const skipped_div_classes[] = {"fragment", "transcript", "diff",
                                                      "proven",   "dotgraph",   "mscgraph",
                                                      "caption",  "image",      NULL};
    if (is_one_of(name, skipped))
        return true;
    if (strcmp(name, "div") != 0 || classes == NULL)
        return false;
    for (const char *const *c = skipped_div_classes; *c != NULL; c++) {
        size_t n = strlen(*c);
        for (const char *at = strstr(classes, *c); at != NULL; at = strstr(at + 1, *c))
            if ((at == classes || at[-1] == ' ') && (at[n] == '\0' || at[n] == ' '))
                return true;
    }
    return false;
}

/** Elements that end one paragraph and start another. */
static bool is_block(const char *name)
{
    static const char *const blocks[] = {
        "p",  "li", "ul", "ol",         "dl", "dt", "dd",    "div", "h1",      "h2",      "h3",
        "h4", "h5", "h6", "blockquote", "br", "hr", "table", "pre", "details", "summary", NULL};
    return is_one_of(name, blocks);
}

static bool is_void(const char *name)
{
    static const char *const voids[] = {"img",  "br",   "hr",  "input", "meta",   "link",
                                        "area", "base", "col", "wbr",   "source", NULL};
    return is_one_of(name, voids);
}

/** Reads the tag at @p p (just after '<'): its name, lower case, whether it closes, and the
 *  value of its class attribute. Returns the position after '>'. */
static const char *read_tag(const char *p, char *name, size_t name_size, bool *closing,
                            char *classes, size_t classes_size)
{
    *closing = *p == '/';
    if (*closing)
        p++;
    size_t n = 0;
    while (isalnum((unsigned char)*p) && n + 1 < name_size)
        name[n++] = (char)tolower((unsigned char)*p++);
    name[n] = '\0';
    classes[0] = '\0';
    const char *end = strchr(p, '>');
    if (end == NULL)
        return p + strlen(p);
    const char *c = strstr(p, "class=\"");
    if (c != NULL && c < end) {
        c += 7;
        const char *q = strchr(c, '"');
        if (q != NULL && q < end)
            snprintf(classes, classes_size, "%.*s", (int)(q - c), c);
    }
    return end + 1;
}

/** Measures the prose of one page's contents. */
static void measure_page(struct measure *m, const char *html)
{
    const char *p = strstr(html, "<div class=\"contents\">");
    if (p == NULL) {
        problem(m, "no <div class=\"contents\">: not a page of the site?");
        return;
    }
    char stack[MAX_DEPTH][16];
    bool skipping[MAX_DEPTH]; /* this element, or one around it, holds no prose */
    int depth = 0;
    while (*p != '\0') {
        if (strncmp(p, "<!--", 4) == 0) {
            const char *end = strstr(p, "-->");
            p = end ? end + 3 : p + strlen(p);
            continue;
        }
        if (*p == '<') {
            char name[16], classes[128];
            bool closing;
            p = read_tag(p + 1, name, sizeof name, &closing, classes, sizeof classes);
            if (name[0] == '\0')
                continue;
            bool skip = depth > 0 && skipping[depth - 1];
            if (!skip && is_block(name))
                end_unit(m);
            bool heading = name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2];
            if (!closing && heading && !skip) {
                m->in_heading = true;
                m->heading[0] = '\0';
            } else if (closing && heading && m->in_heading) {
                m->in_heading = false;
                m->in_teaches = strcmp(m->heading, teaches_heading) == 0;
            }
            if (is_void(name) || p[-2] == '/')
                continue;
            if (!closing) {
                if (depth == MAX_DEPTH)
                    continue;
                snprintf(stack[depth], sizeof stack[depth], "%s", name);
                skipping[depth] = skip || skips_content(name, classes);
                depth++;
            } else {
                /* Closes the nearest open element of that name, and any left open inside. */
                int at = depth - 1;
                while (at >= 0 && strcmp(stack[at], name) != 0)
                    at--;
                if (at < 0)
                    continue;
                depth = at;
                if (depth == 0 && strcmp(name, "div") == 0)
                    break; /* the end of the contents */
            }
            continue;
        }
        const char *end = strchr(p, '<');
        size_t length = end ? (size_t)(end - p) : strlen(p);
        if (depth > 0 && !skipping[depth - 1])
            add_text(m, p, length);
        p += length;
    }
    end_unit(m);
}

/** Whether @p html shows a `//! [name]` marker as a line of code: Doxygen writes each code line
 *  as a line of HTML, `<div class="line">...</div>` (a page may still name the markers in
 *  its text, as `//! [name]`). */
static bool shows_marker_line(const char *html)
{
    for (const char *at = strstr(html, "//! ["); at != NULL; at = strstr(at + 1, "//! [")) {
        const char *line = at;
        while (line > html && line[-1] != '\n')
            line--;
        const char *code = strstr(line, "<div class=\"line\">");
        if (code != NULL && code < at)
            return true;
    }
    return false;
}

/** Fails a file that shows a marker line. */
static int check_markers(const char *path)
{
    char *html = read_file(path);
    bool found = shows_marker_line(html);
    if (found)
        printf("  %s: shows a //! [name] marker line\n", path);
    free(html);
    return found;
}

int main(int argc, char **argv)
{
    long teaches_limit = 250, paragraph_limit = 100;
    int problems = 0, first = 1;
    if (argc > 1 && strcmp(argv[1], "--markers") == 0) {
        for (int i = 2; i < argc; i++)
            problems += check_markers(argv[i]);
        return problems ? 1 : 0;
    }
    for (; first + 1 < argc && strncmp(argv[first], "--", 2) == 0; first += 2) {
        if (strcmp(argv[first], "--teaches-limit") == 0)
            teaches_limit = atol(argv[first + 1]);
        else if (strcmp(argv[first], "--teaches-heading") == 0)
            teaches_heading = argv[first + 1];
        else if (strcmp(argv[first], "--paragraph-limit") == 0)
            paragraph_limit = atol(argv[first + 1]);
        else {
            fprintf(stderr, "page_check: unknown option %s\n", argv[first]);
            return 2;
        }
    }
    printf("%-28s %6s %7s %9s \"%s\"\n", "page", "words", "budget", "longest", teaches_heading);
    for (int i = first; i < argc; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s", argv[i]);
        char *equals = strrchr(path, '=');
        if (equals == NULL) {
            fprintf(stderr, "page_check: expected PAGE.html=BUDGET, got %s\n", argv[i]);
            return 2;
        }
        *equals = '\0';
        long budget = atol(equals + 1);
        const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        struct measure m = {0};
        m.page = name;
        m.paragraph_limit = paragraph_limit;
        char *html = read_file(path);
        measure_page(&m, html);
        if (shows_marker_line(html))
            problem(&m, "shows a //! [name] marker line");
        free(html);
        printf("%-28s %6ld %7ld %9ld %ld\n", name, m.words, budget, m.longest, m.teaches);
        if (m.words > budget)
            problem(&m, "%ld words of prose, over its budget of %ld", m.words, budget);
        if (m.teaches > teaches_limit)
            problem(&m, "\"%s\" has %ld words, over the limit of %ld", teaches_heading, m.teaches,
                    teaches_limit);
        problems += m.problems;
    }
    if (problems)
        printf("%d problem(s): a page must read in one sitting (CONTRIBUTING.md, \"Pages\")\n",
               problems);
    return problems ? 1 : 0;
}
