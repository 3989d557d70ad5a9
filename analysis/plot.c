/*
 * plot.c - `chainsim plot`: data files, gnuplot scripts and charts of a run.
 *
 * Every figure comes from the SQL views (analysis/views.sql) or the tables
 * they are built on; this file selects rows, writes them as text and writes
 * the gnuplot scripts that draw them. It computes no metric.
 *
 * Charts (each skipped, with a note, when it has no data):
 *
 *   throughput       confirmed tx/s per 10 s window of simulated time
 *                    (v_throughput), with the run's mean (v_run_summary.tps)
 *   latency_cdf      CDFs of confirmation and finality latency (v_tx_latency)
 *   propagation_cdf  CDFs of the time blocks took to reach 50 %, 90 % and
 *                    100 % of the nodes (v_block_propagation); the stale
 *                    rate is in the title
 *   chain            chain height (min, median, max over the nodes) and mean
 *                    mempool size over time (samples), the fault events of
 *                    the run (faults) as labelled vertical lines
 *   reorg_depth      histogram of reorg depths (reorgs), with the stale rate
 *
 * Files in DIR: <series>.dat (numbers separated by spaces, '#' header lines
 * naming the run, the columns and their units), <chart>.gp (a self-contained
 * script: `reset`, terminal, output <chart>.<format>, a style block to edit,
 * labels, the plot command) and, when gnuplot ran, <chart>.<format>. Each
 * script renders on its own from DIR (`gnuplot chart.gp`), and all of them
 * in one session (`gnuplot *.gp`) since each one starts with `reset`.
 *
 * gnuplot is optional: plot_find_gnuplot() looks at CHAINSIM_GNUPLOT, then
 * PATH; without it the data and the scripts are still written and the
 * command exits 0 after saying how to render them.
 *
 * Every file is written under a temporary name and renamed when complete
 * (analysis/outfile.h), images too: the scripts write to the gnuplot
 * variable chainsim_image when it is set, and plot_render() sets it to a
 * temporary name and renames the image once gnuplot succeeded. No output
 * file may be the input database.
 */
#include "analysis/plot.h"

#include "analysis/cli.h"
#include "analysis/outfile.h"
#include "analysis/resultsdb.h"

#include "sim/scenario/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/wait.h>

#define PLOT_BUSY_MS 10000

static const cli_command_t plot_cli = {
    .name = "plot",
    .usage = "DB [--run ID] [--window DURATION] [--title TEXT | --no-title] [--out DIR] [--format png|svg|pdf]\n"
             "DB --x GROUP.KEY --y METRIC[,METRIC...] [--series GROUP.KEY] [--label TEXT]... [--pool]\n"
             "   [--logx] [--title TEXT | --no-title] [--include-incomplete] [--out DIR] [--format png|svg|pdf]",
    .about = "Writes charts of one run recorded in the results database DB: throughput,\n"
             "confirmation and finality latency CDFs, block propagation CDFs, chain height\n"
             "and mempool over time with the fault events, reorg depths and stale rate.\n"
             "For each chart DIR gets the data (.dat, with a header naming the columns and\n"
             "units), a gnuplot script (.gp, to restyle and render again with\n"
             "`gnuplot CHART.gp` from DIR) and, when gnuplot is installed, the image.\n",
    .operands = (const cli_operand_t[]){ { "DB", "the results database file", CLI_ONE }, { NULL, NULL, CLI_ONE } },
    .notes = "--x refuses to average over a parameter in which the runs differ that is\n"
             "neither --x nor --series (the seed aside): --series KEY draws one curve per\n"
             "value, --pool averages on purpose. Categorical values (consensus.kind) are\n"
             "drawn as points in grid order, numbers with units on a numeric axis; y starts\n"
             "at zero. The throughput chart's window is 10 block intervals (at least 10 s)\n"
             "unless --window, with the offered load (workload.tx_rate) drawn.\n"
             "gnuplot is looked up in PATH; CHAINSIM_GNUPLOT=PROGRAM overrides that and\n"
             "CHAINSIM_GNUPLOT= (empty) means no gnuplot: data and scripts only.\n"
             "The database is only read. Every file is written under a temporary name and\n"
             "renamed when complete, so a failure leaves older files as they were.\n",
    .exits = "0 success (also without gnuplot), 1 gnuplot failed or a file\n"
             "cannot be written, 2 bad usage, no such file or run, or not a chainsim\n"
             "results database\n",
};

/* ---- shared helpers ----------------------------------------------------- */

const char *const plot_format_names[] = { "png", "svg", "pdf", NULL };

const char *plot_format_ext(plot_format_t f)
{
    switch (f) {
    case PLOT_SVG:
        return "svg";
    case PLOT_PDF:
        return "pdf";
    case PLOT_PNG:
        break;
    }
    return "png";
}

/* Reports the last error of db for path while doing `what`: PLOT_BADINPUT
 * when the file is not a sound SQLite database, else PLOT_RUNTIME. */
static int db_error(const char *cmd, sqlite3 *db, const char *path, const char *what)
{
    int code = sqlite3_errcode(db) & 0xff;
    if (code == SQLITE_NOTADB) {
        fprintf(stderr, "chainsim %s: %s: not an SQLite database, so not a chainsim results database\n", cmd, path);
        return PLOT_BADINPUT;
    }
    if (code == SQLITE_CORRUPT) {
        fprintf(stderr, "chainsim %s: %s: the database file is damaged (%s)\n", cmd, path, sqlite3_errmsg(db));
        return PLOT_BADINPUT;
    }
    fprintf(stderr, "chainsim %s: %s: %s: %s\n", cmd, path, what, sqlite3_errmsg(db));
    return PLOT_RUNTIME;
}

/* Runs sql (no parameters; one row) and stores n integer columns in out[]
 * (NULL -> INT64_MIN). */
static int query_ints(const char *cmd, sqlite3 *db, const char *path, const char *sql, int64_t *out, int n)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(cmd, db, path, "cannot read the database");
    if (sqlite3_step(st) != SQLITE_ROW) {
        int status = db_error(cmd, db, path, "cannot read the database");
        sqlite3_finalize(st);
        return status;
    }
    for (int i = 0; i < n; i++)
        out[i] = sqlite3_column_type(st, i) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    return PLOT_OK;
}

int plot_open_db(const char *cmd, const char *path, sqlite3 **db)
{
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "chainsim %s: %s: no such file\n", cmd, path);
        return PLOT_BADINPUT;
    }
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "chainsim %s: %s: is a folder, not a results database\n", cmd, path);
        return PLOT_BADINPUT;
    }
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "chainsim %s: %s: cannot open: %s\n", cmd, path, *db ? sqlite3_errmsg(*db) : "out of memory");
        return PLOT_BADINPUT;
    }
    sqlite3_busy_timeout(*db, PLOT_BUSY_MS);

    static const char *const views[] = { "v_run_summary", "v_throughput", "v_tx_latency", "v_block_propagation" };
    int64_t found[1 + G_N_ELEMENTS(views)];
    GString *sql = g_string_new("SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs')");
    for (size_t i = 0; i < G_N_ELEMENTS(views); i++)
        g_string_append_printf(sql, ", (SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = '%s')",
                               views[i]);
    int status = query_ints(cmd, *db, path, sql->str, found, (int)G_N_ELEMENTS(found));
    g_string_free(sql, TRUE);
    if (status != PLOT_OK)
        return status;
    if (found[0] == 0) {
        fprintf(stderr, "chainsim %s: %s: not a chainsim results database (it has no runs table)\n", cmd, path);
        return PLOT_BADINPUT;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(views); i++) {
        if (found[1 + i] == 0) {
            fprintf(stderr,
                    "chainsim %s: %s: the analysis view %s (analysis/views.sql) is missing;\n"
                    "the database was not written by this version of chainsim or was made by another tool\n",
                    cmd, path, views[i]);
            return PLOT_BADINPUT;
        }
    }
    return PLOT_OK;
}

int plot_run_ids(const char *cmd, sqlite3 *db, const char *path, GArray **ids)
{
    *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT run_id FROM runs ORDER BY run_id", -1, &st, NULL) != SQLITE_OK)
        return db_error(cmd, db, path, "cannot read the runs");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        g_array_append_val(*ids, id);
    }
    int status = PLOT_OK;
    if (rc != SQLITE_DONE)
        status = db_error(cmd, db, path, "cannot read the runs");
    sqlite3_finalize(st);
    if (status == PLOT_OK && (*ids)->len == 0) {
        fprintf(stderr, "chainsim %s: %s: no run recorded in this database\n", cmd, path);
        status = PLOT_BADINPUT;
    }
    return status;
}

int plot_query_dat(const char *cmd, sqlite3 *db, const char *path, const char *sql, int64_t run_id, GString *out,
                   int64_t *rows)
{
    *rows = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(cmd, db, path, "cannot read the database");
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    int ncol = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < ncol; c++) {
            if (c)
                g_string_append_c(out, ' ');
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER:
                g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64)sqlite3_column_int64(st, c));
                break;
            case SQLITE_FLOAT: {
                char buf[G_ASCII_DTOSTR_BUF_SIZE];
                double v = sqlite3_column_double(st, c);
                g_string_append(out, isfinite(v) ? g_ascii_formatd(buf, sizeof buf, "%.9g", v) : "NaN");
                break;
            }
            case SQLITE_NULL:
                g_string_append(out, "NaN");
                break;
            default: { /* text: double-quoted, no quote or control character inside */
                char *valid = g_utf8_make_valid((const char *)sqlite3_column_text(st, c), -1);
                g_string_append_c(out, '"');
                for (const char *p = valid; *p; p++)
                    g_string_append_c(out, *p == '"' ? '\'' : ((unsigned char)*p < 0x20 ? ' ' : *p));
                g_string_append_c(out, '"');
                g_free(valid);
            }
            }
        }
        g_string_append_c(out, '\n');
        ++*rows;
    }
    int status = PLOT_OK;
    if (rc != SQLITE_DONE)
        status = db_error(cmd, db, path, "cannot read the database");
    sqlite3_finalize(st);
    return status;
}

char *plot_gp_quote(const char *s)
{
    GString *q = g_string_new("'");
    char *valid = g_utf8_make_valid(s ? s : "", -1);
    for (const char *p = valid; *p; p++) {
        if (*p == '\'')
            g_string_append(q, "''");
        else if ((unsigned char)*p < 0x20 || *p == 0x7f)
            g_string_append_c(q, ' ');
        else
            g_string_append_c(q, *p);
    }
    g_free(valid);
    g_string_append_c(q, '\'');
    return g_string_free(q, FALSE);
}

