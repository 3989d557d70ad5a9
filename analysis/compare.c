/*
 * compare.c - `chainsim compare`: the runs of several databases side by side.
 *
 * Every run of every database given becomes one column, in the order of the
 * arguments and then of run_id. The rows are headline metrics of
 * v_run_summary (compare_rows[]: column, label, unit), formatted as
 * `chainsim report` does: seconds and tx/s with 3 decimals, the stale rate
 * in % with 2, NULL as an em dash. Columns are headed by four lines: the
 * scenario name, "run ID", the database file's base name and the run's
 * status (resultsdb_run_status(): complete, interrupted, abandoned,
 * running (on HOST, pid N), ...). Runs that did not complete are shown like
 * the others, and named in a note on stderr; compare computes nothing over
 * several runs, so there is nothing for them to distort.
 *
 * With --out DIR: per run k (1, 2, ... in column order) the files
 * confirm_latency-run<k>.dat and finality_latency-run<k>.dat (CDF points:
 * latency in s, cumulative fraction; a header names the run), and the
 * scripts confirm_latency_cdf.gp and finality_latency_cdf.gp overlaying all
 * runs, rendered by gnuplot when it is installed (plot_render()). A chart
 * without any sample in any run is skipped with a note. The databases are
 * only read.
 */
#include "analysis/compare.h"

#include "analysis/cli.h"
#include "analysis/plot.h"
#include "analysis/resultsdb.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const cli_command_t compare_cli = {
    .name = "compare",
    .usage = "DB... [--out DIR] [--format png|svg|pdf]",
    .about = "Prints every run of every results database DB side by side: one column per\n"
             "run (scenario, run id, database file), one row per headline metric of the\n"
             "view v_run_summary (consensus, throughput, confirmation and finality latency,\n"
             "block propagation, stale rate, reorgs, missed slots).\n",
    .operands = (const cli_operand_t[]){ { "DB", "the results database files", CLI_MANY },
                                         { NULL, NULL, CLI_ONE } },
    .notes = "gnuplot is looked up in PATH; CHAINSIM_GNUPLOT=PROGRAM overrides that and\n"
             "CHAINSIM_GNUPLOT= (empty) means no gnuplot: data and scripts only.\n"
             "The databases are only read. Every file is written under a temporary name\n"
             "and renamed when complete, so a failure leaves older files as they were.\n",
    .exits = "0 success (also without gnuplot), 1 gnuplot failed or a file\n"
             "cannot be written, 2 bad usage, no such file, no run, or not a chainsim\n"
             "results database\n",
};

typedef enum compare_unit { CU_TEXT, CU_INT, CU_SECONDS, CU_TX_PER_S, CU_PERCENT } compare_unit_t;

static const struct compare_row {
    const char *column; /* of v_run_summary */
    const char *label;
    compare_unit_t unit;
} compare_rows[] = {
    { "seed", "seed", CU_INT },
    { "engine", "consensus", CU_TEXT },
    { "tps", "throughput (confirmed)", CU_TX_PER_S },
    { "confirm_latency_p50_s", "confirmation latency p50", CU_SECONDS },
    { "confirm_latency_p90_s", "confirmation latency p90", CU_SECONDS },
    { "finality_latency_p50_s", "finality latency p50", CU_SECONDS },
    { "finality_latency_p90_s", "finality latency p90", CU_SECONDS },
    { "propagation_p50_s", "block to 50% of nodes (median)", CU_SECONDS },
    { "propagation_p90_s", "block to 90% of nodes (median)", CU_SECONDS },
    { "stale_rate", "stale rate", CU_PERCENT },
    { "reorgs", "reorgs", CU_INT },
    { "missed_slots", "missed slots", CU_INT },
};

#define COMPARE_NROWS G_N_ELEMENTS(compare_rows)
#define COMPARE_HEAD 4 /* header lines of a column */
#define COMPARE_STATUS 3 /* the header line that holds the status */

/* One run: its header lines and its formatted cells (all owned). */
typedef struct compare_col {
    char *head[COMPARE_HEAD]; /* scenario, "run ID", database base name, status */
    bool complete;
    char *legend;             /* for the charts */
    char *cells[COMPARE_NROWS];
    guint db_index; /* in the list of databases */
    int64_t run_id;
} compare_col_t;

