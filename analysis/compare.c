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
 * without any sample in any run is skipped with a note. The legends name
 * what differs between the runs: their varying parameters (run_params,
 * scenario.seed aside; the seed when seeds differ), or the scenario when
 * more than COMPARE_LABEL_KEYS parameters differ. The databases are only
 * read. --run LIST keeps the runs with those ids in every database.
 *
 * With --group-by KEY[,KEY...] (group_main()): the runs are grouped by
 * their values of the parameters; per group and metric (--metrics, columns
 * of v_run_summary, plot_metrics[]) n (runs with a value), mean, sample
 * standard deviation and the 95 % confidence interval of the mean
 * (Student's t, n - 1 degrees of freedom; none for n = 1). Groups are
 * ordered key by key: numerically when every value of the key parses with
 * one unit parser (plot_param_numbers()), else by first appearance in run
 * order (a sweep's grid order). A grouping that leaves out a parameter in
 * which the runs differ would average over it silently: refused (exit 2)
 * unless --pool. Only complete runs enter the groups unless
 * --include-incomplete. Output (--format): a table with one column per
 * group, CSV (one row per group: the keys, runs, then per metric
 * <m>_n,<m>_mean,<m>_sd,<m>_ci_low,<m>_ci_high; empty when undefined), JSON
 * (an array, one object per group and line: group, runs, metrics: {name:
 * {n, mean, sd, ci_low, ci_high}}, null when undefined) or a LaTeX booktabs
 * tabular ("$mean \pm half$", the half-width with two significant digits).
 * Without --group-by, csv, json and latex give one row per run, keyed by
 * database, run, scenario and seed.
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
    .usage = "DB... [--run LIST] [--out DIR] [--format table|csv|json|latex] [--format png|svg|pdf]\n"
             "DB... --group-by GROUP.KEY[,GROUP.KEY...] [--metrics LIST] [--run LIST] [--pool]\n"
             "      [--include-incomplete] [--format table|csv|json|latex]",
    .about = "Prints every run of every results database DB side by side: one column per\n"
             "run (scenario, run id, database file), one row per headline metric of the\n"
             "view v_run_summary (consensus, throughput, confirmation and finality latency,\n"
             "block propagation, stale rate, reorgs, missed slots).\n"
             "With --group-by, the runs are grouped by their values of the given scenario\n"
             "parameters (run_params; e.g. the parameters of a sweep) and each group gets,\n"
             "per metric, the mean over its runs (seeds) and a 95 % confidence interval of\n"
             "the mean (Student's t, n - 1 degrees of freedom), as a table, CSV, JSON or a\n"
             "LaTeX tabular.\n",
    .operands = (const cli_operand_t[]){ { "DB", "the results database files", CLI_MANY },
                                         { NULL, NULL, CLI_ONE } },
    .notes = "--format may be given twice: a table format (table, csv, json, latex) for\n"
             "what is printed, an image format (png, svg, pdf) for the charts of --out.\n"
             "Groups are ordered by their values: numerically when every value of a\n"
             "parameter is a number with an optional unit, else in the order the runs\n"
             "have them (a sweep's grid order). Only complete runs enter the groups\n"
             "unless --include-incomplete; the others are named on stderr. A group may\n"
             "not mix runs that differ in a parameter left out of --group-by (the seed\n"
             "aside) unless --pool is given.\n"
             "gnuplot is looked up in PATH; CHAINSIM_GNUPLOT=PROGRAM overrides that and\n"
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
    { "confirmed_share", "confirmed share (latency coverage)", CU_PERCENT },
    { "finalized_share", "final share (latency coverage)", CU_PERCENT },
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

/* What --format chose for the printed table. */
typedef enum compare_text { CT_TABLE, CT_CSV, CT_JSON, CT_LATEX } compare_text_t;

typedef struct compare_opts {
    GPtrArray *paths; /* borrowed from argv */
    const char *out;
    int format; /* plot_format_t */
    compare_text_t text;  /* the printed table's format */
    const char *group_by; /* --group-by KEY[,KEY...], or NULL */
    const char *metrics;  /* --metrics NAME[,NAME...], or NULL: the default rows */
    GArray *runs;         /* --run: int64_t pairs (first, last); empty: every run */
    bool include_incomplete;
    bool pool;            /* --pool: groups may mix runs that differ in other parameters */
} compare_opts_t;

static bool check_format(void *dest, const char *value, char **why);
static int label_columns(GPtrArray *cols, GPtrArray *dbs, const compare_opts_t *o);
static bool check_runs(void *dest, const char *value, char **why);
static bool run_wanted(const compare_opts_t *o, int64_t run_id);
static int group_main(compare_opts_t *o);
static char *varying_label(GHashTable *params, GHashTable *varying, int64_t seed, bool seeds_vary);

/* Parses the arguments into *o. Returns CLI_GO_ON, or an exit status after
 * printing the help or the usage error. */
static int parse_args(int argc, char **argv, compare_opts_t *o)
{
    const cli_option_t opts[] = {
        { "out", 0, CLI_TEXT, &o->out, "DIR",
          "also write the confirmation and finality latency CDFs of all\n"
          "runs, overlaid: data (.dat), gnuplot scripts (.gp) and images",
          NULL, NULL },
        { "format", 0, CLI_CUSTOM, o, "F",
          "table (default), csv, json or latex: the printed table;\n"
          "png (default), svg or pdf: the images with --out",
          NULL, check_format },
        { "group-by", 0, CLI_TEXT, &o->group_by, "KEYS",
          "group the runs by these scenario parameters (comma\n"
          "separated, e.g. consensus.kind or consensus.kind,network.nodes):\n"
          "mean and 95 % confidence interval over the runs of a group",
          NULL, NULL },
        { "metrics", 0, CLI_TEXT, &o->metrics, "LIST",
          "with --group-by: the columns of v_run_summary to show\n"
          "(comma separated; default: throughput, latencies and their\n"
          "shares, propagation, stale rate, reorgs, missed slots)",
          NULL, NULL },
        { "run", 0, CLI_CUSTOM, o, "LIST",
          "only these runs of each database: ids and ranges, e.g. 3 or\n"
          "1-4,7 (default: every run)",
          NULL, check_runs },
        { "pool", 0, CLI_FLAG, &o->pool, NULL,
          "with --group-by: let a group pool runs that differ in a\n"
          "parameter not named in --group-by (refused by default)",
          NULL, NULL },
        { "include-incomplete", 0, CLI_FLAG, &o->include_incomplete, NULL,
          "with --group-by: runs that did not complete enter the means\n"
          "too (by default they are left out and named on stderr)",
          NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&compare_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    for (char **p = operands; *p; p++)
        g_ptr_array_add(o->paths, *p);
    g_free(operands);
    if (o->metrics && !o->group_by && o->text == CT_TABLE)
        return cli_usage_error("compare", "--metrics goes with --group-by or --format csv|json|latex");
    if (o->pool && !o->group_by)
        return cli_usage_error("compare", "--pool goes with --group-by");
    if (o->include_incomplete && !o->group_by)
        return cli_usage_error("compare", "--include-incomplete goes with --group-by, which computes means");
    if (o->group_by && o->out)
        return cli_usage_error("compare", "--out draws the runs' latency CDFs and does not go with --group-by;"
                                          " plot DB --x KEY --series KEY draws grouped means");
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

/* Selects the columns cols (SQL, comma separated) of run_id from
 * v_run_summary and steps to its row, leaving *st on it (finalize it, also
 * on failure). Returns PLOT_OK or an exit status after printing why. */
static int summary_row(sqlite3 *db, const char *path, int64_t run_id, const char *cols, sqlite3_stmt **st)
{
    char *sql = g_strdup_printf("SELECT %s FROM v_run_summary WHERE run_id = ?1", cols);
    int status = PLOT_OK;
    *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        fprintf(stderr, "chainsim compare: %s: cannot read the view v_run_summary: %s\n", path, sqlite3_errmsg(db));
        status = (sqlite3_errcode(db) & 0xff) == SQLITE_ERROR ? PLOT_BADINPUT : PLOT_RUNTIME;
    } else {
        sqlite3_bind_int64(*st, 1, run_id);
        if (sqlite3_step(*st) != SQLITE_ROW) {
            fprintf(stderr, "chainsim compare: %s: cannot read run %" G_GINT64_FORMAT " from v_run_summary: %s\n",
                    path, run_id, sqlite3_errmsg(db));
            status = PLOT_RUNTIME;
        }
    }
    g_free(sql);
    return status;
}

/* Reads the summary of run_id of db (file path) into a new column. */
static int read_column(sqlite3 *db, const char *path, int64_t run_id, compare_col_t **out)
{
    GString *sql = g_string_new("scenario_name");
    for (size_t i = 0; i < COMPARE_NROWS; i++)
        g_string_append_printf(sql, ", %s", compare_rows[i].column);
    sqlite3_stmt *st = NULL;
    int status = summary_row(db, path, run_id, sql->str, &st);
    if (status == PLOT_OK) {
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
                            "set key bottom right noopaque\n"
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
    o.runs = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GPtrArray *cols = g_ptr_array_new_with_free_func(col_free);
    GPtrArray *written = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *scripts = g_ptr_array_new_with_free_func(g_free);
    GArray *counts = g_array_new(FALSE, TRUE, sizeof(int64_t)); /* samples per run and chart */
    GPtrArray *dbs = g_ptr_array_new_with_free_func(close_db);
    int status = parse_args(argc, argv, &o);
    if (status != CLI_GO_ON)
        goto done;
    if (o.group_by || o.text != CT_TABLE) {
        status = group_main(&o);
        goto done;
    }
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
        guint taken = 0;
        for (guint r = 0; status == PLOT_OK && r < ids->len; r++) {
            if (!run_wanted(&o, g_array_index(ids, int64_t, r)))
                continue;
            taken++;
            compare_col_t *c = NULL;
            status = read_column(db, path, g_array_index(ids, int64_t, r), &c);
            if (status == PLOT_OK) {
                c->db_index = p;
                c->run_id = g_array_index(ids, int64_t, r);
                g_ptr_array_add(cols, c);
            }
        }
        if (status == PLOT_OK && taken == 0) {
            fprintf(stderr, "chainsim compare: %s: no run matches --run\n", path);
            status = PLOT_BADINPUT;
        }
        if (ids)
            g_array_unref(ids);
    }
    if (status != PLOT_OK)
        goto done;
    if ((status = label_columns(cols, dbs, &o)) != PLOT_OK)
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
    g_array_unref(o.runs);
    return status;
}

/* ---- options: --format, --run ------------------------------------------ */

/* --format: a table format sets o->text, an image format o->format. */
static bool check_format(void *dest, const char *value, char **why)
{
    compare_opts_t *o = dest;
    static const char *const texts[] = { "table", "csv", "json", "latex" };
    for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
        if (strcmp(value, texts[i]) == 0) {
            o->text = (compare_text_t)i;
            return true;
        }
    }
    for (int i = 0; plot_format_names[i]; i++) {
        if (strcmp(value, plot_format_names[i]) == 0) {
            o->format = i;
            return true;
        }
    }
    *why = g_strdup("expected table, csv, json or latex (the printed table), or png, svg or pdf (the images)");
    return false;
}

/* A run id of --run: a whole number from 1. */
static bool parse_run_id(const char *s, int64_t *out)
{
    guint64 v = 0;
    if (!*s || !g_ascii_isdigit(*s) || !g_ascii_string_to_unsigned(s, 10, 1, G_MAXINT64, &v, NULL))
        return false;
    *out = (int64_t)v;
    return true;
}

/* --run LIST: ids and ranges A-B, comma separated, appended to o->runs as
 * (first, last) pairs. */
static bool check_runs(void *dest, const char *value, char **why)
{
    compare_opts_t *o = dest;
    char **parts = g_strsplit(value, ",", -1);
    bool ok = parts[0] != NULL;
    for (char **p = parts; *p && ok; p++) {
        char *item = g_strstrip(*p);
        char *dash = strchr(item, '-');
        int64_t a = 0, b = 0;
        if (dash) {
            *dash = '\0';
            ok = parse_run_id(g_strstrip(item), &a) && parse_run_id(g_strstrip(dash + 1), &b) && a <= b;
        } else {
            ok = parse_run_id(item, &a);
            b = a;
        }
        if (ok) {
            g_array_append_val(o->runs, a);
            g_array_append_val(o->runs, b);
        }
    }
    g_strfreev(parts);
    if (!ok)
        *why = g_strdup("expected run ids and ranges separated by commas, e.g. 3 or 1-4,7 (whole numbers from 1)");
    return ok;
}

/* Whether --run takes run_id (every run without --run). */
static bool run_wanted(const compare_opts_t *o, int64_t run_id)
{
    if (o->runs->len == 0)
        return true;
    for (guint i = 0; i + 1 < o->runs->len; i += 2)
        if (run_id >= g_array_index(o->runs, int64_t, i) && run_id <= g_array_index(o->runs, int64_t, i + 1))
            return true;
    return false;
}

/* ---- runs grouped by parameters (--group-by), tables for papers -------- */

/* The metrics shown by default with --group-by. */
static const char *const group_default_metrics[] = {
    "tps",
    "confirm_latency_p50_s",
    "confirm_latency_p90_s",
    "confirmed_share",
    "finality_latency_p50_s",
    "finality_latency_p90_s",
    "finalized_share",
    "propagation_p50_s",
    "propagation_p90_s",
    "stale_rate",
    "reorgs",
    "missed_slots",
};

/* One run read for grouping. */
typedef struct group_run {
    char **keys;     /* its value of each grouping parameter ("" when it has none) */
    double *values;  /* per metric; NaN for NULL */
    bool complete;
    char *state;     /* resultsdb_run_status() state word */
    char *where;     /* "DB run ID", for notes */
} group_run_t;

static void group_run_free(gpointer p)
{
    group_run_t *r = p;
    g_strfreev(r->keys);
    g_free(r->values);
    g_free(r->state);
    g_free(r->where);
    g_free(r);
}

/* A group: its key values, the runs in it, and per metric n, mean, sample
 * standard deviation and the 95 % CI of the mean. */
typedef struct group {
    char **keys;     /* borrowed from its first run */
    double *rank;    /* per key: its place in the order of that key's values */
    int64_t runs;
    int64_t *n;
    double *mean, *sd, *lo, *hi;
} group_t;

static void group_free_one(gpointer p)
{
    group_t *g = p;
    g_free(g->rank);
    g_free(g->n);
    g_free(g->mean);
    g_free(g->sd);
    g_free(g->lo);
    g_free(g->hi);
    g_free(g);
}

/* Every parameter of run_id (key -> value, both owned) into *out. Returns
 * PLOT_OK or an exit status after printing why. */
static int load_params(sqlite3 *db, const char *path, int64_t run_id, GHashTable **out)
{
    *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM run_params WHERE run_id = ?1", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "chainsim compare: %s: cannot read run_params: %s\n", path, sqlite3_errmsg(db));
        return PLOT_RUNTIME;
    }
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0), *v = (const char *)sqlite3_column_text(st, 1);
        g_hash_table_replace(*out, g_strdup(k ? k : ""), g_strdup(v ? v : ""));
    }
    int status = PLOT_OK;
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "chainsim compare: %s: cannot read run_params: %s\n", path, sqlite3_errmsg(db));
        status = PLOT_RUNTIME;
    }
    sqlite3_finalize(st);
    return status;
}