void plot_gp_begin(GString *gp, plot_format_t f, const char *chart, const char *about)
{
    g_string_append_printf(gp,
                           "# %s.gp - %s\n"
                           "# Written by chainsim; render from this folder with: gnuplot %s.gp\n"
                           "reset\n",
                           chart, about, chart);
    switch (f) {
    case PLOT_PNG:
        g_string_append(gp, "set terminal pngcairo size 1200,800 font 'sans,16' noenhanced\n");
        break;
    case PLOT_SVG:
        g_string_append(gp, "set terminal svg size 1200,800 dynamic font 'sans,16' noenhanced background rgb 'white'\n");
        break;
    case PLOT_PDF:
        g_string_append(gp, "set terminal pdfcairo size 6in,4in font 'sans,10' noenhanced\n");
        break;
    }
    /* chainsim draws into a temporary file named by chainsim_image and
     * renames it when gnuplot succeeded (plot_render()). */
    g_string_append_printf(gp,
                           "if (exists(\"chainsim_image\")) { set output chainsim_image } else { set output '%s.%s' }"
                           "\n\n",
                           chart, plot_format_ext(f));
}

int plot_mkdir(const char *cmd, const char *dir)
{
    if (g_mkdir_with_parents(dir, 0777) != 0) {
        fprintf(stderr, "chainsim %s: %s: cannot create the folder: %s\n", cmd, dir, g_strerror(errno));
        return PLOT_RUNTIME;
    }
    return PLOT_OK;
}

int plot_write(const char *cmd, const char *dir, const char *name, const GString *contents,
               const char *const *inputs, GPtrArray *written)
{
    char *path = g_build_filename(dir, name, NULL);
    char *err = NULL;
    int status = PLOT_OK;
    if (!outfile_check(path, inputs, &err))
        status = PLOT_BADINPUT;
    else if (!outfile_write(path, contents->str, contents->len, &err))
        status = PLOT_RUNTIME;
    if (status != PLOT_OK) {
        fprintf(stderr, "chainsim %s: %s\n", cmd, err);
        g_free(err);
        g_free(path);
        return status;
    }
    g_ptr_array_add(written, path);
    return PLOT_OK;
}

char *plot_find_gnuplot(void)
{
    const char *env = g_getenv("CHAINSIM_GNUPLOT");
    if (env)
        return *env ? g_strdup(env) : NULL;
    return g_find_program_in_path("gnuplot");
}

/* Runs gnuplot on script (in dir) to draw image (in dir, the name without
 * the folder) through a temporary file renamed when gnuplot succeeded.
 * Returns PLOT_OK with the image's path added to written, or an exit status
 * after printing why. */
static int render_one(const char *cmd, const char *gnuplot, const char *dir, const char *script, const char *image,
                      const char *const *inputs, GPtrArray *written)
{
    char *path = g_build_filename(dir, image, NULL);
    char *err = NULL;
    outfile_t *file = NULL;
    int status = PLOT_OK;
    if (!outfile_check(path, inputs, &err)) {
        fprintf(stderr, "chainsim %s: %s\n", cmd, err);
        status = PLOT_BADINPUT;
        goto done;
    }
    if (!(file = outfile_open(path, &err))) {
        fprintf(stderr, "chainsim %s: %s\n", cmd, err);
        status = PLOT_RUNTIME;
        goto done;
    }
    /* The script writes to chainsim_image when it is set (plot_gp_begin()). */
    char *quoted = plot_gp_quote(outfile_temp_name(file));
    char *define = g_strdup_printf("chainsim_image=%s", quoted);
    g_free(quoted);
    char *argv[] = { (char *)gnuplot, "-e", define, (char *)script, NULL };
    char *out = NULL, *gp_err = NULL;
    int wait_status = 0;
    GError *gerr = NULL;
    bool ran = g_spawn_sync(dir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &gp_err, &wait_status, &gerr);
    g_free(define);
    if (!ran) {
        fprintf(stderr, "chainsim %s: cannot run gnuplot (%s): %s\n", cmd, gnuplot, gerr->message);
        g_error_free(gerr);
        status = PLOT_RUNTIME;
        goto done;
    }
    char *temp = g_build_filename(dir, outfile_temp_name(file), NULL);
    GStatBuf sb;
    bool drawn = g_stat(temp, &sb) == 0 && sb.st_size > 0;
    g_free(temp);
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
        fprintf(stderr, "chainsim %s: gnuplot (%s) failed on %s/%s (%s %d):\n%s", cmd, gnuplot, dir, script,
                WIFEXITED(wait_status) ? "exit status" : "signal",
                WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : WTERMSIG(wait_status), gp_err ? gp_err : "");
        status = PLOT_RUNTIME;
    } else if (!drawn) {
        fprintf(stderr, "chainsim %s: gnuplot (%s) ran %s/%s but drew no %s\n%s", cmd, gnuplot, dir, script, image,
                gp_err ? gp_err : "");
        status = PLOT_RUNTIME;
    } else {
        if (gp_err && *gp_err)
            fprintf(stderr, "chainsim %s: gnuplot %s/%s said:\n%s", cmd, dir, script, gp_err);
        bool ok = outfile_commit(file, &err);
        file = NULL;
        if (ok) {
            g_ptr_array_add(written, path);
            path = NULL;
        } else {
            fprintf(stderr, "chainsim %s: %s\n", cmd, err);
            status = PLOT_RUNTIME;
        }
    }
    g_free(out);
    g_free(gp_err);
done:
    outfile_abort(file); /* on failure: any older image stays as it was */
    g_free(err);
    g_free(path);
    return status;
}

int plot_render(const char *cmd, const char *dir, GPtrArray *scripts, plot_format_t f, const char *const *inputs,
                GPtrArray *written)
{
    if (scripts->len == 0)
        return PLOT_OK;
    char *gnuplot = plot_find_gnuplot();
    if (!gnuplot) {
        const char *env = g_getenv("CHAINSIM_GNUPLOT");
        char *qdir = g_shell_quote(dir);
        fprintf(stderr,
                "chainsim %s: %s: wrote the data and the gnuplot scripts only, no images;\n"
                "to draw the charts, install gnuplot and run: cd %s && gnuplot *.gp\n",
                cmd, env ? "CHAINSIM_GNUPLOT is empty (no gnuplot)" : "gnuplot is not installed (not found in PATH)",
                qdir);
        g_free(qdir);
        return PLOT_OK;
    }
    int status = PLOT_OK;
    for (guint i = 0; i < scripts->len && status == PLOT_OK; i++) {
        const char *script = g_ptr_array_index(scripts, i);
        char *image = g_strdup_printf("%.*s.%s", (int)(strlen(script) - 3), script, plot_format_ext(f));
        status = render_one(cmd, gnuplot, dir, script, image, inputs, written);
        g_free(image);
    }
    g_free(gnuplot);
    return status;
}

void plot_print_written(const GPtrArray *written)
{
    printf("wrote %u file%s:\n", written->len, written->len == 1 ? "" : "s");
    for (guint i = 0; i < written->len; i++)
        printf("  %s\n", (const char *)g_ptr_array_index(written, i));
}

/* ---- the plot command --------------------------------------------------- */

typedef struct plot_opts {
    const char *path; /* borrowed from argv */
    const char *out;
    const char *x;  /* --x group.key, or NULL */
    const char *y;  /* --y metric[,metric...], or NULL */
    const char *series; /* --series group.key, or NULL */
    const char *title;  /* --title, or NULL */
    bool no_title;      /* --no-title */
    bool logx;          /* --logx */
    bool pool;          /* --pool: --x may average over other parameters */
    GPtrArray *labels;  /* --label, in order (owned strings) */
    const char *window; /* --window DURATION for the throughput chart, or NULL */
    int64_t run_id; /* 0: the latest */
    int format;     /* plot_format_t */
    bool include_incomplete; /* --x/--y: runs that did not complete enter the means too */
} plot_opts_t;

/* The run being plotted and the files made so far. */
typedef struct plot_ctx {
    sqlite3 *db;
    const char *path;      /* database */
    const char *inputs[2]; /* path, NULL: what the files may not be */
    const char *dir;  /* output folder */
    int64_t run_id;
    plot_format_t format;
    char *scenario; /* scenario_name */
    int64_t seed;
    int64_t blocks_total, blocks_stale;
    double stale_rate;
    bool have_tps;
    double tps;
    resultsdb_status_t status; /* shown in titles and headers when not complete */
    const struct plot_opts *opts; /* --title, --no-title, --window */
    GPtrArray *written; /* paths (owned) */
    GPtrArray *scripts; /* script names in dir (owned) */
} plot_ctx_t;

/* ---- a metric against a parameter over many runs (--x, --y) ------------ */

/* The numeric columns of v_run_summary that --y and compare accept: every
 * one is a count, a share, a rate or a time, so none is negative. */
const plot_metric_t plot_metrics[] = {
    { "stale_rate", "stale rate", "fraction of blocks" },
    { "tps", "throughput (confirmed)", "tx/s" },
    { "confirm_latency_p50_s", "confirmation latency, median", "s" },
    { "confirm_latency_p90_s", "confirmation latency, 90th percentile", "s" },
    { "finality_latency_p50_s", "finality latency, median", "s" },
    { "finality_latency_p90_s", "finality latency, 90th percentile", "s" },
    { "propagation_p50_s", "block propagation to 50 % of nodes, median", "s" },
    { "propagation_p90_s", "block propagation to 90 % of nodes, median", "s" },
    { "broadcast_p50_s", "broadcast to 50 % of nodes, median", "s" },
    { "broadcast_p90_s", "broadcast to 90 % of nodes, median", "s" },
    { "sim_seconds", "simulated time", "s" },
    { "blocks_total", "blocks produced", "blocks" },
    { "blocks_stale", "stale blocks", "blocks" },
    { "txs_submitted", "transactions submitted", "transactions" },
    { "txs_confirmed", "transactions confirmed", "transactions" },
    { "txs_finalized", "transactions final", "transactions" },
    { "confirmed_share", "confirmed share of transactions", "fraction" },
    { "finalized_share", "final share of transactions", "fraction" },
    { "tps_window_s", "throughput window", "s" },
    { "reorgs", "reorgs (tip switches, all nodes)", "count" },
    { "reorg_max_depth", "deepest reorg", "blocks" },
    { "tx_rejected", "rejected transactions", "count" },
    { "blocks_rejected", "rejected blocks", "count" },
    { "missed_slots", "missed slots", "slots" },
    { "slashed", "validators slashed", "validators" },
    { "adversary_revenue_share", "the first adversary's share of main-chain blocks", "fraction" },
    { "adversary_blocks_main", "the first adversary's blocks on the main chain", "blocks" },
    { "double_spend_attempts", "double-spend attempts", "count" },
    { "double_spend_successes", "successful double spends", "count" },
    { "honest_stale_rate", "stale rate of honest blocks", "fraction" },
    { NULL, NULL, NULL },
};