static void col_free(gpointer p)
{
    compare_col_t *c = p;
    for (int i = 0; i < COMPARE_HEAD; i++)
        g_free(c->head[i]);
    for (size_t i = 0; i < COMPARE_NROWS; i++)
        g_free(c->cells[i]);
    g_free(c->legend);
    g_free(c);
}

typedef struct compare_opts {
    GPtrArray *paths; /* borrowed from argv */
    const char *out;
    int format; /* plot_format_t */
} compare_opts_t;

/* Parses the arguments into *o. Returns CLI_GO_ON, or an exit status after
 * printing the help or the usage error. */
static int parse_args(int argc, char **argv, compare_opts_t *o)
{
    const cli_option_t opts[] = {
        { "out", 0, CLI_TEXT, &o->out, "DIR",
          "also write the confirmation and finality latency CDFs of all\n"
          "runs, overlaid: data (.dat), gnuplot scripts (.gp) and images",
          NULL, NULL },
        { "format", 0, CLI_CHOICE, &o->format, "F", "image format with --out: png (default), svg or pdf",
          plot_format_names, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&compare_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    for (char **p = operands; *p; p++)
        g_ptr_array_add(o->paths, *p);
    g_free(operands);
    return CLI_GO_ON;
}

/* Formats a REAL with `decimals` places, or 3 significant digits when that
 * would show a small non-zero value as zero (as `chainsim report` does). */
static char *format_real(double v, int decimals, const char *unit)
{
    if (v != 0.0 && fabs(v) < pow(10.0, -decimals))
        return g_strdup_printf("%.3g%s", v, unit);
    return g_strdup_printf("%.*f%s", decimals, v, unit);
}

static char *format_cell(sqlite3_stmt *st, int col, compare_unit_t unit)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return g_strdup("\u2014"); /* em dash */
    double v = sqlite3_column_double(st, col);
    switch (unit) {
    case CU_TEXT: {
        char *valid = g_utf8_make_valid((const char *)sqlite3_column_text(st, col), -1);
        g_strdelimit(valid, "\t\n\r", ' ');
        return valid;
    }
    case CU_INT:
        return g_strdup_printf("%" G_GINT64_FORMAT, (gint64)sqlite3_column_int64(st, col));
    case CU_SECONDS:
        return isfinite(v) ? format_real(v, 3, " s") : g_strdup("\u2014");
    case CU_TX_PER_S:
        return isfinite(v) ? format_real(v, 3, " tx/s") : g_strdup("\u2014");
    case CU_PERCENT:
        return isfinite(v) ? format_real(v * 100.0, 2, " %") : g_strdup("\u2014");
    }
    return g_strdup("?");
}

/* Reads the summary of run_id of db (file path) into a new column. */
static int read_column(sqlite3 *db, const char *path, int64_t run_id, compare_col_t **out)
{
    GString *sql = g_string_new("SELECT scenario_name");
    for (size_t i = 0; i < COMPARE_NROWS; i++)
        g_string_append_printf(sql, ", %s", compare_rows[i].column);
    g_string_append(sql, " FROM v_run_summary WHERE run_id = ?1");
    sqlite3_stmt *st = NULL;
    int status = PLOT_OK;
    if (sqlite3_prepare_v2(db, sql->str, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "chainsim compare: %s: cannot read the view v_run_summary: %s\n", path, sqlite3_errmsg(db));
        status = (sqlite3_errcode(db) & 0xff) == SQLITE_ERROR ? PLOT_BADINPUT : PLOT_RUNTIME;
    } else {
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) != SQLITE_ROW) {
            fprintf(stderr, "chainsim compare: %s: cannot read run %" G_GINT64_FORMAT " from v_run_summary: %s\n",
                    path, run_id, sqlite3_errmsg(db));
            status = PLOT_RUNTIME;
        } else {
            compare_col_t *c = g_new0(compare_col_t, 1);
            c->head[0] = format_cell(st, 0, CU_TEXT);
            c->head[1] = g_strdup_printf("run %" G_GINT64_FORMAT, run_id);
            c->head[2] = g_path_get_basename(path);
            for (size_t i = 0; i < COMPARE_NROWS; i++)
                c->cells[i] = format_cell(st, (int)i + 1, compare_rows[i].unit);
            resultsdb_status_t rs;
            status = resultsdb_run_status("compare", db, path, run_id, &rs);
            if (status == PLOT_OK) {
                c->head[COMPARE_STATUS] = g_strdup(rs.text);
                c->complete = rs.complete;
                c->legend = rs.complete ? g_strdup_printf("%s run %" G_GINT64_FORMAT " (%s)", c->head[0], run_id,
                                                          c->head[2])
                                        : g_strdup_printf("%s run %" G_GINT64_FORMAT " (%s, %s)", c->head[0],
                                                          run_id, c->head[2], rs.state);
                resultsdb_status_clear(&rs);
                *out = c;
            } else {
                col_free(c);
            }
        }
    }
    sqlite3_finalize(st);
    g_string_free(sql, TRUE);
    return status;
}