/* The keys whose values differ between the runs (params: one hash table
 * per run), scenario.seed aside, as a set (g_hash_table_unref). */
static GHashTable *varying_keys_of(GPtrArray *params)
{
    GHashTable *varying = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < params->len; i++) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, g_ptr_array_index(params, i));
        while (g_hash_table_iter_next(&it, &k, &v)) {
            if (strcmp(k, "scenario.seed") == 0 || g_hash_table_contains(varying, k))
                continue;
            for (guint j = 0; j < params->len; j++) {
                const char *w = g_hash_table_lookup(g_ptr_array_index(params, j), k);
                if (!w || strcmp(w, v) != 0) {
                    g_hash_table_add(varying, g_strdup(k));
                    break;
                }
            }
        }
    }
    return varying;
}

/* At most this many varying parameters make a legend; runs that differ in
 * more (different scenarios) are named by scenario. */
#define COMPARE_LABEL_KEYS 3

/* "kind=pos, nodes=200, seed 3": the varying parameters of a run in key
 * order, the group name dropped when no other varying key has the same
 * name, and the seed when seeds vary; NULL when nothing varies or more than
 * COMPARE_LABEL_KEYS parameters do (g_free). */
static char *varying_label(GHashTable *params, GHashTable *varying, int64_t seed, bool seeds_vary)
{
    if (g_hash_table_size(varying) > COMPARE_LABEL_KEYS)
        return NULL;
    GList *keys = g_list_sort(g_hash_table_get_keys(varying), (GCompareFunc)(void *)strcmp);
    GString *s = g_string_new(NULL);
    for (GList *k = keys; k; k = k->next) {
        const char *key = k->data, *dot = strchr(key, '.');
        const char *name = dot ? dot + 1 : key;
        for (GList *o = keys; o && dot; o = o->next) {
            const char *od = strchr(o->data, '.');
            if (o != k && od && strcmp(od + 1, name) == 0)
                name = key; /* two groups have this key: keep the group */
        }
        const char *v = g_hash_table_lookup(params, key);
        g_string_append_printf(s, "%s%s=%s", s->len ? ", " : "", name, v ? v : "(unset)");
    }
    g_list_free(keys);
    if (seeds_vary)
        g_string_append_printf(s, "%sseed %" G_GINT64_FORMAT, s->len ? ", " : "", seed);
    if (s->len == 0) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

/* The metrics to show: --metrics or the default list, as plot_metrics rows.
 * Returns PLOT_OK or PLOT_BADINPUT after printing why. */
static int pick_metrics(const char *list, GPtrArray *out)
{
    char **names = NULL;
    if (list) {
        names = g_strsplit(list, ",", -1);
    } else {
        names = g_new0(char *, G_N_ELEMENTS(group_default_metrics) + 1);
        for (size_t i = 0; i < G_N_ELEMENTS(group_default_metrics); i++)
            names[i] = g_strdup(group_default_metrics[i]);
    }
    int status = PLOT_OK;
    for (char **n = names; *n && status == PLOT_OK; n++) {
        const plot_metric_t *m = plot_metric_find(g_strstrip(*n));
        if (!m) {
            GString *all = g_string_new(NULL);
            for (const plot_metric_t *p = plot_metrics; p->name; p++)
                g_string_append_printf(all, "%s%s", all->len ? ", " : "", p->name);
            char *q = cli_quote(*n);
            status = cli_usage_error("compare", "--metrics %s: expected columns of v_run_summary among %s", q,
                                     all->str);
            g_free(q);
            g_string_free(all, TRUE);
        } else {
            g_ptr_array_add(out, (gpointer)m);
        }
    }
    if (status == PLOT_OK && out->len == 0)
        status = cli_usage_error("compare", "--metrics: expected at least one column of v_run_summary");
    g_strfreev(names);
    return status;
}

/* Reads the metrics of run_id (NaN for NULL) into values[]. */
static int read_metrics(sqlite3 *db, const char *path, int64_t run_id, const GPtrArray *metrics, double *values)
{
    GString *sql = g_string_new(NULL);
    for (guint i = 0; i < metrics->len; i++)
        g_string_append_printf(sql, "%s%s", i ? ", " : "", ((const plot_metric_t *)g_ptr_array_index(metrics, i))->name);
    sqlite3_stmt *st = NULL;
    int status = summary_row(db, path, run_id, sql->str, &st);
    for (guint i = 0; status == PLOT_OK && i < metrics->len; i++)
        values[i] = sqlite3_column_type(st, (int)i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, (int)i);
    sqlite3_finalize(st);
    g_string_free(sql, TRUE);
    return status;
}

/* The number of decimals that shows half (a CI half-width) with two
 * significant digits, or v with four when there is no interval. */
static int decimals_for(double v, double half)
{
    double ref = isfinite(half) && half > 0 ? half : fabs(v);
    if (!isfinite(ref) || ref == 0)
        return 2;
    int d = (isfinite(half) && half > 0 ? 1 : 3) - (int)floor(log10(ref));
    return CLAMP(d, 0, 9);
}

/* "mean ± half" (or the mean alone for n = 1, "—" for none), decimals by
 * decimals_for(); pm is the plus-minus sign to use (g_free). */
static char *format_mean(double mean, double lo, double hi, const char *pm)
{
    if (!isfinite(mean))
        return g_strdup("\u2014");
    double half = isfinite(hi) ? hi - mean : NAN;
    int d = decimals_for(mean, half);
    if (!isfinite(half))
        return g_strdup_printf("%.*f", d, mean);
    return g_strdup_printf("%.*f%s%.*f", d, mean, pm, d, half);
}

/* Whether run r belongs to group g. */
static bool group_has(const group_t *g, const group_run_t *r)
{
    return g_strv_equal((const char *const *)r->keys, (const char *const *)g->keys);
}

/* Fills g's statistics from the runs of rows[] that belong to it. */
static void group_compute(group_t *g, GPtrArray *rows, guint nmetrics)
{
    g->n = g_new0(int64_t, nmetrics);
    g->mean = g_new(double, nmetrics);
    g->sd = g_new(double, nmetrics);
    g->lo = g_new(double, nmetrics);
    g->hi = g_new(double, nmetrics);
    for (guint m = 0; m < nmetrics; m++) {
        double sum = 0.0;
        int64_t n = 0;
        for (guint i = 0; i < rows->len; i++) {
            group_run_t *r = g_ptr_array_index(rows, i);
            if (group_has(g, r) && isfinite(r->values[m])) {
                sum += r->values[m];
                n++;
            }
        }
        g->n[m] = n;
        g->mean[m] = n ? sum / (double)n : NAN;
        g->sd[m] = g->lo[m] = g->hi[m] = NAN;
        if (n < 2)
            continue;
        double ss = 0.0;
        for (guint i = 0; i < rows->len; i++) {
            group_run_t *r = g_ptr_array_index(rows, i);
            if (group_has(g, r) && isfinite(r->values[m]))
                ss += (r->values[m] - g->mean[m]) * (r->values[m] - g->mean[m]);
        }
        g->sd[m] = sqrt(ss / (double)(n - 1));
        double half = plot_t95(n - 1) * g->sd[m] / sqrt((double)n);
        g->lo[m] = g->mean[m] - half;
        g->hi[m] = g->mean[m] + half;
    }
}

/* Ranks the values of key k over the groups: numerically when every value
 * parses with one unit parser, else by first appearance (the runs' order:
 * a sweep's grid order, the order of the databases). */
static void rank_key(GPtrArray *groups, guint k)
{
    GPtrArray *distinct = g_ptr_array_new();
    for (guint i = 0; i < groups->len; i++) {
        const char *v = ((group_t *)g_ptr_array_index(groups, i))->keys[k];
        bool seen = false;
        for (guint j = 0; j < distinct->len && !seen; j++)
            seen = strcmp(g_ptr_array_index(distinct, j), v) == 0;
        if (!seen)
            g_ptr_array_add(distinct, (gpointer)v);
    }
    double *x = g_new(double, distinct->len ? distinct->len : 1);
    bool numeric = plot_param_numbers((const char *const *)distinct->pdata, distinct->len, x);
    for (guint i = 0; i < groups->len; i++) {
        group_t *g = g_ptr_array_index(groups, i);
        for (guint j = 0; j < distinct->len; j++)
            if (strcmp(g_ptr_array_index(distinct, j), g->keys[k]) == 0)
                g->rank[k] = numeric ? x[j] : (double)j;
    }
    g_free(x);
    g_ptr_array_free(distinct, TRUE);
}

static guint group_nkeys; /* for group_cmp: the number of keys */

static int group_cmp(gconstpointer a, gconstpointer b)
{
    const group_t *ga = *(group_t *const *)a, *gb = *(group_t *const *)b;
    for (guint k = 0; k < group_nkeys; k++)
        if (ga->rank[k] != gb->rank[k])
            return ga->rank[k] < gb->rank[k] ? -1 : 1;
    return 0;
}

/* CSV field per RFC 4180: quoted when it holds a comma, quote or line end. */
static void csv_text(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    fputc('"', stdout);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', stdout);
        fputc(*p, stdout);
    }
    fputc('"', stdout);
}