/* The run_params key of a --x argument: adversary.NAME.key (the form
 * --set and --grid accept) is stored as "adversary NAME.key". g_free. */
static char *adversary_param_key(const char *x)
{
    char *k = g_strdup(x);
    if (g_str_has_prefix(k, "adversary.") && strchr(k + strlen("adversary."), '.'))
        k[strlen("adversary")] = ' ';
    return k;
}

/* The plot command's extra curves: against hash power, the revenue share
 * of honest mining, y = x. */
static const char *reference_curves(const plot_metric_t *m, const char *key)
{
    if (strcmp(m->name, "adversary_revenue_share") == 0 && g_str_has_suffix(key, ".hashpower"))
        return ", x with lines dt 2 lc rgb '#7f7f7f' lw 2";
    return "";
}

const plot_metric_t *plot_metric_find(const char *name)
{
    for (const plot_metric_t *m = plot_metrics; m->name; m++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

double plot_t95(int64_t df)
{
    static const double table[30] = { 12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
                                      2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
                                      2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
                                      2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423 };
    if (df >= 1 && df <= 30)
        return table[df - 1];
    return df < 1 ? NAN : 1.96;
}

/* A plain number (optional sign, decimals, exponent), surrounding white
 * space allowed. */
static bool parse_plain_number(const char *s, double *out)
{
    char *copy = g_strstrip(g_strdup(s));
    char *end = NULL;
    double v = *copy ? g_ascii_strtod(copy, &end) : 0.0;
    bool ok = *copy && end && *end == '\0' && isfinite(v);
    g_free(copy);
    if (ok)
        *out = v;
    return ok;
}

/* Parses s with parser k (0 duration ns, 1 size bytes, 2 bandwidth bit/s,
 * 3 rate per s, 4 plain number): the value in base units. */
enum { SWEEP_PARSERS = 5 };
static bool parse_with(int k, const char *s, double *out)
{
    uint64_t u = 0;
    switch (k) {
    case 0:
        if (!units_parse_duration(s, &u))
            return false;
        break;
    case 1:
        if (!units_parse_size(s, &u))
            return false;
        break;
    case 2:
        if (!units_parse_bandwidth(s, &u))
            return false;
        break;
    case 3:
        return units_parse_rate(s, out);
    default:
        return parse_plain_number(s, out);
    }
    *out = (double)u;
    return true;
}

/* One value of the parameter and the runs that had it. */
typedef struct sweep_group {
    char *label;     /* the value as written in the scenario (run_params.value) */
    double x;        /* base units, or the index when not numeric */
    int64_t runs;    /* runs with this value */
    GArray *values;  /* non-NULL metric values (double) */
    double mean, sd; /* NaN when undefined */
    double lo, hi;   /* 95 % CI of the mean; NaN when n < 2 */
} sweep_group_t;

static int group_cmp_x(gconstpointer a, gconstpointer b)
{
    const sweep_group_t *ga = *(sweep_group_t *const *)a, *gb = *(sweep_group_t *const *)b;
    if (ga->x != gb->x)
        return ga->x < gb->x ? -1 : 1;
    return strcmp(ga->label, gb->label);
}

static void group_free(gpointer p)
{
    sweep_group_t *g = p;
    g_free(g->label);
    g_array_unref(g->values);
    g_free(g);
}

bool plot_param_numbers(const char *const *values, guint n, double *x)
{
    for (int k = 0; k < SWEEP_PARSERS; k++) {
        bool all = true;
        for (guint i = 0; i < n && all; i++)
            all = parse_with(k, values[i], &x[i]);
        if (all)
            return true;
    }
    return false;
}

static void group_stats(sweep_group_t *g)
{
    int64_t n = g->values->len;
    g->mean = g->sd = g->lo = g->hi = NAN;
    if (n == 0)
        return;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        sum += g_array_index(g->values, double, i);
    g->mean = sum / (double)n;
    if (n < 2)
        return;
    double ss = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = g_array_index(g->values, double, i) - g->mean;
        ss += d * d;
    }
    g->sd = sqrt(ss / (double)(n - 1));
    double half = plot_t95(n - 1) * g->sd / sqrt((double)n);
    g->lo = g->mean - half;
    g->hi = g->mean + half;
}

/* A number for a data file: 17 significant digits, NaN as NaN. */
static void dat_real(GString *d, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_c(d, ' ');
    g_string_append(d, isfinite(v) ? g_ascii_formatd(buf, sizeof buf, "%.17g", v) : "NaN");
}

/* A number for the table on stdout. */
static const char *table_real(char *buf, size_t n, double v)
{
    if (!isfinite(v))
        return "-";
    g_snprintf(buf, n, "%.6g", v);
    return buf;
}

/* The keys whose values differ between the runs of db, "a, b" (g_free). */
static char *varying_keys(sqlite3 *db)
{
    GString *s = g_string_new(NULL);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT key FROM run_params GROUP BY key HAVING count(DISTINCT value) > 1"
                           " OR count(*) < (SELECT count(*) FROM runs) ORDER BY key",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return g_string_free(s, FALSE);
}

/* The runs read_groups() took and left. */
typedef struct sweep_counts {
    int64_t with_key;   /* runs that have the parameter */
    int64_t used;       /* of those, the runs in the groups */
    int64_t left_out;   /* not complete and left out (without --include-incomplete) */
    int64_t incomplete; /* not complete and taken in (with --include-incomplete) */
    GHashTable *states; /* state -> count (GINT_TO_POINTER) of the runs not complete */
} sweep_counts_t;

/* "1 abandoned, 2 interrupted": the states of the runs not complete, in
 * name order (g_free). */
static char *describe_states(GHashTable *states)
{
    GList *keys = g_list_sort(g_hash_table_get_keys(states), (GCompareFunc)(void *)strcmp);
    GString *s = g_string_new(NULL);
    for (GList *k = keys; k; k = k->next)
        g_string_append_printf(s, "%s%d %s", s->len ? ", " : "", GPOINTER_TO_INT(g_hash_table_lookup(states, k->data)),
                               (const char *)k->data);
    g_list_free(keys);
    return g_string_free(s, FALSE);
}

/* Reads (value, metric) of every run that has the parameter key (and,
 * when skey is not NULL, the value sval of the parameter skey: one series)
 * into groups (one per distinct value). Only complete runs are taken unless
 * with_incomplete (resultsdb_run_status()); *n adds what was taken and left
 * (n->states is created when NULL; the caller destroys it). */
static int read_groups(sqlite3 *db, const char *path, const char *key, const char *skey, const char *sval,
                       const char *metric, bool with_incomplete, GPtrArray *groups, sweep_counts_t *n)
{
    if (!n->states)
        n->states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char *sql = g_strdup_printf("SELECT p.value, s.%s, p.run_id FROM run_params p JOIN v_run_summary s"
                                " ON s.run_id = p.run_id WHERE p.key = ?1%s ORDER BY p.value, p.run_id",
                                metric,
                                skey ? " AND p.run_id IN (SELECT run_id FROM run_params WHERE key = ?2 AND value = ?3)"
                                     : "");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    g_free(sql);
    if (rc != SQLITE_OK)
        return db_error("plot", db, path, "cannot read run_params and v_run_summary");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (skey) {
        sqlite3_bind_text(st, 2, skey, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, sval, -1, SQLITE_TRANSIENT);
    }
    int status = PLOT_OK;
    sweep_group_t *cur = NULL;
    while (status == PLOT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        n->with_key++;
        resultsdb_status_t rs;
        if ((status = resultsdb_run_status("plot", db, path, sqlite3_column_int64(st, 2), &rs)) != PLOT_OK)
            break;
        bool take = rs.complete || with_incomplete;
        if (!rs.complete) {
            gpointer old = g_hash_table_lookup(n->states, rs.state);
            g_hash_table_replace(n->states, g_strdup(rs.state), GINT_TO_POINTER(GPOINTER_TO_INT(old) + 1));
            if (take)
                n->incomplete++;
            else
                n->left_out++;
        }
        resultsdb_status_clear(&rs);
        if (!take)
            continue;
        const char *value = (const char *)sqlite3_column_text(st, 0);
        if (!value)
            value = "";
        if (!cur || strcmp(cur->label, value) != 0) {
            cur = g_new0(sweep_group_t, 1);
            cur->label = g_strdup(value);
            cur->values = g_array_new(FALSE, FALSE, sizeof(double));
            g_ptr_array_add(groups, cur);
        }
        cur->runs++;
        n->used++;
        if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
            double v = sqlite3_column_double(st, 1);
            g_array_append_val(cur->values, v);
        }
    }
    if (status == PLOT_OK && rc != SQLITE_DONE)
        status = db_error("plot", db, path, "cannot read run_params and v_run_summary");
    sqlite3_finalize(st);
    return status;
}

/* A label for a data file: double-quoted, no quote or control character. */
static void dat_label(GString *d, const char *label)
{
    char *valid = g_utf8_make_valid(label, -1);
    g_string_append_c(d, '"');
    for (const char *p = valid; *p; p++)
        g_string_append_c(d, *p == '"' ? '\'' : ((unsigned char)*p < 0x20 ? ' ' : *p));
    g_string_append_c(d, '"');
    g_free(valid);
}

/* The distinct values of parameter key among the runs that have it (and
 * skey, when not NULL), in the order the runs have them (first appearance
 * by run_id: a sweep's grid order), into values (owned strings). */