/* Display width of a UTF-8 string (one column per character). */
static int width_of(const char *s)
{
    return (int)g_utf8_strlen(s, -1);
}

static void print_padded(const char *s, int width)
{
    fputs(s, stdout);
    for (int n = width_of(s); n < width; n++)
        fputc(' ', stdout);
}

static void print_table(const GPtrArray *cols)
{
    int label_w = 0;
    for (size_t i = 0; i < COMPARE_NROWS; i++)
        label_w = MAX(label_w, width_of(compare_rows[i].label));
    label_w += 2;
    int *w = g_new0(int, cols->len);
    for (guint k = 0; k < cols->len; k++) {
        const compare_col_t *c = g_ptr_array_index(cols, k);
        for (int h = 0; h < COMPARE_HEAD; h++)
            w[k] = MAX(w[k], width_of(c->head[h]));
        for (size_t i = 0; i < COMPARE_NROWS; i++)
            w[k] = MAX(w[k], width_of(c->cells[i]));
        w[k] += 2;
    }
    for (int h = 0; h < COMPARE_HEAD; h++) {
        print_padded(h == COMPARE_STATUS ? "status" : "", label_w);
        for (guint k = 0; k < cols->len; k++) {
            const compare_col_t *c = g_ptr_array_index(cols, k);
            if (k + 1 < cols->len)
                print_padded(c->head[h], w[k]);
            else
                fputs(c->head[h], stdout);
        }
        fputc('\n', stdout);
    }
    for (size_t i = 0; i < COMPARE_NROWS; i++) {
        print_padded(compare_rows[i].label, label_w);
        for (guint k = 0; k < cols->len; k++) {
            const compare_col_t *c = g_ptr_array_index(cols, k);
            if (k + 1 < cols->len)
                print_padded(c->cells[i], w[k]);
            else
                fputs(c->cells[i], stdout);
        }
        fputc('\n', stdout);
    }
    g_free(w);
}

/* Names the columns whose run did not complete, on stderr. */
static void note_incomplete(const GPtrArray *cols)
{
    GString *which = g_string_new(NULL);
    guint n = 0;
    for (guint k = 0; k < cols->len; k++) {
        const compare_col_t *c = g_ptr_array_index(cols, k);
        if (c->complete)
            continue;
        g_string_append_printf(which, "%s%s %s (%s)", n ? "; " : "", c->head[2], c->head[1], c->head[COMPARE_STATUS]);
        n++;
    }
    if (n > 0)
        fprintf(stderr,
                "chainsim compare: note: %u of the %u runs are not complete, so their figures cover only what"
                " they recorded: %s\n",
                n, cols->len, which->str);
    g_string_free(which, TRUE);
}

/* The two overlay charts: the v_tx_latency column, file stem, words. */
static const struct compare_chart {
    const char *column;
    const char *stem;
    const char *what;
    const char *event;
} compare_charts[] = {
    { "confirm_latency_s", "confirm_latency", "confirmation latency", "confirmation" },
    { "final_latency_s", "finality_latency", "finality latency", "finality" },
};