static void csv_real(double v)
{
    if (isfinite(v)) {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        fputs(g_ascii_formatd(buf, sizeof buf, "%.17g", v), stdout);
    }
}

/* s with LaTeX's special characters escaped (g_free). */
static char *latex_text(const char *s)
{
    GString *o = g_string_new(NULL);
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&': case '%': case '$': case '#': case '_': case '{': case '}':
            g_string_append_c(o, '\\');
            g_string_append_c(o, *p);
            break;
        case '~':
            g_string_append(o, "\\textasciitilde{}");
            break;
        case '^':
            g_string_append(o, "\\textasciicircum{}");
            break;
        case '\\':
            g_string_append(o, "\\textbackslash{}");
            break;
        default:
            g_string_append_c(o, *p);
        }
    }
    return g_string_free(o, FALSE);
}

/* A metric's heading: "label (unit)". */
static char *metric_heading(const plot_metric_t *m)
{
    return g_strdup_printf("%s (%s)", m->label, m->unit);
}

static void print_group_table(char **keys, GPtrArray *groups, GPtrArray *metrics, const char *what)
{
    guint nk = g_strv_length(keys);
    printf("%s\n", what);
    /* One column per group, as the runs are without --group-by. */
    GPtrArray *labels = g_ptr_array_new_with_free_func(g_free);
    for (guint k = 0; k < nk; k++)
        g_ptr_array_add(labels, g_strdup(keys[k]));
    g_ptr_array_add(labels, g_strdup("runs"));
    for (guint m = 0; m < metrics->len; m++)
        g_ptr_array_add(labels, metric_heading(g_ptr_array_index(metrics, m)));
    guint rows = labels->len;
    char ***cells = g_new0(char **, groups->len);
    for (guint i = 0; i < groups->len; i++) {
        group_t *g = g_ptr_array_index(groups, i);
        cells[i] = g_new0(char *, rows + 1);
        for (guint k = 0; k < nk; k++)
            cells[i][k] = g_strdup(*g->keys[k] ? g->keys[k] : "(unset)");
        cells[i][nk] = g_strdup_printf("%" G_GINT64_FORMAT, g->runs);
        for (guint m = 0; m < metrics->len; m++) {
            char *v = format_mean(g->mean[m], g->lo[m], g->hi[m], " \u00b1 ");
            cells[i][nk + 1 + m] = g->n[m] > 0 && g->n[m] < g->runs
                                       ? g_strdup_printf("%s (n=%" G_GINT64_FORMAT ")", v, g->n[m])
                                       : g_strdup(v);
            g_free(v);
        }
    }
    int lw = 0;
    for (guint r = 0; r < rows; r++)
        lw = MAX(lw, width_of(g_ptr_array_index(labels, r)));
    lw += 2;
    int *w = g_new0(int, groups->len ? groups->len : 1);
    for (guint i = 0; i < groups->len; i++) {
        for (guint r = 0; r < rows; r++)
            w[i] = MAX(w[i], width_of(cells[i][r]));
        w[i] += 2;
    }
    for (guint r = 0; r < rows; r++) {
        print_padded(g_ptr_array_index(labels, r), lw);
        for (guint i = 0; i < groups->len; i++) {
            if (i + 1 < groups->len)
                print_padded(cells[i][r], w[i]);
            else
                fputs(cells[i][r], stdout);
        }
        fputc('\n', stdout);
        if (r == nk)
            fputc('\n', stdout);
    }
    for (guint i = 0; i < groups->len; i++)
        g_strfreev(cells[i]);
    g_free(cells);
    g_free(w);
    g_ptr_array_unref(labels);
}