static int param_values(sqlite3 *db, const char *path, const char *key, const char *skey, GPtrArray *values)
{
    char *sql = g_strdup_printf("SELECT value FROM run_params WHERE key = ?1%s GROUP BY value ORDER BY min(run_id)",
                                skey ? " AND run_id IN (SELECT run_id FROM run_params WHERE key = ?2)" : "");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    g_free(sql);
    if (rc != SQLITE_OK)
        return db_error("plot", db, path, "cannot read run_params");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (skey)
        sqlite3_bind_text(st, 2, skey, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        g_ptr_array_add(values, g_strdup(v ? v : ""));
    }
    int status = rc == SQLITE_DONE ? PLOT_OK : db_error("plot", db, path, "cannot read run_params");
    sqlite3_finalize(st);
    return status;
}

/* Positions of the values (grid order) on the axis: the values in base
 * units when they all carry one unit (*numeric), else 0, 1, 2, ... in the
 * order given. x has values->len entries (g_free). */
static double *value_positions(GPtrArray *values, bool *numeric)
{
    double *x = g_new(double, values->len ? values->len : 1);
    *numeric = values->len > 0 && plot_param_numbers((const char *const *)values->pdata, values->len, x);
    if (!*numeric)
        for (guint i = 0; i < values->len; i++)
            x[i] = (double)i;
    return x;
}

/* Sorts the values of a numeric parameter by their position. */
static void sort_by_position(GPtrArray *values, double *x)
{
    for (guint i = 1; i < values->len; i++)
        for (guint j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double t = x[j];
            x[j] = x[j - 1];
            x[j - 1] = t;
            gpointer p = values->pdata[j];
            values->pdata[j] = values->pdata[j - 1];
            values->pdata[j - 1] = p;
        }
}

/* "block_interval=2s": a parameter and its value for a legend, the group
 * name dropped (g_free). */
static char *param_label(const char *key, const char *value)
{
    const char *dot = strchr(key, '.');
    return g_strdup_printf("%s=%s", dot ? dot + 1 : key, value);
}

/* One series of a sweep chart: its value of --series (NULL without) and its
 * groups, one per value of --x. */
typedef struct sweep_series {
    char *value;
    char *legend;
    GPtrArray *groups; /* sweep_group_t, in x order */
} sweep_series_t;

static void series_free(gpointer p)
{
    sweep_series_t *s = p;
    g_free(s->value);
    g_free(s->legend);
    g_ptr_array_unref(s->groups);
    g_free(s);
}

static const char *const sweep_colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                            "#9467bd", "#8c564b", "#e377c2", "#17becf" };

static void sweep_script(GString *gp, const plot_opts_t *o, const char *chart, const plot_metric_t *m,
                         const GPtrArray *series, const sweep_counts_t *n, bool numeric, const GPtrArray *xvalues)
{
    plot_gp_begin(gp, o->format, chart, "mean of a metric per parameter value, with 95 % confidence intervals");
    g_string_append(gp, "# Style: edit freely (one line style per series: colour, dash pattern, point type).\n");
    for (guint i = 0; i < series->len; i++)
        g_string_append_printf(gp, "set style line %u lc rgb '%s' lw 3 dt %u pt %u ps 1.5\n", i + 1,
                               sweep_colors[i % G_N_ELEMENTS(sweep_colors)], i + 1, (i % 6) + 5);
    g_string_append(gp, "set grid\n");
    if (series->len > 1)
        g_string_append(gp, "set key outside right top noopaque\n");
    else
        g_string_append(gp, "unset key\n");
    if (o->title) {
        char *q = plot_gp_quote(o->title);
        g_string_append_printf(gp, "set title %s\n", q);
        g_free(q);
    } else if (!o->no_title) {
        char *incomplete = n->incomplete
                               ? g_strdup_printf(", %" G_GINT64_FORMAT " of them not complete", n->incomplete)
                               : g_strdup("");
        char *title = g_strdup_printf("%s: mean and 95 %% CI over %" G_GINT64_FORMAT " run%s%s", m->label, n->used,
                                      n->used == 1 ? "" : "s", incomplete);
        char *q = plot_gp_quote(title);
        g_string_append_printf(gp, "set title %s\n", q);
        g_free(q);
        g_free(title);
        g_free(incomplete);
    }
    char *q = plot_gp_quote(o->x);
    g_string_append_printf(gp, "set xlabel %s\n", q);
    g_free(q);
    char *yl = g_strdup_printf("%s (%s)", m->label, m->unit);
    q = plot_gp_quote(yl);
    g_string_append_printf(gp, "set ylabel %s\n", q);
    g_free(q);
    g_free(yl);

    /* x range: the values with a margin (a single value in the middle). */
    double lo = INFINITY, hi = -INFINITY, yhi = 0.0;
    for (guint s = 0; s < series->len; s++) {
        const GPtrArray *groups = ((const sweep_series_t *)g_ptr_array_index(series, s))->groups;
        for (guint i = 0; i < groups->len; i++) {
            const sweep_group_t *g = g_ptr_array_index(groups, i);
            lo = MIN(lo, g->x);
            hi = MAX(hi, g->x);
            if (isfinite(g->hi))
                yhi = MAX(yhi, g->hi);
            if (isfinite(g->mean))
                yhi = MAX(yhi, g->mean);
        }
    }
    char b1[G_ASCII_DTOSTR_BUF_SIZE], b2[G_ASCII_DTOSTR_BUF_SIZE];
    if (o->logx && numeric && lo > 0) {
        g_string_append_printf(gp, "set logscale x\nset xrange [%s:%s]\n", g_ascii_formatd(b1, sizeof b1, "%.9g", lo / 1.3),
                               g_ascii_formatd(b2, sizeof b2, "%.9g", hi * 1.3));
    } else {
        double pad = hi > lo ? (hi - lo) * 0.08 : (lo != 0.0 ? fabs(lo) * 0.5 : 1.0);
        if (!numeric)
            pad = 0.5;
        g_string_append_printf(gp, "set xrange [%s:%s]\n", g_ascii_formatd(b1, sizeof b1, "%.9g", lo - pad),
                               g_ascii_formatd(b2, sizeof b2, "%.9g", hi + pad));
    }
    /* Every metric is a count, share, rate or time: y starts at zero. */
    if (yhi > 0)
        g_string_append(gp, "set yrange [0:*]\nset offsets 0, 0, graph 0.1, 0\n");
    else
        g_string_append(gp, "set yrange [0:1]\n");
    g_string_append(gp, "# Columns of the data file: 1 value as written, 2 x, 3 n, 4 mean, 5 stddev,\n"
                        "# 6 ci_low, 7 ci_high (NaN when n < 2: no error bar); one block per series.\n"
                        "bar(c) = column(c) == column(c) ? column(c) : column(4)\n");
    if (!numeric) {
        g_string_append(gp, "# The values are categories, in grid order: points, not lines.\nset xtics (");
        for (guint i = 0; i < xvalues->len; i++) {
            char *qv = plot_gp_quote(g_ptr_array_index(xvalues, i));
            g_string_append_printf(gp, "%s%s %u", i ? ", " : "", qv, i);
            g_free(qv);
        }
        g_string_append(gp, ")\n");
    }
    g_string_append(gp, "plot ");
    for (guint s = 0; s < series->len; s++) {
        const sweep_series_t *se = g_ptr_array_index(series, s);
        char *qt = plot_gp_quote(se->legend ? se->legend : "");
        /* Series side by side on a categorical axis, so that bars do not hide each other. */
        char *shift = !numeric && series->len > 1
                          ? g_strdup_printf("($2 + %.3f)", ((double)s - (series->len - 1) / 2.0) * 0.08)
                          : g_strdup("2");
        g_string_append_printf(gp, "%s'%s.dat' index %u using %s:4:(bar(6)):(bar(7))%s with %s ls %u title %s",
                               s ? ", \\\n     " : "", chart, s, shift, numeric ? ":xticlabels(1)" : "",
                               numeric ? "yerrorlines" : "yerrorbars", s + 1, qt);
        g_free(shift);
        g_free(qt);
    }
    g_string_append_printf(gp, "%s\nunset output\n", reference_curves(m, o->x));
}

/* `chainsim plot DB --x KEY --y METRIC[,METRIC...] [--series KEY]`: one
 * chart per metric. */