/* Writes the CDF data files of column k (1-based) for both charts; adds the
 * sample counts to n[]. */
static int write_cdfs(sqlite3 *db, const char *path, int64_t run_id, int k, const compare_col_t *c, const char *dir,
                      const char *const *inputs, int64_t *n, GPtrArray *written)
{
    int status = PLOT_OK;
    for (size_t j = 0; j < G_N_ELEMENTS(compare_charts) && status == PLOT_OK; j++) {
        const struct compare_chart *ch = &compare_charts[j];
        GString *d = g_string_new(NULL);
        char *legend = plot_gp_quote(c->legend);
        g_string_append_printf(d,
                               "# CDF of %s (v_tx_latency.%s), column %d of chainsim compare\n"
                               "# run %s, database %s\n"
                               "# columns: latency_s (s, from submission to %s)  fraction (cumulative share of"
                               " the samples, 0 to 1)\n",
                               ch->what, ch->column, k, legend, path, ch->event);
        g_free(legend);
        char *sql = g_strdup_printf("SELECT %s, ROW_NUMBER() OVER (ORDER BY %s) * 1.0 / COUNT(*) OVER ()"
                                    " FROM v_tx_latency WHERE run_id = ?1 AND %s IS NOT NULL ORDER BY 1",
                                    ch->column, ch->column, ch->column);
        int64_t rows = 0;
        status = plot_query_dat("compare", db, path, sql, run_id, d, &rows);
        if (status == PLOT_OK && rows > 0) {
            char *name = g_strdup_printf("%s-run%d.dat", ch->stem, k);
            status = plot_write("compare", dir, name, d, inputs, written);
            g_free(name);
        }
        n[(size_t)(k - 1) * G_N_ELEMENTS(compare_charts) + j] = rows;
        g_free(sql);
        g_string_free(d, TRUE);
    }
    return status;
}

/* Writes the overlay scripts; adds their names to scripts. */
static int write_scripts(const GPtrArray *cols, const int64_t *n, const char *dir, plot_format_t f,
                         const char *const *inputs, GPtrArray *scripts, GPtrArray *written)
{
    static const char *const colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                          "#9467bd", "#8c564b", "#e377c2", "#17becf" };
    const size_t nch = G_N_ELEMENTS(compare_charts);
    for (size_t j = 0; j < nch; j++) {
        const struct compare_chart *ch = &compare_charts[j];
        char *chart = g_strdup_printf("%s_cdf", ch->stem);
        int curves = 0;
        for (guint k = 0; k < cols->len; k++)
            curves += n[k * nch + j] > 0;
        if (curves == 0) {
            printf("%s: skipped (no run has a %s sample)\n", chart, ch->event);
            g_free(chart);
            continue;
        }
        GString *gp = g_string_new(NULL);
        char *about = g_strdup_printf("CDFs of %s, %u runs overlaid", ch->what, cols->len);
        plot_gp_begin(gp, f, chart, about);
        g_free(about);
        g_string_append(gp, "# Style: edit freely (one line style per run).\n");
        for (guint k = 0; k < cols->len; k++)
            g_string_append_printf(gp, "set style line %u lc rgb '%s' lw 3 dt %zu\n", k + 1,
                                   colors[k % G_N_ELEMENTS(colors)], (size_t)(k / G_N_ELEMENTS(colors)) + 1);
        g_string_append(gp, "set grid\n"
                            "set key bottom right opaque\n"
                            "# set logscale x; set xrange [*:*]   # when the runs differ by orders of magnitude\n\n");
        char *title = g_strdup_printf("%s CDF, %d run%s", ch->what, curves, curves == 1 ? "" : "s");
        char *qt = plot_gp_quote(title);
        g_string_append_printf(gp,
                               "set title %s\n"
                               "set xlabel 'latency after submission (s)'\n"
                               "set ylabel 'fraction of transactions'\n"
                               "set xrange [0:*]\n"
                               "set yrange [0:1.02]\n"
                               "plot ",
                               qt);
        g_free(qt);
        g_free(title);
        bool first = true;
        for (guint k = 0; k < cols->len; k++) {
            int64_t rows = n[k * nch + j];
            if (rows == 0)
                continue;
            const compare_col_t *c = g_ptr_array_index(cols, k);
            char *legend = g_strdup_printf("%s, %" G_GINT64_FORMAT " transactions", c->legend, rows);
            char *ql = plot_gp_quote(legend);
            g_string_append_printf(gp, "%s'%s-run%u.dat' using 1:2 with steps ls %u title %s", first ? "" : ", \\\n     ",
                                   ch->stem, k + 1, k + 1, ql);
            g_free(ql);
            g_free(legend);
            first = false;
        }
        g_string_append(gp, "\nunset output\n");
        char *name = g_strdup_printf("%s.gp", chart);
        int status = plot_write("compare", dir, name, gp, inputs, written);
        g_string_free(gp, TRUE);
        g_free(chart);
        if (status != PLOT_OK) {
            g_free(name);
            return status;
        }
        g_ptr_array_add(scripts, name);
    }
    return PLOT_OK;
}