static void print_group_csv(char **keys, GPtrArray *groups, GPtrArray *metrics)
{
    guint nk = g_strv_length(keys);
    for (guint k = 0; k < nk; k++) {
        csv_text(keys[k]);
        fputc(',', stdout);
    }
    fputs("runs", stdout);
    for (guint m = 0; m < metrics->len; m++) {
        const char *n = ((const plot_metric_t *)g_ptr_array_index(metrics, m))->name;
        printf(",%s_n,%s_mean,%s_sd,%s_ci_low,%s_ci_high", n, n, n, n, n);
    }
    fputc('\n', stdout);
    for (guint i = 0; i < groups->len; i++) {
        group_t *g = g_ptr_array_index(groups, i);
        for (guint k = 0; k < nk; k++) {
            csv_text(g->keys[k]);
            fputc(',', stdout);
        }
        printf("%" G_GINT64_FORMAT, g->runs);
        for (guint m = 0; m < metrics->len; m++) {
            printf(",%" G_GINT64_FORMAT ",", g->n[m]);
            csv_real(g->mean[m]);
            fputc(',', stdout);
            csv_real(g->sd[m]);
            fputc(',', stdout);
            csv_real(g->lo[m]);
            fputc(',', stdout);
            csv_real(g->hi[m]);
        }
        fputc('\n', stdout);
    }
}