static int sweep_main(const plot_opts_t *o, const plot_metric_t *m)
{
    sqlite3 *db = NULL;
    GPtrArray *series = g_ptr_array_new_with_free_func(series_free);
    GPtrArray *xvalues = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *svalues = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *written = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *scripts = g_ptr_array_new_with_free_func(g_free);
    char *chart = g_strdup_printf("%s_vs_%s%s%s", m->name, o->x, o->series ? "_by_" : "", o->series ? o->series : "");
    const char *dir = o->out ? o->out : "plots/sweep";
    const char *inputs[] = { o->path, NULL };
    int64_t all_runs[1] = { 0 };
    sweep_counts_t n = { 0 };
    char *states = NULL;
    double *xpos = NULL;
    bool numeric = false;
    /* adversary.NAME.key (as --set writes it) is kept as "adversary NAME.key" */
    char *xkey = adversary_param_key(o->x);
    int status = plot_open_db("plot", o->path, &db);
    if (status == PLOT_OK)
        status = query_ints("plot", db, o->path, "SELECT count(*) FROM runs", all_runs, 1);

    if (status == PLOT_OK)
        status = param_values(db, o->path, xkey, NULL, xvalues);
    /* Pooling over a parameter the chart does not name would average it
     * away silently. */
    if (status == PLOT_OK && xvalues->len > 0) {
        char *keys = varying_keys(db);
        char **list = g_strsplit(keys, ", ", -1);
        GString *other = g_string_new(NULL);
        for (char **k = list; *k; k++)
            if (**k && strcmp(*k, "scenario.seed") != 0 && strcmp(*k, xkey) != 0 &&
                !(o->series && strcmp(*k, o->series) == 0))
                g_string_append_printf(other, "%s%s", other->len ? ", " : "", *k);
        if (other->len && o->pool) {
            fprintf(stderr, "chainsim plot: note: the means pool runs that differ in %s (--pool)\n", other->str);
        } else if (other->len) {
            fprintf(stderr,
                    "chainsim plot: %s: the runs differ in %s as well as in %s (--x)%s%s; each mean would pool"
                    " over %s silently. Draw one curve per value with --series %s, or pool on purpose with"
                    " --pool\n",
                    o->path, other->str, o->x, o->series ? " and " : "", o->series ? o->series : "",
                    strchr(other->str, ',') ? "them" : "it", strchr(other->str, ',') ? "KEY" : other->str);
            status = PLOT_BADINPUT;
        }
        g_string_free(other, TRUE);
        g_strfreev(list);
        g_free(keys);
    }
    if (status == PLOT_OK && o->series)
        status = param_values(db, o->path, o->series, xkey, svalues);
    if (status == PLOT_OK && o->series && svalues->len == 0) {
        char *keys = varying_keys(db);
        fprintf(stderr, "chainsim plot: %s: no run has the parameters %s (--x) and %s (--series)%s%s\n", o->path, o->x,
                o->series, *keys ? "; parameters that differ between the runs: " : "", keys);
        g_free(keys);
        status = PLOT_BADINPUT;
    }
    if (status == PLOT_OK) {
        xpos = value_positions(xvalues, &numeric);
        if (numeric)
            sort_by_position(xvalues, xpos);
        bool snum = false;
        double *spos = value_positions(svalues, &snum);
        if (snum)
            sort_by_position(svalues, spos);
        g_free(spos);
    }
    for (guint s = 0; status == PLOT_OK && s < (o->series ? svalues->len : 1); s++) {
        sweep_series_t *se = g_new0(sweep_series_t, 1);
        se->groups = g_ptr_array_new_with_free_func(group_free);
        se->value = o->series ? g_strdup(g_ptr_array_index(svalues, s)) : NULL;
        if (o->labels && s < o->labels->len)
            se->legend = g_strdup(g_ptr_array_index(o->labels, s));
        else if (se->value)
            se->legend = param_label(o->series, se->value);
        g_ptr_array_add(series, se);
        status = read_groups(db, o->path, xkey, o->series, se->value, m->name, o->include_incomplete, se->groups, &n);
        for (guint i = 0; status == PLOT_OK && i < se->groups->len; i++) {
            sweep_group_t *g = g_ptr_array_index(se->groups, i);
            for (guint j = 0; j < xvalues->len; j++)
                if (strcmp(g_ptr_array_index(xvalues, j), g->label) == 0)
                    g->x = xpos[j];
            group_stats(g);
        }
        g_ptr_array_sort(se->groups, group_cmp_x);
    }
    if (n.states)
        states = describe_states(n.states);
    if (status == PLOT_OK && n.used == 0 && n.left_out > 0) {
        fprintf(stderr,
                "chainsim plot: %s: no complete run has the parameter %s (--x): the %" G_GINT64_FORMAT " run%s"
                " that ha%s it did not complete (%s); --include-incomplete takes them in\n",
                o->path, o->x, n.left_out, n.left_out == 1 ? "" : "s", n.left_out == 1 ? "s" : "ve", states);
        status = PLOT_BADINPUT;
    } else if (status == PLOT_OK && n.used == 0) {
        char *keys = varying_keys(db);
        fprintf(stderr, "chainsim plot: %s: no run has the parameter %s (--x)%s%s%s\n", o->path, o->x,
                all_runs[0] == 0 ? "; the database holds no run" : "",
                *keys ? "; parameters that differ between the runs: " : "", keys);
        g_free(keys);
        status = PLOT_BADINPUT;
    }
    if (status != PLOT_OK)
        goto done;
    if (n.left_out > 0)
        fprintf(stderr,
                "chainsim plot: note: %" G_GINT64_FORMAT " of the %" G_GINT64_FORMAT " runs with %s left out of the"
                " means: they did not complete (%s); --include-incomplete takes them in\n",
                n.left_out, n.with_key, o->x, states);
    if (n.incomplete > 0)
        fprintf(stderr,
                "chainsim plot: note: the means include %" G_GINT64_FORMAT " run%s that did not complete (%s)"
                " (--include-incomplete)\n",
                n.incomplete, n.incomplete == 1 ? "" : "s", states);

    /* File names: the keys may hold anything. */
    for (char *p = chart; *p; p++)
        if (!(g_ascii_isalnum(*p) || *p == '-' || *p == '_' || *p == '.'))
            *p = '_';

    char *incomplete_line =
        n.left_out ? g_strdup_printf("# left out: %" G_GINT64_FORMAT " run%s that did not complete (%s); only"
                                     " complete runs are counted\n",
                                     n.left_out, n.left_out == 1 ? "" : "s", states)
        : n.incomplete ? g_strdup_printf("# counted although they did not complete (--include-incomplete): %"
                                         G_GINT64_FORMAT " run%s (%s)\n",
                                         n.incomplete, n.incomplete == 1 ? "" : "s", states)
                       : g_strdup("");
    GString *d = g_string_new(NULL);
    char *base = g_path_get_basename(o->path);
    const char *unit = m->unit;
    g_string_append_printf(d,
                           "# %s (v_run_summary) by the value of the parameter %s (run_params): mean over the runs,\n"
                           "# sample standard deviation, 95 %% confidence interval of the mean (Student's t, n - 1"
                           " degrees of freedom)\n"
                           "# %" G_GINT64_FORMAT " of the %" G_GINT64_FORMAT " runs of the database %s have the"
                           " parameter; n counts those whose %s is not NULL\n"
                           "%s"
                           "# columns: value (as written in the scenario)  x (%s)  n (runs)  mean (%s)  stddev (%s)"
                           "  ci_low (%s)  ci_high (%s)\n",
                           m->name, o->x, n.with_key, all_runs[0], base, m->name, incomplete_line,
                           numeric ? "the value in base units: ns, bytes, bit/s, per second or plain"
                                   : "index in grid order, the values are not numbers",
                           unit, unit, unit, unit);
    g_free(base);
    g_free(incomplete_line);
    for (guint s = 0; s < series->len; s++) {
        const sweep_series_t *se = g_ptr_array_index(series, s);
        if (s)
            g_string_append(d, "\n\n");
        if (se->value)
            g_string_append_printf(d, "# series %u: %s = %s\n", s, o->series, se->value);
        for (guint i = 0; i < se->groups->len; i++) {
            const sweep_group_t *g = g_ptr_array_index(se->groups, i);
            dat_label(d, g->label);
            dat_real(d, g->x);
            g_string_append_printf(d, " %u", g->values->len);
            dat_real(d, g->mean);
            dat_real(d, g->sd);
            dat_real(d, g->lo);
            dat_real(d, g->hi);
            g_string_append_c(d, '\n');
        }
    }

    /* The table. */
    int width = (int)strlen(o->x);
    for (guint i = 0; i < xvalues->len; i++)
        width = MAX(width, (int)g_utf8_strlen(g_ptr_array_index(xvalues, i), -1));
    printf("%s by %s%s%s (%" G_GINT64_FORMAT " run%s)\n", m->name, o->x, o->series ? " and " : "",
           o->series ? o->series : "", n.used, n.used == 1 ? "" : "s");
    for (guint s = 0; s < series->len; s++) {
        const sweep_series_t *se = g_ptr_array_index(series, s);
        if (se->value)
            printf("%s%s = %s\n", s ? "\n" : "", o->series, se->value);
        printf("%-*s  %4s  %14s  %s\n", width, o->x, "n", "mean", "95 % CI");
        for (guint i = 0; i < se->groups->len; i++) {
            const sweep_group_t *g = g_ptr_array_index(se->groups, i);
            char b1[32], b2[32], b3[32];
            int pad = width - (int)g_utf8_strlen(g->label, -1);
            printf("%s%*s  %4u  %14s  ", g->label, pad, "", g->values->len, table_real(b1, sizeof b1, g->mean));
            if (isfinite(g->lo))
                printf("[%s, %s]\n", table_real(b2, sizeof b2, g->lo), table_real(b3, sizeof b3, g->hi));
            else
                printf("-\n");
        }
    }
    if (n.with_key < all_runs[0])
        printf("(%" G_GINT64_FORMAT " run%s without the parameter%s left out)\n", all_runs[0] - n.with_key,
               all_runs[0] - n.with_key == 1 ? "" : "s", o->series ? "s" : "");
    if (n.left_out > 0)
        printf("(%" G_GINT64_FORMAT " run%s that did not complete left out: %s)\n", n.left_out,
               n.left_out == 1 ? "" : "s", states);
    else if (n.incomplete > 0)
        printf("(%" G_GINT64_FORMAT " run%s that did not complete counted: %s)\n", n.incomplete,
               n.incomplete == 1 ? "" : "s", states);

    status = plot_mkdir("plot", dir);
    char *dat = g_strdup_printf("%s.dat", chart);
    if (status == PLOT_OK)
        status = plot_write("plot", dir, dat, d, inputs, written);
    g_free(dat);
    g_string_free(d, TRUE);
    if (status == PLOT_OK) {
        GString *gp = g_string_new(NULL);
        sweep_script(gp, o, chart, m, series, &n, numeric, xvalues);
        char *name = g_strdup_printf("%s.gp", chart);
        status = plot_write("plot", dir, name, gp, inputs, written);
        if (status == PLOT_OK)
            g_ptr_array_add(scripts, name);
        else
            g_free(name);
        g_string_free(gp, TRUE);
    }
    if (status == PLOT_OK)
        status = plot_render("plot", dir, scripts, o->format, inputs, written);
    plot_print_written(written);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chainsim plot: cannot write to standard output\n");
        status = PLOT_RUNTIME;
    }
done:
    if (n.states)
        g_hash_table_destroy(n.states);
    g_free(states);
    g_free(xpos);
    sqlite3_close(db);
    g_free(chart);
    g_ptr_array_unref(series);
    g_ptr_array_unref(xvalues);
    g_ptr_array_unref(svalues);
    g_ptr_array_unref(written);
    g_free(xkey);
    g_ptr_array_unref(scripts);
    return status;
}

/* Parses the arguments into *o. Returns CLI_GO_ON, or an exit status after
 * printing the help or the usage error. */