static void close_db(gpointer db)
{
    sqlite3_close(db);
}

int compare_main(int argc, char **argv)
{
    compare_opts_t o = { 0 };
    o.paths = g_ptr_array_new();
    o.format = PLOT_PNG;
    GPtrArray *cols = g_ptr_array_new_with_free_func(col_free);
    GPtrArray *written = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *scripts = g_ptr_array_new_with_free_func(g_free);
    GArray *counts = g_array_new(FALSE, TRUE, sizeof(int64_t)); /* samples per run and chart */
    GPtrArray *dbs = g_ptr_array_new_with_free_func(close_db);
    int status = parse_args(argc, argv, &o);
    if (status != CLI_GO_ON)
        goto done;
    /* First read every database, so that a bad one stops before any file
     * is written. */
    status = PLOT_OK;
    for (guint p = 0; p < o.paths->len && status == PLOT_OK; p++) {
        const char *path = g_ptr_array_index(o.paths, p);
        sqlite3 *db = NULL;
        GArray *ids = NULL;
        status = plot_open_db("compare", path, &db);
        g_ptr_array_add(dbs, db);
        if (status == PLOT_OK)
            status = plot_run_ids("compare", db, path, &ids);
        for (guint r = 0; status == PLOT_OK && r < ids->len; r++) {
            compare_col_t *c = NULL;
            status = read_column(db, path, g_array_index(ids, int64_t, r), &c);
            if (status == PLOT_OK) {
                c->db_index = p;
                c->run_id = g_array_index(ids, int64_t, r);
                g_ptr_array_add(cols, c);
            }
        }
        if (ids)
            g_array_unref(ids);
    }
    if (status != PLOT_OK)
        goto done;
    g_ptr_array_add(o.paths, NULL); /* the inputs, which no output file may be */
    const char *const *inputs = (const char *const *)o.paths->pdata;
    if (o.out) {
        status = plot_mkdir("compare", o.out);
        g_array_set_size(counts, cols->len * G_N_ELEMENTS(compare_charts));
        for (guint k = 0; k < cols->len && status == PLOT_OK; k++) {
            const compare_col_t *c = g_ptr_array_index(cols, k);
            status = write_cdfs(g_ptr_array_index(dbs, c->db_index), g_ptr_array_index(o.paths, c->db_index),
                                c->run_id, (int)k + 1, c, o.out, inputs, (int64_t *)(void *)counts->data, written);
        }
        if (status != PLOT_OK)
            goto done;
    }

    print_table(cols);
    note_incomplete(cols);
    if (o.out) {
        fputc('\n', stdout);
        status = write_scripts(cols, (const int64_t *)(const void *)counts->data, o.out, o.format, inputs, scripts,
                               written);
        if (status == PLOT_OK)
            status = plot_render("compare", o.out, scripts, o.format, inputs, written);
        plot_print_written(written);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chainsim compare: cannot write to standard output\n");
        status = PLOT_RUNTIME;
    }
done:
    g_ptr_array_unref(dbs);
    g_array_unref(counts);
    g_ptr_array_unref(scripts);
    g_ptr_array_unref(written);
    g_ptr_array_unref(cols);
    g_ptr_array_unref(o.paths);
    return status;
}