static void print_group_json(char **keys, GPtrArray *groups, GPtrArray *metrics)
{
    guint nk = g_strv_length(keys);
    fputs("[\n", stdout);
    for (guint i = 0; i < groups->len; i++) {
        group_t *g = g_ptr_array_index(groups, i);
        fputs("  {\"group\": {", stdout);
        for (guint k = 0; k < nk; k++) {
            if (k)
                fputs(", ", stdout);
            resultsdb_json_text(stdout, keys[k], strlen(keys[k]));
            fputs(": ", stdout);
            resultsdb_json_text(stdout, g->keys[k], strlen(g->keys[k]));
        }
        printf("}, \"runs\": %" G_GINT64_FORMAT ", \"metrics\": {", g->runs);
        for (guint m = 0; m < metrics->len; m++) {
            const char *n = ((const plot_metric_t *)g_ptr_array_index(metrics, m))->name;
            printf("%s\"%s\": {\"n\": %" G_GINT64_FORMAT ", \"mean\": ", m ? ", " : "", n, g->n[m]);
            resultsdb_json_real(stdout, g->mean[m]);
            fputs(", \"sd\": ", stdout);
            resultsdb_json_real(stdout, g->sd[m]);
            fputs(", \"ci_low\": ", stdout);
            resultsdb_json_real(stdout, g->lo[m]);
            fputs(", \"ci_high\": ", stdout);
            resultsdb_json_real(stdout, g->hi[m]);
            fputc('}', stdout);
        }
        printf("}}%s\n", i + 1 < groups->len ? "," : "");
    }
    fputs("]\n", stdout);
}