static int parse_args(int argc, char **argv, plot_opts_t *o)
{
    const cli_option_t opts[] = {
        { "run", 0, CLI_RUN_ID, &o->run_id, "ID", "the run to plot (default: the latest, the largest run_id)", NULL,
          NULL },
        { "out", 0, CLI_TEXT, &o->out, "DIR", "folder for the files (default: plots/SCENARIO-runID)", NULL, NULL },
        { "format", 0, CLI_CHOICE, &o->format, "F", "png (default), svg or pdf", plot_format_names, NULL },
        { "x", 0, CLI_TEXT, &o->x, "GROUP.KEY",
          "with --y: a metric against a parameter over all the runs of\n"
          "DB (a sweep): the runs are grouped by their value of the\n"
          "scenario parameter GROUP.KEY (run_params); for each value\n"
          "the mean of METRIC, its standard deviation and a 95 %\n"
          "confidence interval of the mean (Student's t) are printed\n"
          "and drawn with error bars (default DIR: plots/sweep)",
          NULL, NULL },
        { "y", 0, CLI_TEXT, &o->y, "METRICS",
          "numeric columns of v_run_summary, comma separated, one\n"
          "chart each: e.g. stale_rate, tps, confirm_latency_p50_s,\n"
          "confirmed_share, propagation_p50_s",
          NULL, NULL },
        { "series", 0, CLI_TEXT, &o->series, "GROUP.KEY",
          "with --x: one curve per value of this parameter (legends\n"
          "name the value)",
          NULL, NULL },
        { "pool", 0, CLI_FLAG, &o->pool, NULL,
          "with --x: average over parameters that differ between the\n"
          "runs but are neither --x nor --series (refused by default)",
          NULL, NULL },
        { "label", 0, CLI_TEXTS, o->labels, "TEXT",
          "with --x: the legend of the next series (repeat, in order)", NULL, NULL },
        { "title", 0, CLI_TEXT, &o->title, "TEXT", "the title of the charts (default: what is drawn)", NULL, NULL },
        { "no-title", 0, CLI_FLAG, &o->no_title, NULL, "no title (for a figure captioned in a paper)", NULL, NULL },
        { "logx", 0, CLI_FLAG, &o->logx, NULL, "with --x: a logarithmic x axis (numeric values)", NULL, NULL },
        { "window", 0, CLI_TEXT, &o->window, "DURATION",
          "the throughput chart's window (default: 10 block intervals,\n"
          "at least 10 s), e.g. 60s",
          NULL, NULL },
        { "include-incomplete", 0, CLI_FLAG, &o->include_incomplete, NULL,
          "with --x/--y: count the runs that did not complete too\n"
          "(interrupted, abandoned, still running); by default only\n"
          "complete runs enter the means, and the others are named\n"
          "in a note",
          NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&plot_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    o->path = operands[0];
    g_free(operands);
    if (o->y) {
        char **names = g_strsplit(o->y, ",", -1);
        for (char **nm = names; *nm; nm++) {
            if (!plot_metric_find(g_strstrip(*nm))) {
                GString *all = g_string_new(NULL);
                for (const plot_metric_t *p = plot_metrics; p->name; p++)
                    g_string_append_printf(all, "%s%s", all->len ? ", " : "", p->name);
                char *q = cli_quote(*nm);
                int rc2 = cli_usage_error("plot", "--y %s: expected one of %s", q, all->str);
                g_free(q);
                g_string_free(all, TRUE);
                g_strfreev(names);
                return rc2;
            }
        }
        g_strfreev(names);
    }
    if ((o->series || o->pool || o->logx || o->labels->len) && !o->x)
        return cli_usage_error("plot", "--series, --pool, --label and --logx go with --x/--y");
    if (o->title && o->no_title)
        return cli_usage_error("plot", "--title and --no-title exclude each other");
    if (o->series && o->x && strcmp(o->series, o->x) == 0)
        return cli_usage_error("plot", "--series %s: the same parameter as --x", o->series);
    if (o->window) {
        uint64_t ns = 0;
        if (o->x || !units_parse_duration(o->window, &ns) || ns < 1000000)
            return cli_usage_error("plot", "--window %s: expected a duration of at least 1ms (e.g. 30s) for the"
                                           " throughput chart of one run", o->window);
    }
    if ((o->x != NULL) != (o->y != NULL))
        return cli_usage_error("plot", "%s needs %s: --x GROUP.KEY and --y METRIC go together", o->x ? "--x" : "--y",
                               o->x ? "--y" : "--x");
    if (o->x && o->run_id > 0)
        return cli_usage_error("plot", "--run cannot be used with --x/--y, which plot all the runs of the database");
    if (o->include_incomplete && !o->x)
        return cli_usage_error("plot", "--include-incomplete goes with --x/--y, the only charts over several runs");
    return CLI_GO_ON;
}

/* Reads the run's name, seed and the summary figures used in titles. */
static int read_run(plot_ctx_t *c)
{
    sqlite3_stmt *st = NULL;
    int status = PLOT_OK;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT scenario_name, seed, blocks_total, blocks_stale, stale_rate, tps"
                           " FROM v_run_summary WHERE run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error("plot", c->db, c->path, "cannot read the view v_run_summary");
    sqlite3_bind_int64(st, 1, c->run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        c->scenario = g_strdup((const char *)sqlite3_column_text(st, 0));
        if (!c->scenario)
            c->scenario = g_strdup("");
        c->seed = sqlite3_column_int64(st, 1);
        c->blocks_total = sqlite3_column_int64(st, 2);
        c->blocks_stale = sqlite3_column_int64(st, 3);
        c->stale_rate = sqlite3_column_double(st, 4);
        c->have_tps = sqlite3_column_type(st, 5) != SQLITE_NULL;
        c->tps = sqlite3_column_double(st, 5);
    } else if (rc == SQLITE_DONE) {
        int64_t v[3];
        status = query_ints("plot", c->db, c->path, "SELECT count(*), min(run_id), max(run_id) FROM runs", v, 3);
        if (status == PLOT_OK) {
            if (v[0] == 0)
                fprintf(stderr, "chainsim plot: %s: no run %" G_GINT64_FORMAT " (the database holds no run)\n",
                        c->path, c->run_id);
            else
                fprintf(stderr,
                        "chainsim plot: %s: no run %" G_GINT64_FORMAT " (the database holds %" G_GINT64_FORMAT
                        " run%s, ids %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")\n",
                        c->path, c->run_id, v[0], v[0] == 1 ? "" : "s", v[1], v[2]);
            status = PLOT_BADINPUT;
        }
    } else {
        status = db_error("plot", c->db, c->path, "cannot read the view v_run_summary");
    }
    sqlite3_finalize(st);
    return status;
}

/* Appends the header of a data file: what it holds, the run (and its
 * status when it is not complete), the columns. */
static void dat_header(GString *d, const plot_ctx_t *c, const char *what, const char *columns)
{
    char *name = plot_gp_quote(c->scenario);
    g_string_append_printf(d,
                           "# %s\n"
                           "# scenario %s, seed %" G_GINT64_FORMAT ", run %" G_GINT64_FORMAT ", database %s%s%s\n"
                           "# columns: %s\n",
                           what, name, c->seed, c->run_id, c->path, c->status.complete ? "" : ", status ",
                           c->status.complete ? "" : c->status.text, columns);
    g_free(name);
}

/* Appends `set title '<scenario> (seed S, run R): <what>'`, with the status
 * after the run when it is not complete. */
static void gp_title(GString *gp, const plot_ctx_t *c, const char *what)
{
    if (c->opts && c->opts->no_title)
        return;
    if (c->opts && c->opts->title) {
        char *q = plot_gp_quote(c->opts->title);
        g_string_append_printf(gp, "set title %s\n", q);
        g_free(q);
        return;
    }
    char *text = g_strdup_printf("%s (seed %" G_GINT64_FORMAT ", run %" G_GINT64_FORMAT "%s%s): %s", c->scenario,
                                 c->seed, c->run_id, c->status.complete ? "" : ", ",
                                 c->status.complete ? "" : c->status.text, what);
    char *q = plot_gp_quote(text);
    g_string_append_printf(gp, "set title %s\n", q);
    g_free(q);
    g_free(text);
}

static void gp_real(GString *gp, const char *fmt, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf(gp, fmt, g_ascii_formatd(buf, sizeof buf, "%.9g", v));
}

static void skipped(const char *chart, const char *why)
{
    printf("%s: skipped (%s)\n", chart, why);
}

/* Writes chart.gp and queues it for gnuplot. */
static int add_script(plot_ctx_t *c, const char *chart, const GString *gp)
{
    char *name = g_strdup_printf("%s.gp", chart);
    int status = plot_write("plot", c->dir, name, gp, c->inputs, c->written);
    if (status == PLOT_OK)
        g_ptr_array_add(c->scripts, name);
    else
        g_free(name);
    return status;
}

/* Queries one series into name.dat (after the header). *rows = 0 writes no
 * file. */
static int write_series(plot_ctx_t *c, const char *name, const char *what, const char *columns, const char *sql,
                        int64_t *rows)
{
    GString *d = g_string_new(NULL);
    dat_header(d, c, what, columns);
    int status = plot_query_dat("plot", c->db, c->path, sql, c->run_id, d, rows);
    if (status == PLOT_OK && *rows > 0) {
        char *file = g_strdup_printf("%s.dat", name);
        status = plot_write("plot", c->dir, file, d, c->inputs, c->written);
        g_free(file);
    }
    g_string_free(d, TRUE);
    return status;
}

/* The value of parameter key of the run (run_params), or NULL (g_free). */
static char *run_param(const plot_ctx_t *c, const char *key)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(c->db, "SELECT value FROM run_params WHERE run_id = ?1 AND key = ?2", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(st, 1, c->run_id);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            v = g_strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
}

/* The throughput window: --window, else 10 block intervals (a window holds
 * about ten blocks, so that it does not show single blocks as spikes), at
 * least 10 s; 10 s without a block interval. */
static uint64_t throughput_window_ns(const plot_ctx_t *c)
{
    uint64_t ns = 0;
    if (c->opts && c->opts->window && units_parse_duration(c->opts->window, &ns))
        return ns;
    char *interval = run_param(c, "consensus.block_interval");
    uint64_t w = 10000000000ull;
    if (interval && units_parse_duration(interval, &ns) && ns > 0 && ns <= UINT64_MAX / 10)
        w = MAX(w, 10 * ns);
    g_free(interval);
    return w;
}

static int chart_throughput(plot_ctx_t *c)
{
    int64_t confirmed[1];
    char *sql = g_strdup_printf("SELECT count(*) FROM txs WHERE run_id = %" G_GINT64_FORMAT
                                " AND confirmed_ns IS NOT NULL",
                                c->run_id);
    int status = query_ints("plot", c->db, c->path, sql, confirmed, 1);
    g_free(sql);
    if (status != PLOT_OK)
        return status;
    if (confirmed[0] <= 0) {
        skipped("throughput", "no confirmed transaction");
        return PLOT_OK;
    }
    uint64_t w_ns = throughput_window_ns(c);
    char wbuf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(wbuf, sizeof wbuf, "%.9g", (double)w_ns / 1e9);
    /* Windows [k w, (k + 1) w) from 0 to the end of the run, empty ones
     * included, like v_throughput with another width. */
    sql = g_strdup_printf(
        "WITH RECURSIVE span(end_ns) AS (SELECT max(coalesce(sim_end_ns, 0), coalesce((SELECT max(confirmed_ns) + 1"
        " FROM txs WHERE run_id = ?1), 0)) FROM runs WHERE run_id = ?1),"
        " w(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM w, span WHERE (k + 1) * %" G_GUINT64_FORMAT " < end_ns),"
        " counts(k, n) AS (SELECT confirmed_ns / %" G_GUINT64_FORMAT ", count(*) FROM txs WHERE run_id = ?1 AND"
        " confirmed_ns IS NOT NULL GROUP BY 1)"
        " SELECT w.k * %s, coalesce(counts.n, 0), coalesce(counts.n, 0) / %s FROM w LEFT JOIN counts ON counts.k = w.k"
        " ORDER BY w.k",
        w_ns, w_ns, wbuf, wbuf);
    char *what = g_strdup_printf("confirmed transactions per %s s window of simulated time (txs.confirmed_ns)", wbuf);
    int64_t rows = 0;
    status = write_series(c, "throughput", what,
                          "window_start_s (s, simulated time)  confirmed_txs (transactions)  tps (tx/s)", sql, &rows);
    g_free(what);
    g_free(sql);
    if (status != PLOT_OK || rows == 0) {
        if (status == PLOT_OK)
            skipped("throughput", "no window");
        return status;
    }
    char *rate_text = run_param(c, "workload.tx_rate");
    double offered = 0.0;
    bool have_offered = rate_text && units_parse_rate(rate_text, &offered) && offered > 0;
    GString *gp = g_string_new(NULL);
    plot_gp_begin(gp, c->format, "throughput", "confirmed transactions per second per window, and the offered load");
    g_string_append(gp, "# Style: edit freely.\n"
                        "set style line 1 lc rgb '#1f77b4' lw 1\n"
                        "set style line 2 lc rgb '#d62728' lw 3 dt 2\n"
                        "set style line 3 lc rgb '#2ca02c' lw 3 dt 4\n"
                        "set style fill solid 0.5 border lc rgb '#1f77b4'\n"
                        "set grid ytics\n"
                        "set key outside bottom center horizontal noopaque\n\n");
    gp_real(gp, "mean_tps = %s  # confirmed transactions per second of the workload's active window (v_run_summary.tps)\n",
            c->have_tps ? c->tps : 0.0);
    gp_real(gp, "offered = %s  # workload.tx_rate (tx/s), 0 when none\n", have_offered ? offered : 0.0);
    g_string_append_printf(gp, "window_s = %s   # width of a window, as written in throughput.dat; to change"
                               " it, run chainsim plot --window\n", wbuf);
    char *what_t = g_strdup_printf("throughput per %s s window", wbuf);
    gp_title(gp, c, what_t);
    g_free(what_t);
    g_string_append(gp, "set xlabel 'simulated time (s)'\n"
                        "set ylabel 'confirmed transactions per second (tx/s)'\n"
                        "set xrange [0:*]\n"
                        "set yrange [0:*]\n"
                        "plot 'throughput.dat' using ($1 + window_s / 2):3:(window_s) with boxes ls 1 "
                        "title sprintf('per %g s window', window_s), \\\n"
                        "     mean_tps with lines ls 2 title sprintf('mean over the active window: %.2f tx/s',"
                        " mean_tps)");
    if (have_offered) {
        char *q = plot_gp_quote(rate_text);
        g_string_append_printf(gp, ", \\\n     offered with lines ls 3 title sprintf('offered load (workload.tx_rate"
                                   " = %%s): %%.2f tx/s', %s, offered)",
                               q);
        g_free(q);
    }
    g_string_append(gp, "\nunset output\n");
    g_free(rate_text);
    status = add_script(c, "throughput", gp);
    g_string_free(gp, TRUE);
    return status;
}

static int chart_latency(plot_ctx_t *c)
{
    int64_t n_confirm = 0, n_final = 0;
    int status = write_series(c, "confirm_latency", "CDF of confirmation latency (v_tx_latency.confirm_latency_s)",
                              "latency_s (s, from submission to confirmation)  fraction (cumulative share of the"
                              " confirmed transactions, 0 to 1)",
                              "SELECT confirm_latency_s, ROW_NUMBER() OVER (ORDER BY confirm_latency_s) * 1.0"
                              " / COUNT(*) OVER () FROM v_tx_latency WHERE run_id = ?1 AND confirm_latency_s IS NOT NULL"
                              " ORDER BY 1",
                              &n_confirm);
    if (status == PLOT_OK)
        status = write_series(c, "finality_latency", "CDF of finality latency (v_tx_latency.final_latency_s)",
                              "latency_s (s, from submission to finality)  fraction (cumulative share of the"
                              " final transactions, 0 to 1)",
                              "SELECT final_latency_s, ROW_NUMBER() OVER (ORDER BY final_latency_s) * 1.0"
                              " / COUNT(*) OVER () FROM v_tx_latency WHERE run_id = ?1 AND final_latency_s IS NOT NULL"
                              " ORDER BY 1",
                              &n_final);
    if (status != PLOT_OK)
        return status;
    if (n_confirm == 0 && n_final == 0) {
        skipped("latency_cdf", "no confirmed or final transaction");
        return PLOT_OK;
    }
    GString *gp = g_string_new(NULL);
    plot_gp_begin(gp, c->format, "latency_cdf", "CDFs of transaction confirmation and finality latency");
    g_string_append(gp, "# Style: edit freely.\n"
                        "set style line 1 lc rgb '#1f77b4' lw 3\n"
                        "set style line 2 lc rgb '#d62728' lw 3 dt 2\n"
                        "set grid\n"
                        "set key bottom right noopaque\n\n");
    gp_title(gp, c, "transaction latency CDF");
    g_string_append(gp, "set xlabel 'latency after submission (s)'\n"
                        "set ylabel 'fraction of transactions'\n"
                        "set xrange [0:*]\n"
                        "set yrange [0:1.02]\n"
                        "plot ");
    if (n_confirm > 0)
        g_string_append_printf(gp,
                               "'confirm_latency.dat' using 1:2 with steps ls 1 title 'confirmation (%" G_GINT64_FORMAT
                               " transactions)'%s",
                               n_confirm, n_final > 0 ? ", \\\n     " : "\n");
    if (n_final > 0)
        g_string_append_printf(gp,
                               "'finality_latency.dat' using 1:2 with steps ls 2 title 'finality (%" G_GINT64_FORMAT
                               " transactions)'\n",
                               n_final);
    g_string_append(gp, "unset output\n");
    status = add_script(c, "latency_cdf", gp);
    g_string_free(gp, TRUE);
    return status;
}

static int chart_propagation(plot_ctx_t *c)
{
    static const struct {
        const char *col, *share;
    } series[] = { { "t50_s", "50" }, { "t90_s", "90" }, { "t100_s", "100" } };
    int64_t n[G_N_ELEMENTS(series)] = { 0 };
    int64_t total = 0;
    int status = PLOT_OK;
    for (size_t i = 0; i < G_N_ELEMENTS(series) && status == PLOT_OK; i++) {
        char *name = g_strdup_printf("propagation_t%s", series[i].share);
        char *what = g_strdup_printf("CDF of the time blocks took to reach %s %% of the nodes (v_block_propagation.%s)",
                                     series[i].share, series[i].col);
        char *cols = g_strdup_printf("time_s (s, after block creation)  fraction (cumulative share of the blocks"
                                     " that reached %s %% of the nodes, 0 to 1)",
                                     series[i].share);
        char *sql = g_strdup_printf("SELECT %s, ROW_NUMBER() OVER (ORDER BY %s) * 1.0 / COUNT(*) OVER ()"
                                    " FROM v_block_propagation WHERE run_id = ?1 AND %s IS NOT NULL ORDER BY 1",
                                    series[i].col, series[i].col, series[i].col);
        status = write_series(c, name, what, cols, sql, &n[i]);
        total += n[i];
        g_free(name);
        g_free(what);
        g_free(cols);
        g_free(sql);
    }
    if (status != PLOT_OK)
        return status;
    if (total == 0) {
        skipped("propagation_cdf", "no block reached 50 % of the nodes");
        return PLOT_OK;
    }
    GString *gp = g_string_new(NULL);
    plot_gp_begin(gp, c->format, "propagation_cdf", "CDFs of the time blocks took to reach 50, 90, 100 % of nodes");
    g_string_append(gp, "# Style: edit freely.\n"
                        "set style line 1 lc rgb '#2ca02c' lw 3\n"
                        "set style line 2 lc rgb '#1f77b4' lw 3 dt 2\n"
                        "set style line 3 lc rgb '#d62728' lw 3 dt 4\n"
                        "set grid\n"
                        "set key bottom right noopaque\n\n");
    char *what = g_strdup_printf("block propagation (stale rate %.2f %%, %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                                 " blocks)",
                                 c->stale_rate * 100.0, c->blocks_stale, c->blocks_total);
    gp_title(gp, c, what);
    g_free(what);
    g_string_append(gp, "set xlabel 'time after block creation (s)'\n"
                        "set ylabel 'fraction of blocks'\n"
                        "set xrange [0:*]\n"
                        "set yrange [0:1.02]\n"
                        "plot ");
    bool first = true;
    for (size_t i = 0; i < G_N_ELEMENTS(series); i++) {
        if (n[i] == 0)
            continue;
        g_string_append_printf(gp,
                               "%s'propagation_t%s.dat' using 1:2 with steps ls %zu title '%s %% of nodes (%" G_GINT64_FORMAT
                               " of %" G_GINT64_FORMAT " blocks)'",
                               first ? "" : ", \\\n     ", series[i].share, i + 1, series[i].share, n[i],
                               c->blocks_total);
        first = false;
    }
    g_string_append(gp, "\nunset output\n");
    status = add_script(c, "propagation_cdf", gp);
    g_string_free(gp, TRUE);
    return status;
}

