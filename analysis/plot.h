/*
 * plot.h - `chainsim plot`: charts of one recorded run, drawn by gnuplot.
 *
 *   chainsim plot DB [--run ID] [--out DIR] [--format png|svg|pdf]
 *   chainsim plot DB --x GROUP.KEY --y METRIC [--include-incomplete] [--out DIR] [--format ...]
 *
 * For one run of the results database DB (opened read-only; the latest run
 * unless --run is given) writes into DIR (default plots/<scenario>-run<ID>)
 * one whitespace-separated data file (.dat, with a commented header naming
 * the columns and their units) per series and one gnuplot script (.gp) per
 * chart, then runs gnuplot on each script to draw DIR/<chart>.<format>.
 * gnuplot is optional: without it the data and scripts are written and the
 * command says how to render them later (`cd DIR && gnuplot *.gp`). A run
 * that is not complete is plotted with its status in every title and data
 * header (resultsdb_run_status()) and a note on stderr.
 *
 * Since issue 17: --y takes several metrics (one chart each); --series KEY
 * draws one curve per value of a second parameter (legend "key=value", or
 * --label TEXT in order); a parameter in which the runs differ that is
 * neither --x nor --series (nor scenario.seed) is refused unless --pool;
 * categorical x values are points in grid order (first appearance by
 * run_id); y from zero; --logx; --title/--no-title. The run charts'
 * throughput window is --window or 10 block intervals (at least 10 s),
 * with the offered load drawn.
 *
 * With --x and --y (together; not with --run), over all the runs of DB (e.g.
 * a sweep merged into one database): the runs are grouped by their value of
 * the scenario parameter GROUP.KEY (run_params); METRIC, a numeric column of
 * v_run_summary, gets per group n (runs with a non-NULL value), mean, sample
 * standard deviation and a 95 % confidence interval of the mean (Student's
 * t, n - 1 degrees of freedom; none for n = 1). The groups are ordered by
 * the value in base units when every value is a number with an optional
 * unit (duration, size, bandwidth, rate, plain), else as text. Only runs
 * whose status is complete (resultsdb_run_status()) enter the groups, unless
 * --include-incomplete is given; the runs left out (or taken in) are named
 * in a note on stderr, the data file's header and the table. Writes
 * DIR/<METRIC>_vs_<KEY>.dat and .gp (mean with error bars, default DIR
 * plots/sweep) and prints the table. A key no run has, or an unknown METRIC,
 * is exit status 2.
 *
 * gnuplot is looked up in PATH; the environment variable CHAINSIM_GNUPLOT
 * overrides that: a program path, or an empty string for "not installed".
 *
 * The helpers below are shared with `chainsim compare` (analysis/compare.c).
 */
#ifndef CHAINSIM_PLOT_H
#define CHAINSIM_PLOT_H

#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/* Runs the plot command. argv[0] is the first argument after "plot" (argc
 * counts the arguments). Prints the files written to stdout, notes and
 * errors to stderr. Returns the exit status: 0 success (also when gnuplot is
 * not installed); 1 runtime failure (gnuplot failed, a file cannot be
 * written, SQLite error); 2 bad usage, missing file, not a chainsim results
 * database, or no such run. */
int plot_main(int argc, char **argv);

/* ---- shared with compare.c ---------------------------------------------- */

enum { PLOT_OK = 0, PLOT_RUNTIME = 1, PLOT_BADINPUT = 2 };

typedef enum plot_format { PLOT_PNG, PLOT_SVG, PLOT_PDF } plot_format_t;

/* A numeric column of v_run_summary: its name, what it is in words for
 * axis labels and tables, and its unit. None of them is ever negative. */
typedef struct plot_metric {
    const char *name;  /* column of v_run_summary */
    const char *label; /* "confirmation latency, median" */
    const char *unit;  /* "s", "tx/s", "fraction", "blocks", ... */
} plot_metric_t;