static void print_group_latex(char **keys, GPtrArray *groups, GPtrArray *metrics, const char *what)
{
    guint nk = g_strv_length(keys);
    char *w = latex_text(what);
    printf("%% %s\n%% needs \\usepackage{booktabs}\n\\begin{tabular}{", w);
    g_free(w);
    for (guint k = 0; k < nk; k++)
        fputc('l', stdout);
    fputc('r', stdout);
    for (guint m = 0; m < metrics->len; m++)
        fputc('r', stdout);
    fputs("}\n\\toprule\n", stdout);
    for (guint k = 0; k < nk; k++) {
        char *t = latex_text(keys[k]);
        printf("%s & ", t);
        g_free(t);
    }
    fputs("runs", stdout);
    for (guint m = 0; m < metrics->len; m++) {
        char *h = metric_heading(g_ptr_array_index(metrics, m));
        char *t = latex_text(h);
        printf(" & %s", t);
        g_free(t);
        g_free(h);
    }
    fputs(" \\\\\n\\midrule\n", stdout);
    for (guint i = 0; i < groups->len; i++) {
        group_t *g = g_ptr_array_index(groups, i);
        for (guint k = 0; k < nk; k++) {
            char *t = latex_text(g->keys[k]);
            printf("%s & ", t);
            g_free(t);
        }
        printf("%" G_GINT64_FORMAT, g->runs);
        for (guint m = 0; m < metrics->len; m++) {
            if (!isfinite(g->mean[m])) {
                fputs(" & --", stdout);
                continue;
            }
            char *v = format_mean(g->mean[m], g->lo[m], g->hi[m], " \\pm ");
            printf(" & $%s$", v);
            g_free(v);
        }
        fputs(" \\\\\n", stdout);
    }
    fputs("\\bottomrule\n\\end{tabular}\n", stdout);
}

/* `compare --group-by`, and the ungrouped runs in CSV, JSON or LaTeX (each
 * run its own group, keyed by database, run, scenario and seed). */