static int chart_chain(plot_ctx_t *c)
{
    int64_t rows = 0, nfaults = 0;
    int status = write_series(c, "chain", "chain height and mempool over the nodes that are up (samples)",
                              "t_s (s, simulated time)  height_min (blocks)  height_median (blocks)"
                              "  height_max (blocks)  mempool_mean (transactions per node)",
                              "SELECT t_ns / 1e9, height_min, height_median, height_max, mempool_mean FROM samples"
                              " WHERE run_id = ?1 ORDER BY t_ns",
                              &rows);
    if (status != PLOT_OK)
        return status;
    if (rows == 0) {
        skipped("chain", "no samples");
        return PLOT_OK;
    }
    GString *faults = g_string_new(NULL);
    status = write_series(c, "faults", "fault events as applied (faults)",
                          "at_s (s, simulated time)  kind (text)  name (text, the NAME of [event NAME])",
                          "SELECT at_ns / 1e9, kind, name FROM faults WHERE run_id = ?1 ORDER BY seq", &nfaults);

    /* The vertical lines are written out in the script, one per event. */
    sqlite3_stmt *st = NULL;
    if (status == PLOT_OK && nfaults > 0) {
        if (sqlite3_prepare_v2(c->db, "SELECT at_ns / 1e9, kind FROM faults WHERE run_id = ?1 ORDER BY seq", -1, &st,
                               NULL) != SQLITE_OK) {
            status = db_error("plot", c->db, c->path, "cannot read the faults");
        } else {
            sqlite3_bind_int64(st, 1, c->run_id);
            int tag = 1;
            int rc;
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                char *kind = plot_gp_quote((const char *)sqlite3_column_text(st, 1));
                char buf[G_ASCII_DTOSTR_BUF_SIZE];
                g_ascii_formatd(buf, sizeof buf, "%.9g", sqlite3_column_double(st, 0));
                g_string_append_printf(faults,
                                       "set arrow %d from first %s, graph 0 to first %s, graph 1 nohead ls 4 back\n"
                                       "set label %d %s at first %s, graph 0.98 right rotate by 90 offset "
                                       "character -1, 0 tc ls 4 front\n",
                                       tag, buf, buf, tag, kind, buf);
                tag++;
                g_free(kind);
            }
            if (rc != SQLITE_DONE)
                status = db_error("plot", c->db, c->path, "cannot read the faults");
        }
        sqlite3_finalize(st);
    }
    if (status != PLOT_OK) {
        g_string_free(faults, TRUE);
        return status;
    }

    GString *gp = g_string_new(NULL);
    plot_gp_begin(gp, c->format, "chain", "chain height and mempool size over time, fault events marked");
    g_string_append(gp, "# Style: edit freely.\n"
                        "set style line 1 lc rgb '#1f77b4' lw 3\n"
                        "set style line 2 lc rgb '#ff7f0e' lw 2\n"
                        "set style line 3 lc rgb '#1f77b4'\n"
                        "set style line 4 lc rgb '#7f7f7f' lw 2 dt 2\n"
                        "set style fill transparent solid 0.25 noborder\n"
                        "set grid\n"
                        "set key below horizontal\n\n");
    char *what = g_strdup_printf("chain height and mempool (stale rate %.2f %%)", c->stale_rate * 100.0);
    gp_title(gp, c, what);
    g_free(what);
    g_string_append(gp, "set xlabel 'simulated time (s)'\n"
                        "set ylabel 'chain height of the nodes (blocks)'\n"
                        "set y2label 'mean mempool size (transactions per node)'\n"
                        "set ytics nomirror\n"
                        "set y2tics\n"
                        "set xrange [0:*]\n"
                        "set yrange [0:*]\n"
                        "set y2range [0:*]\n");
    if (nfaults > 0) {
        g_string_append(gp, "\n# Fault events (faults.dat): a dashed line and the kind at each.\n");
        g_string_append_len(gp, faults->str, (gssize)faults->len);
    }
    g_string_append(gp, "\nplot 'chain.dat' using 1:2:4 with filledcurves ls 3 title 'height, min to max', \\\n"
                        "     '' using 1:3 with lines ls 1 title 'height, median', \\\n"
                        "     '' using 1:5 axes x1y2 with lines ls 2 title 'mean mempool (right axis)'\n"
                        "unset output\n");
    g_string_free(faults, TRUE);
    status = add_script(c, "chain", gp);
    g_string_free(gp, TRUE);
    return status;
}