/* Every metric plot --y and compare accept, ended by a row of NULLs. */
extern const plot_metric_t plot_metrics[];

/* The metric named name, or NULL. */
const plot_metric_t *plot_metric_find(const char *name);

/* Two-sided 95 % quantile of Student's t with df degrees of freedom (a
 * table for 1..30, the normal 1.96 beyond; NaN below 1). */
double plot_t95(int64_t df);

/* Parses the n parameter values (as written in a scenario) with the first
 * of the unit parsers that accepts all of them (duration, size, bandwidth,
 * rate, plain number) into x[] in base units (ns, bytes, bit/s, per s).
 * Returns false, x[] partly written, when no parser accepts them all. */
bool plot_param_numbers(const char *const *values, guint n, double *x);

/* "png", "svg", "pdf" in plot_format_t order, NULL-terminated: the choices
 * of --format. */
extern const char *const plot_format_names[];

/* File extension of f, without the dot. */
const char *plot_format_ext(plot_format_t f);

/* Opens path read-only into *db (closed by the caller, even on failure) and
 * checks that it is a chainsim results database (runs table, analysis
 * views). cmd ("plot", "compare") prefixes the messages. Returns PLOT_OK or
 * an exit status after printing why. */
int plot_open_db(const char *cmd, const char *path, sqlite3 **db);

/* The run ids of db in increasing order (g_array of int64_t; free with
 * g_array_unref). Returns PLOT_OK, or an exit status after printing why (no
 * run at all is PLOT_BADINPUT). */
int plot_run_ids(const char *cmd, sqlite3 *db, const char *path, GArray **ids);

/* Runs sql with ?1 bound to run_id and appends each row to out as one line
 * of space-separated numbers (INTEGER as is, REAL with 9 significant
 * digits, NULL as NaN). Sets *rows to the number of rows. Returns PLOT_OK or
 * an exit status after printing why. */
int plot_query_dat(const char *cmd, sqlite3 *db, const char *path, const char *sql, int64_t run_id, GString *out,
                   int64_t *rows);

/* s as a gnuplot single-quoted string literal, control characters replaced
 * by spaces (g_free). */
char *plot_gp_quote(const char *s);

/* Appends the opening lines of a chart script: a comment naming the chart,
 * `reset`, the terminal for format f sized for a paper, and the output file
 * <chart>.<ext> (or the gnuplot variable chainsim_image when it is set). */
void plot_gp_begin(GString *gp, plot_format_t f, const char *chart, const char *about);

/* Writes contents to dir/name (through a temporary file, analysis/outfile.h)
 * and appends the path to written (owned). Returns PLOT_OK, PLOT_BADINPUT
 * when dir/name is one of the files of inputs (NULL-terminated), or
 * PLOT_RUNTIME, after printing why. */
int plot_write(const char *cmd, const char *dir, const char *name, const GString *contents,
               const char *const *inputs, GPtrArray *written);

/* Creates dir (and parents). Returns PLOT_OK or PLOT_RUNTIME after printing
 * why. */
int plot_mkdir(const char *cmd, const char *dir);

/* The gnuplot program to run: CHAINSIM_GNUPLOT when set (NULL when it is
 * empty), else gnuplot from PATH, else NULL (g_free). */
char *plot_find_gnuplot(void);

/* Runs gnuplot on each script (names relative to dir) from dir and appends
 * the images made to written; without gnuplot prints how to render later.
 * Each image is drawn into a temporary file renamed when gnuplot succeeded,
 * so a failure leaves an older image as it was. Returns PLOT_OK,
 * PLOT_BADINPUT when an image would be one of the files of inputs, or
 * PLOT_RUNTIME, after printing why. */
int plot_render(const char *cmd, const char *dir, GPtrArray *scripts, plot_format_t f, const char *const *inputs,
                GPtrArray *written);

/* Prints "wrote N files:" and one path a line to stdout. */
void plot_print_written(const GPtrArray *written);

#endif