static int group_main(compare_opts_t *o)
{
    GPtrArray *metrics = g_ptr_array_new();
    GPtrArray *rows = g_ptr_array_new_with_free_func(group_run_free);
    GPtrArray *params = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
    GPtrArray *groups = g_ptr_array_new_with_free_func(group_free_one);
    GString *left = g_string_new(NULL);
    char **keys = NULL;
    int64_t left_out = 0, taken_incomplete = 0;
    int status = pick_metrics(o->metrics, metrics);
    if (status != PLOT_OK)
        goto done;
    if (o->group_by) {
        keys = g_strsplit(o->group_by, ",", -1);
        for (char **k = keys; *k; k++)
            g_strstrip(*k);
        if (!keys[0] || !*keys[0]) {
            status = cli_usage_error("compare", "--group-by: expected scenario parameters GROUP.KEY, comma separated");
            goto done;
        }
    } else {
        keys = g_strsplit("database,run,scenario,seed", ",", -1);
    }
    guint nk = g_strv_length(keys);

    for (guint p = 0; p < o->paths->len && status == PLOT_OK; p++) {
        const char *path = g_ptr_array_index(o->paths, p);
        sqlite3 *db = NULL;
        GArray *ids = NULL;
        status = plot_open_db("compare", path, &db);
        if (status == PLOT_OK)
            status = plot_run_ids("compare", db, path, &ids);
        guint taken = 0;
        for (guint r = 0; status == PLOT_OK && r < ids->len; r++) {
            int64_t id = g_array_index(ids, int64_t, r);
            if (!run_wanted(o, id))
                continue;
            taken++;
            GHashTable *pm = NULL;
            status = load_params(db, path, id, &pm);
            g_ptr_array_add(params, pm);
            group_run_t *row = g_new0(group_run_t, 1);
            row->values = g_new(double, metrics->len);
            row->keys = g_new0(char *, nk + 1);
            g_ptr_array_add(rows, row);
            if (status == PLOT_OK)
                status = read_metrics(db, path, id, metrics, row->values);
            resultsdb_status_t rs = { 0 };
            if (status == PLOT_OK)
                status = resultsdb_run_status("compare", db, path, id, &rs);
            if (status != PLOT_OK)
                break;
            row->complete = rs.complete;
            row->state = g_strdup(rs.state);
            char *base = g_path_get_basename(path);
            row->where = g_strdup_printf("%s run %" G_GINT64_FORMAT, base, id);
            for (guint k = 0; k < nk; k++) {
                if (o->group_by) {
                    const char *v = g_hash_table_lookup(pm, keys[k]);
                    row->keys[k] = g_strdup(v ? v : "");
                } else if (k == 0) {
                    row->keys[k] = g_strdup(base);
                } else if (k == 1) {
                    row->keys[k] = g_strdup_printf("%" G_GINT64_FORMAT, id);
                } else {
                    sqlite3_stmt *st = NULL;
                    const char *col = k == 2 ? "scenario_name" : "seed";
                    char *sql = g_strdup_printf("SELECT %s FROM runs WHERE run_id = ?1", col);
                    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
                        sqlite3_bind_int64(st, 1, id);
                        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                            row->keys[k] = g_utf8_make_valid((const char *)sqlite3_column_text(st, 0), -1);
                    }
                    sqlite3_finalize(st);
                    g_free(sql);
                    if (!row->keys[k])
                        row->keys[k] = g_strdup("");
                }
            }
            g_free(base);
            resultsdb_status_clear(&rs);
        }
        if (status == PLOT_OK && taken == 0) {
            fprintf(stderr, "chainsim compare: %s: no run matches --run\n", path);
            status = PLOT_BADINPUT;
        }
        if (ids)
            g_array_unref(ids);
        sqlite3_close(db);
    }
    if (status != PLOT_OK)
        goto done;

    /* Every grouping key must be a parameter of some run. */
    for (guint k = 0; o->group_by && k < nk && status == PLOT_OK; k++) {
        bool any = false;
        for (guint i = 0; i < params->len && !any; i++)
            any = g_hash_table_contains(g_ptr_array_index(params, i), keys[k]);
        if (!any) {
            GHashTable *varying = varying_keys_of(params);
            GList *vk = g_list_sort(g_hash_table_get_keys(varying), (GCompareFunc)(void *)strcmp);
            GString *list = g_string_new(NULL);
            for (GList *l = vk; l; l = l->next)
                g_string_append_printf(list, "%s%s", list->len ? ", " : "", (const char *)l->data);
            fprintf(stderr, "chainsim compare: --group-by %s: no run has this parameter; %s%s\n", keys[k],
                    list->len ? "parameters that differ between the runs: " : "the runs differ only by seed",
                    list->str);
            g_string_free(list, TRUE);
            g_list_free(vk);
            g_hash_table_unref(varying);
            status = PLOT_BADINPUT;
        }
    }
    if (status == PLOT_OK && o->group_by) {
        GHashTable *varying = varying_keys_of(params);
        for (guint k = 0; k < nk; k++)
            g_hash_table_remove(varying, keys[k]);
        if (g_hash_table_size(varying) > 0) {
            GList *vk = g_list_sort(g_hash_table_get_keys(varying), (GCompareFunc)(void *)strcmp);
            GString *list = g_string_new(NULL);
            for (GList *l = vk; l; l = l->next)
                g_string_append_printf(list, "%s%s", list->len ? ", " : "", (const char *)l->data);
            if (o->pool) {
                fprintf(stderr, "chainsim compare: note: the groups pool runs that differ in %s (--pool)\n",
                        list->str);
            } else {
                fprintf(stderr,
                        "chainsim compare: --group-by %s would pool runs that differ in %s too, and average over"
                        " it silently; add %s to --group-by, choose runs with --run, or pool on purpose with"
                        " --pool\n",
                        o->group_by, list->str, g_hash_table_size(varying) == 1 ? "it" : "them");
                status = PLOT_BADINPUT;
            }
            g_string_free(list, TRUE);
            g_list_free(vk);
        }
        g_hash_table_unref(varying);
    }
    if (status != PLOT_OK)
        goto done;

    /* Incomplete runs stay out of the means unless asked for. */
    if (o->group_by) {
        for (guint i = 0; i < rows->len;) {
            group_run_t *r = g_ptr_array_index(rows, i);
            if (r->complete || o->include_incomplete) {
                taken_incomplete += !r->complete;
                i++;
                continue;
            }
            g_string_append_printf(left, "%s%s: %s", left_out++ ? "; " : "", r->where, r->state);
            g_ptr_array_remove_index(rows, i);
        }
        if (left_out)
            fprintf(stderr,
                    "chainsim compare: note: %" G_GINT64_FORMAT " run%s left out of the means: %s did not complete"
                    " (%s); --include-incomplete takes them in\n",
                    left_out, left_out == 1 ? "" : "s", left_out == 1 ? "it" : "they", left->str);
        if (taken_incomplete)
            fprintf(stderr,
                    "chainsim compare: note: the means include %" G_GINT64_FORMAT " run%s that did not complete"
                    " (--include-incomplete)\n",
                    taken_incomplete, taken_incomplete == 1 ? "" : "s");
        if (rows->len == 0) {
            fprintf(stderr, "chainsim compare: no complete run to group; --include-incomplete takes the others in\n");
            status = PLOT_BADINPUT;
            goto done;
        }
    }

    /* The groups, in the order of their values. */
    for (guint i = 0; i < rows->len; i++) {
        group_run_t *r = g_ptr_array_index(rows, i);
        group_t *g = NULL;
        for (guint j = 0; j < groups->len && !g; j++)
            if (group_has(g_ptr_array_index(groups, j), r))
                g = g_ptr_array_index(groups, j);
        if (!g) {
            g = g_new0(group_t, 1);
            g->keys = r->keys;
            g->rank = g_new0(double, nk);
            g_ptr_array_add(groups, g);
        }
        g->runs++;
    }
    for (guint i = 0; i < groups->len; i++)
        group_compute(g_ptr_array_index(groups, i), rows, metrics->len);
    if (o->group_by) {
        for (guint k = 0; k < nk; k++)
            rank_key(groups, k);
        group_nkeys = nk;
        g_ptr_array_sort(groups, group_cmp);
    }

    char *what = o->group_by
                     ? g_strdup_printf("mean and 95 %% confidence interval of the mean (Student's t) over the runs"
                                       " of each group, by %s (%u runs, %u groups)",
                                       o->group_by, rows->len, groups->len)
                     : g_strdup_printf("%u runs, one a row", rows->len);
    switch (o->text) {
    case CT_TABLE:
        print_group_table(keys, groups, metrics, what);
        break;
    case CT_CSV:
        print_group_csv(keys, groups, metrics);
        break;
    case CT_JSON:
        print_group_json(keys, groups, metrics);
        break;
    case CT_LATEX:
        print_group_latex(keys, groups, metrics, what);
        break;
    }
    g_free(what);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chainsim compare: cannot write to standard output\n");
        status = PLOT_RUNTIME;
    }