static int chart_reorgs(plot_ctx_t *c)
{
    int64_t rows = 0;
    int status = write_series(c, "reorg_depth", "reorgs by depth, over all nodes (reorgs)",
                              "depth (blocks disconnected)  reorgs (count)",
                              "SELECT depth, count(*) FROM reorgs WHERE run_id = ?1 GROUP BY depth ORDER BY depth",
                              &rows);
    if (status != PLOT_OK)
        return status;
    if (rows == 0) {
        printf("reorg_depth: skipped (no reorg; stale rate %.2f %%, %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
               " blocks)\n",
               c->stale_rate * 100.0, c->blocks_stale, c->blocks_total);
        return PLOT_OK;
    }
    int64_t deepest[1];
    char *sql = g_strdup_printf("SELECT max(depth) FROM reorgs WHERE run_id = %" G_GINT64_FORMAT, c->run_id);
    status = query_ints("plot", c->db, c->path, sql, deepest, 1);
    g_free(sql);
    if (status != PLOT_OK)
        return status;
    GString *gp = g_string_new(NULL);
    plot_gp_begin(gp, c->format, "reorg_depth", "histogram of reorg depths, with the stale rate");
    g_string_append(gp, "# Style: edit freely.\n"
                        "set style line 1 lc rgb '#9467bd' lw 2\n"
                        "set style fill solid 0.6 border lc rgb '#9467bd'\n"
                        "set boxwidth 0.7\n"
                        "set grid ytics\n"
                        "unset key\n\n");
    gp_title(gp, c, "reorg depth");
    char *label = g_strdup_printf("stale rate %.2f %% (%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " blocks stale)",
                                  c->stale_rate * 100.0, c->blocks_stale, c->blocks_total);
    char *q = plot_gp_quote(label);
    g_string_append_printf(gp, "set label 1 %s at graph 0.98, graph 0.95 right front\n", q);
    g_free(q);
    g_free(label);
    g_string_append(gp, "set xlabel 'reorg depth (blocks disconnected)'\n"
                        "set ylabel 'reorgs, all nodes (count)'\n"
                        "set xtics 1\n"
                        "set offsets 0, 0, graph 0.15, 0\n"
                        "set yrange [0:*]\n");
    g_string_append_printf(gp, "set xrange [0.4:%" G_GINT64_FORMAT ".6]\n", deepest[0]);
    g_string_append(gp,
                        "plot 'reorg_depth.dat' using 1:2 with boxes ls 1, \\\n"
                        "     '' using 1:2:2 with labels offset character 0, 0.8\n"
                        "unset output\n");
    status = add_script(c, "reorg_depth", gp);
    g_string_free(gp, TRUE);
    return status;
}

/* plots/<scenario>-run<ID>, the name made safe for a file name. */
static char *default_dir(const plot_ctx_t *c)
{
    GString *s = g_string_new(NULL);
    for (const char *p = c->scenario; *p; p++) {
        char ch = *p;
        g_string_append_c(s, g_ascii_isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ? ch : '_');
    }
    if (s->len == 0 || s->str[0] == '.')
        g_string_prepend_c(s, '_');
    char *leaf = g_strdup_printf("%s-run%" G_GINT64_FORMAT, s->str, c->run_id);
    char *dir = g_build_filename("plots", leaf, NULL);
    g_free(leaf);
    g_string_free(s, TRUE);
    return dir;
}

int plot_main(int argc, char **argv)
{
    plot_opts_t o = { .format = PLOT_PNG };
    o.labels = g_ptr_array_new_with_free_func(g_free);
    int status = parse_args(argc, argv, &o);
    if (status != CLI_GO_ON) {
        g_ptr_array_unref(o.labels);
        return status;
    }
    if (o.x) {
        char **names = g_strsplit(o.y, ",", -1);
        status = PLOT_OK;
        for (char **nm = names; *nm && status == PLOT_OK; nm++)
            status = sweep_main(&o, plot_metric_find(g_strstrip(*nm)));
        g_strfreev(names);
        g_ptr_array_unref(o.labels);
        return status;
    }

    plot_ctx_t c = { 0 };
    c.opts = &o;
    char *dir = NULL;
    c.path = o.path;
    c.inputs[0] = o.path;
    c.format = o.format;
    c.written = g_ptr_array_new_with_free_func(g_free);
    c.scripts = g_ptr_array_new_with_free_func(g_free);

    if ((status = plot_open_db("plot", o.path, &c.db)) != PLOT_OK)
        goto done;
    if (o.run_id > 0) {
        c.run_id = o.run_id;
    } else {
        int64_t v[1];
        if ((status = query_ints("plot", c.db, o.path, "SELECT max(run_id) FROM runs", v, 1)) != PLOT_OK)
            goto done;
        if (v[0] == INT64_MIN) {
            fprintf(stderr, "chainsim plot: %s: no run recorded in this database\n", o.path);
            status = PLOT_BADINPUT;
            goto done;
        }
        c.run_id = v[0];
    }
    if ((status = read_run(&c)) != PLOT_OK)
        goto done;
    if ((status = resultsdb_run_status("plot", c.db, c.path, c.run_id, &c.status)) != PLOT_OK)
        goto done;
    if (!c.status.complete)
        fprintf(stderr,
                "chainsim plot: note: run %" G_GINT64_FORMAT " is not complete (%s%s%s); the charts show only what"
                " it recorded, and their titles say so\n",
                c.run_id, c.status.text, c.status.error ? ": " : "", c.status.error ? c.status.error : "");
    dir = o.out ? g_strdup(o.out) : default_dir(&c);
    c.dir = dir;
    if ((status = plot_mkdir("plot", dir)) != PLOT_OK)
        goto done;

    int (*const charts[])(plot_ctx_t *) = { chart_throughput, chart_latency, chart_propagation, chart_chain,
                                            chart_reorgs };
    for (size_t i = 0; i < G_N_ELEMENTS(charts) && status == PLOT_OK; i++)
        status = charts[i](&c);
    if (status == PLOT_OK)
        status = plot_render("plot", dir, c.scripts, c.format, c.inputs, c.written);
    if (c.scripts->len == 0 && status == PLOT_OK)
        printf("no chart: the run has no data to plot\n");
    plot_print_written(c.written);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chainsim plot: cannot write to standard output\n");
        status = PLOT_RUNTIME;
    }
done:
    g_ptr_array_unref(o.labels);
    resultsdb_status_clear(&c.status);
    sqlite3_close(c.db);
    g_free(c.scenario);
    g_free(dir);
    g_ptr_array_unref(c.written);
    g_ptr_array_unref(c.scripts);
    return status;
}