done:
    g_string_free(left, TRUE);
    g_strfreev(keys);
    g_ptr_array_unref(groups);
    g_ptr_array_unref(params);
    g_ptr_array_unref(rows);
    g_ptr_array_unref(metrics);
    return status;
}

/* Names each column's legend by what differs between the runs compared
 * (their varying parameters, the seed when seeds differ) instead of by
 * scenario and file; columns of runs that did not complete keep their
 * state in the legend. Returns PLOT_OK or an exit status. */
static int label_columns(GPtrArray *cols, GPtrArray *dbs, const compare_opts_t *o)
{
    GPtrArray *params = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
    GArray *seeds = g_array_new(FALSE, TRUE, sizeof(int64_t));
    int status = PLOT_OK;
    for (guint k = 0; k < cols->len && status == PLOT_OK; k++) {
        compare_col_t *c = g_ptr_array_index(cols, k);
        const char *path = g_ptr_array_index(o->paths, c->db_index);
        GHashTable *pm = NULL;
        status = load_params(g_ptr_array_index(dbs, c->db_index), path, c->run_id, &pm);
        g_ptr_array_add(params, pm);
        const char *seed = g_hash_table_lookup(pm, "scenario.seed");
        int64_t v = seed ? g_ascii_strtoll(seed, NULL, 10) : 0;
        g_array_append_val(seeds, v);
    }
    if (status == PLOT_OK && cols->len > 1) {
        GHashTable *varying = varying_keys_of(params);
        bool seeds_vary = false;
        for (guint k = 1; k < seeds->len; k++)
            seeds_vary |= g_array_index(seeds, int64_t, k) != g_array_index(seeds, int64_t, 0);
        for (guint k = 0; k < cols->len; k++) {
            compare_col_t *c = g_ptr_array_index(cols, k);
            char *label = varying_label(g_ptr_array_index(params, k), varying, g_array_index(seeds, int64_t, k),
                                        seeds_vary);
            if (!label && g_hash_table_size(varying) > COMPARE_LABEL_KEYS)
                label = seeds_vary ? g_strdup_printf("%s, seed %" G_GINT64_FORMAT, c->head[0],
                                                     g_array_index(seeds, int64_t, k))
                                   : g_strdup(c->head[0]);
            if (!label)
                continue;
            g_free(c->legend);
            c->legend = c->complete ? label : g_strdup_printf("%s (%s)", label, c->head[COMPARE_STATUS]);
            if (!c->complete)
                g_free(label);
        }
        g_hash_table_unref(varying);
    }
    g_array_unref(seeds);
    g_ptr_array_unref(params);
    return status;
}
