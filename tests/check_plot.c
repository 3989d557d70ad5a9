/*
 * check_plot.c - `chainsim plot` and `chainsim compare` on real runs.
 *
 * Two small runs are made once with the binary (a proof-of-work quick start
 * and a proof-of-stake run); then the commands are checked end to end:
 * images (PNG signature and size, SVG header), data and script files,
 * running without gnuplot (CHAINSIM_GNUPLOT empty), a failing gnuplot, the
 * comparison table and its overlay charts, and bad input.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testutil.h"

#define ck_assert_contains(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "missing <%s> in:\n%s", (needle), (hay))

/* Made once by the unchecked fixture in the parent process; removed by its
 * teardown (not with tu_tmpdir(), whose exit handler would also run in each
 * forked test). */
static char *fixture_dir;
static char *pow_db;
static char *pos_db;
static char *sweep_db; /* 4 runs: block_interval 2s and 4s, seeds 1 and 2 */

static const char *const pow_charts[] = { "throughput", "latency_cdf", "propagation_cdf", "chain", "reorg_depth" };

static void make_runs(void)
{
    fixture_dir = g_dir_make_tmp("chainsim-plot-XXXXXX", NULL);
    ck_assert_ptr_nonnull(fixture_dir);
    pow_db = g_build_filename(fixture_dir, "quick.db", NULL);
    pos_db = g_build_filename(fixture_dir, "pos.db", NULL);
    char *out = NULL, *err = NULL;
    char *quick = tu_source("scenarios/quickstart.ini");
    int rc = tu_chainsim(&out, &err, "run", quick, "--out", pow_db, "--set", "network.nodes=40", "--set",
                         "scenario.duration=90s", "--quiet", NULL);
    ck_assert_msg(rc == 0, "run quickstart: exit %d\n%s%s", rc, out, err);
    g_free(out);
    g_free(err);
    char *pos = tu_source("scenarios/compare-pos.ini");
    rc = tu_chainsim(&out, &err, "run", pos, "--out", pos_db, "--set", "network.nodes=30", "--set",
                     "scenario.duration=8m", "--set", "consensus.slots_per_epoch=4", "--set", "workload.tx_rate=2/s",
                     "--quiet", NULL);
    ck_assert_msg(rc == 0, "run compare-pos: exit %d\n%s%s", rc, out, err);
    g_free(out);
    g_free(err);
    /* Four runs into one database, as a sweep would merge them. */
    sweep_db = g_build_filename(fixture_dir, "sweep.db", NULL);
    static const char *const intervals[] = { "consensus.block_interval=4s", "consensus.block_interval=2s" };
    for (size_t i = 0; i < G_N_ELEMENTS(intervals); i++) {
        for (int seed = 1; seed <= 2; seed++) {
            rc = tu_chainsim(&out, &err, "run", quick, "--out", sweep_db, "--set", "network.nodes=30", "--set",
                             "scenario.duration=60s", "--set", "workload.tx_rate=2/s", "--set", intervals[i],
                             "--seed", seed == 1 ? "1" : "2", "--quiet", NULL);
            ck_assert_msg(rc == 0, "run quickstart %s seed %d: exit %d\n%s%s", intervals[i], seed, rc, out, err);
            g_free(out);
            g_free(err);
        }
    }
    g_free(quick);
    g_free(pos);
}

static void remove_runs(void)
{
    char *cmd = g_strdup_printf("rm -rf '%s'", fixture_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fixture_dir);
    g_free(cmd);
    g_free(fixture_dir);
    g_free(pow_db);
    g_free(pos_db);
    g_free(sweep_db);
}

/* A new folder name under the fixture folder (not created). */
static char *out_dir(const char *name)
{
    return g_build_filename(fixture_dir, name, NULL);
}

static bool exists(const char *dir, const char *name, const char *ext)
{
    char *p = g_strdup_printf("%s/%s.%s", dir, name, ext);
    bool ok = g_file_test(p, G_FILE_TEST_IS_REGULAR);
    g_free(p);
    return ok;
}

/* Asserts that dir/name.png is a PNG image of more than 5 KB. */
static void expect_png(const char *dir, const char *name)
{
    char *p = g_strdup_printf("%s/%s.png", dir, name);
    char *data = NULL;
    gsize len = 0;
    ck_assert_msg(g_file_get_contents(p, &data, &len, NULL), "no image %s", p);
    ck_assert_msg(len > 5000, "%s: only %zu bytes", p, (size_t)len);
    ck_assert_msg(memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0, "%s: not a PNG", p);
    g_free(data);
    g_free(p);
}

/* Asserts that the data file has a commented header naming its columns and
 * at least one row of numbers. */
static void expect_dat(const char *dir, const char *name)
{
    char *p = g_strdup_printf("%s/%s.dat", dir, name);
    char *data = NULL;
    ck_assert_msg(g_file_get_contents(p, &data, NULL, NULL), "no data file %s", p);
    ck_assert_msg(g_str_has_prefix(data, "# "), "%s: no header", p);
    ck_assert_contains(data, "\n# columns: ");
    ck_assert_contains(data, " ("); /* units */
    const char *row = strstr(data, "\n");
    while (row && row[1] == '#')
        row = strstr(row + 1, "\n");
    ck_assert_msg(row && g_ascii_isdigit(row[1]), "%s: no data row", p);
    g_free(data);
    g_free(p);
}

START_TEST(test_plot_png)
{
    char *dir = out_dir("png");
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "plot", pow_db, "--out", dir, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    for (size_t i = 0; i < G_N_ELEMENTS(pow_charts); i++) {
        expect_png(dir, pow_charts[i]);
        ck_assert(exists(dir, pow_charts[i], "gp"));
        char *listed = g_strdup_printf("%s/%s.png", dir, pow_charts[i]);
        ck_assert_contains(out, listed); /* the list of files written */
        g_free(listed);
    }
    static const char *const dats[] = { "throughput",      "confirm_latency",  "finality_latency", "propagation_t50",
                                        "propagation_t90", "propagation_t100", "chain",            "reorg_depth" };
    for (size_t i = 0; i < G_N_ELEMENTS(dats); i++)
        expect_dat(dir, dats[i]);

    /* The scripts name the scenario and the seed, and label the axes. */
    char *gp = NULL;
    char *p = g_build_filename(dir, "throughput.gp", NULL);
    ck_assert(g_file_get_contents(p, &gp, NULL, NULL));
    ck_assert_contains(gp, "quickstart (seed 1, run 1)");
    ck_assert_contains(gp, "set xlabel 'simulated time (s)'");
    ck_assert_contains(gp, "(tx/s)");
    ck_assert_contains(gp, "set output 'throughput.png'");
    g_free(gp);
    g_free(p);
    g_free(out);
    g_free(err);
    g_free(dir);
}
END_TEST

START_TEST(test_plot_default_dir_and_skip)
{
    /* Without --out: plots/<scenario>-run<ID> under the current folder. */
    char *cwd = out_dir("cwd");
    ck_assert_int_eq(g_mkdir_with_parents(cwd, 0777), 0);
    ck_assert_int_eq(chdir(cwd), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "plot", pos_db, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    char *dir = g_build_filename(cwd, "plots", "compare-pos-run1", NULL);
    expect_png(dir, "latency_cdf");
    expect_png(dir, "chain");
    ck_assert_contains(out, "plots/compare-pos-run1/latency_cdf.png");
    /* A chart without data is skipped, and the command says so. */
    if (tu_db_int(pos_db, "SELECT count(*) FROM reorgs") == 0) {
        ck_assert_contains(out, "reorg_depth: skipped");
        ck_assert(!exists(dir, "reorg_depth", "gp"));
    }
    g_free(out);
    g_free(err);
    g_free(dir);
    g_free(cwd);
}
END_TEST

START_TEST(test_plot_without_gnuplot)
{
    char *dir = out_dir("nognuplot");
    g_setenv("CHAINSIM_GNUPLOT", "", TRUE);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "plot", pow_db, "--out", dir, NULL);
    g_unsetenv("CHAINSIM_GNUPLOT");
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    char *both = g_strconcat(out, err, NULL);
    ck_assert_contains(both, "gnuplot *.gp");
    ck_assert_contains(both, dir);
    for (size_t i = 0; i < G_N_ELEMENTS(pow_charts); i++) {
        ck_assert(exists(dir, pow_charts[i], "gp"));
        ck_assert(!exists(dir, pow_charts[i], "png"));
    }
    expect_dat(dir, "throughput");
    expect_dat(dir, "confirm_latency");
    g_free(both);
    g_free(out);
    g_free(err);
    g_free(dir);
}
END_TEST

START_TEST(test_plot_gnuplot_fails)
{
    char *dir = out_dir("failing");
    g_setenv("CHAINSIM_GNUPLOT", "/bin/false", TRUE);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "plot", pow_db, "--out", dir, NULL);
    g_unsetenv("CHAINSIM_GNUPLOT");
    ck_assert_msg(rc == 1, "exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "gnuplot");
    ck_assert_contains(err, "failed");
    g_free(out);
    g_free(err);
    g_free(dir);
}
END_TEST

START_TEST(test_plot_svg)
{
    char *dir = out_dir("svg");
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "plot", pow_db, "--run", "1", "--out", dir, "--format", "svg", NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    for (size_t i = 0; i < G_N_ELEMENTS(pow_charts); i++) {
        char *p = g_strdup_printf("%s/%s.svg", dir, pow_charts[i]);
        char *data = NULL;
        ck_assert_msg(g_file_get_contents(p, &data, NULL, NULL), "no image %s", p);
        ck_assert_msg(g_str_has_prefix(data, "<?xml") || g_str_has_prefix(data, "<svg"), "%s: not SVG", p);
        ck_assert(!exists(dir, pow_charts[i], "png"));
        g_free(data);
        g_free(p);
    }
    g_free(out);
    g_free(err);
    g_free(dir);
}
END_TEST

START_TEST(test_compare)
{
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "compare", pow_db, pos_db, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    static const char *const want[] = { "quickstart", "compare-pos", "run 1", "quick.db", "pos.db",
                                        "consensus", "pow", "pos", "throughput", "confirmation latency p50",
                                        "confirmation latency p90", "finality latency p50", "finality latency p90",
                                        "block to 50% of nodes", "block to 90% of nodes", "stale rate", "reorgs",
                                        "missed slots" };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
        ck_assert_contains(out, want[i]);
    /* The values are those of v_run_summary, as `report` formats them. */
    const char *dbs[] = { pow_db, pos_db };
    for (size_t i = 0; i < G_N_ELEMENTS(dbs); i++) {
        char *tps = tu_db_text(dbs[i], "SELECT printf('%.3f tx/s', tps) FROM v_run_summary");
        char *p50 = tu_db_text(dbs[i], "SELECT printf('%.3f s', confirm_latency_p50_s) FROM v_run_summary");
        char *stale = tu_db_text(dbs[i], "SELECT printf('%.2f %%', 100.0 * stale_rate) FROM v_run_summary");
        ck_assert_contains(out, tps);
        ck_assert_contains(out, p50);
        ck_assert_contains(out, stale);
        g_free(tps);
        g_free(p50);
        g_free(stale);
    }
    /* The first column is the quick start, the second the PoS run. */
    ck_assert(strstr(out, "quickstart") < strstr(out, "compare-pos"));
    ck_assert_str_eq(err, "");
    g_free(out);
    g_free(err);

    /* --out: the overlay charts. */
    char *dir = out_dir("compare");
    rc = tu_chainsim(&out, &err, "compare", pow_db, pos_db, "--out", dir, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    expect_png(dir, "confirm_latency_cdf");
    expect_png(dir, "finality_latency_cdf");
    expect_dat(dir, "confirm_latency-run1");
    expect_dat(dir, "confirm_latency-run2");
    char *gp = NULL;
    char *p = g_build_filename(dir, "confirm_latency_cdf.gp", NULL);
    ck_assert(g_file_get_contents(p, &gp, NULL, NULL));
    /* Two scenarios that differ in many parameters: named by scenario. */
    ck_assert_contains(gp, "title 'quickstart, ");
    ck_assert_contains(gp, "title 'compare-pos, ");
    g_free(gp);
    g_free(p);
    g_free(out);
    g_free(err);
    g_free(dir);
}
END_TEST

/* Runs `chainsim cmd args...` and asserts exit 2 with a message that
 * mentions `mention` and the command. */
static void expect_bad(const char *cmd, const char *mention, const char *a1, const char *a2, const char *a3)
{
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, cmd, a1, a2, a3, NULL);
    ck_assert_msg(rc == 2, "%s %s %s %s: exit %d\n%s%s", cmd, a1 ? a1 : "", a2 ? a2 : "", a3 ? a3 : "", rc, out,
                  err);
    char *prefix = g_strdup_printf("chainsim %s", cmd);
    ck_assert_contains(err, prefix);
    ck_assert_contains(err, mention);
    g_free(prefix);
    g_free(out);
    g_free(err);
}

START_TEST(test_bad_input)
{
    char *dir = out_dir("bad");
    ck_assert_int_eq(g_mkdir_with_parents(dir, 0777), 0);
    char *missing = g_build_filename(dir, "missing.db", NULL);
    char *text = tu_write(dir, "notes.db", "these are notes, not a database\n");
    char *never = g_build_filename(dir, "never", NULL);

    expect_bad("plot", missing, missing, NULL, NULL);
    ck_assert(!g_file_test(missing, G_FILE_TEST_EXISTS));
    expect_bad("plot", text, text, NULL, NULL);
    expect_bad("plot", "no run 99", pow_db, "--run", "99");
    expect_bad("plot", "--run abc", pow_db, "--run", "abc");
    expect_bad("plot", "--format gif", pow_db, "--format", "gif");
    expect_bad("plot", "unknown option --bogus", pow_db, "--bogus", NULL);
    expect_bad("plot", "missing the results database", NULL, NULL, NULL);
    expect_bad("plot", "needs a value", pow_db, "--out", NULL);
    expect_bad("plot", "folder", dir, NULL, NULL);

    expect_bad("compare", "missing the results database", NULL, NULL, NULL);
    expect_bad("compare", missing, pow_db, missing, NULL);
    expect_bad("compare", text, text, pos_db, NULL);
    expect_bad("compare", "unknown option --bogus", pow_db, "--bogus", NULL);
    /* A bad database stops compare before anything is written. */
    char *out_never = g_strdup_printf("--out=%s", never);
    expect_bad("compare", missing, pow_db, missing, out_never);
    ck_assert(!g_file_test(never, G_FILE_TEST_EXISTS));

    /* --help succeeds. */
    char *out = NULL;
    ck_assert_int_eq(tu_chainsim(&out, NULL, "plot", "--help", NULL), 0);
    ck_assert_contains(out, "usage: chainsim plot DB [--run ID] [--window DURATION]");
    g_free(out);
    ck_assert_int_eq(tu_chainsim(&out, NULL, "compare", "--help", NULL), 0);
    ck_assert_contains(out, "usage: chainsim compare DB... [--run LIST] [--out DIR]");
    g_free(out);

    g_free(out_never);
    g_free(never);
    g_free(missing);
    g_free(text);
    g_free(dir);
}
END_TEST

/* The names in folder that start with '.', one a line (g_free). */
static char *hidden_names(const char *folder)
{
    GString *s = g_string_new(NULL);
    GDir *d = g_dir_open(folder, 0, NULL);
    ck_assert_ptr_nonnull(d);
    for (const char *n; (n = g_dir_read_name(d));)
        if (n[0] == '.')
            g_string_append_printf(s, "%s\n", n);
    g_dir_close(d);
    return g_string_free(s, FALSE);
}

/* A gnuplot that writes part of its image, then fails: the image a script
 * names (set output '...'), or the file given by -e chainsim_image='...'. */
static char *failing_gnuplot(const char *folder)
{
    return tu_write(folder, "half-gnuplot",
                    "#!/bin/sh\n"
                    "out=\n"
                    "if [ \"$1\" = -e ]; then\n"
                    "  out=$(printf '%s' \"$2\" | sed \"s/^chainsim_image='\\(.*\\)'$/\\1/\")\n"
                    "  shift 2\n"
                    "fi\n"
                    "[ -n \"$out\" ] || out=$(sed -n \"s/.*set output '\\([^']*\\)'.*/\\1/p\" \"$1\" | tail -n 1)\n"
                    "printf 'half an image' > \"$out\"\n"
                    "exit 1\n");
}

/* A failing gnuplot used to leave its half-drawn image in place of the
 * older one: the older image stays as it was. */
START_TEST(test_plot_failure_keeps_older_images)
{
    char *dir = out_dir("older");
    ck_assert_int_eq(g_mkdir_with_parents(dir, 0777), 0);
    char *older = tu_write(dir, "throughput.png", "the older image");
    char *fake = failing_gnuplot(dir);
    ck_assert_int_eq(g_chmod(fake, 0755), 0);
    g_setenv("CHAINSIM_GNUPLOT", fake, TRUE);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "plot", pow_db, "--out", dir, NULL);
    g_unsetenv("CHAINSIM_GNUPLOT");
    ck_assert_msg(rc == 1, "exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "failed");
    char *text = NULL;
    ck_assert(g_file_get_contents(older, &text, NULL, NULL));
    ck_assert_str_eq(text, "the older image");
    g_free(text);
    char *hidden = hidden_names(dir);
    ck_assert_str_eq(hidden, "");
    g_free(hidden);
    /* The data and scripts written before the failure are whole. */
    expect_dat(dir, "throughput");
    ck_assert(exists(dir, "throughput", "gp"));
    g_free(out);
    g_free(err);
    g_free(fake);
    g_free(older);
    g_free(dir);
}
END_TEST

/* The files plot and compare write may not be their input database. */
START_TEST(test_output_is_input)
{
    char *data = NULL;
    gsize len = 0;
    char *dir = out_dir("self");
    ck_assert_int_eq(g_mkdir_with_parents(dir, 0777), 0);
    ck_assert(g_file_get_contents(pow_db, &data, &len, NULL));
    char *self = g_build_filename(dir, "chain.dat", NULL); /* a database named like a data file */
    ck_assert(g_file_set_contents(self, data, (gssize)len, NULL));
    g_setenv("CHAINSIM_GNUPLOT", "", TRUE);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "plot", self, "--out", dir, NULL);
    ck_assert_msg(rc == 2, "plot: exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, self);
    ck_assert_contains(err, "the output cannot be an input");
    ck_assert_int_eq(tu_db_int(self, "SELECT count(*) FROM runs"), 1);
    g_free(out);
    g_free(err);

    char *other = g_build_filename(dir, "confirm_latency-run1.dat", NULL);
    ck_assert(g_file_set_contents(other, data, (gssize)len, NULL));
    rc = tu_chainsim(&out, &err, "compare", other, "--out", dir, NULL);
    g_unsetenv("CHAINSIM_GNUPLOT");
    ck_assert_msg(rc == 2, "compare: exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "the output cannot be an input");
    ck_assert_int_eq(tu_db_int(other, "SELECT count(*) FROM runs"), 1);
    g_free(out);
    g_free(err);
    g_free(other);
    g_free(self);
    g_free(data);
    g_free(dir);
}
END_TEST

/* The data rows of a .dat file: label (without quotes) and the numbers. */
typedef struct sweep_row {
    char label[32];
    double x, n, mean, sd, lo, hi;
} sweep_row_t;

static int read_sweep_rows(const char *path, sweep_row_t *rows, int max)
{
    char *data = NULL;
    ck_assert_msg(g_file_get_contents(path, &data, NULL, NULL), "no data file %s", path);
    ck_assert_contains(data, "\n# columns: value");
    char **lines = g_strsplit(data, "\n", -1);
    int n = 0;
    for (char **l = lines; *l; l++) {
        if (**l == '#' || **l == '\0')
            continue;
        ck_assert_int_lt(n, max);
        ck_assert_msg(**l == '"', "row without a quoted label: %s", *l);
        const char *close = strchr(*l + 1, '"');
        ck_assert_ptr_nonnull(close);
        g_strlcpy(rows[n].label, *l + 1, MIN(sizeof rows[n].label, (size_t)(close - *l)));
        char *rest = g_strstrip(g_strdup(close + 1));
        char **f = g_strsplit(rest, " ", -1);
        ck_assert_int_eq(g_strv_length(f), 6);
        double *dst[] = { &rows[n].x, &rows[n].n, &rows[n].mean, &rows[n].sd, &rows[n].lo, &rows[n].hi };
        for (int i = 0; i < 6; i++)
            *dst[i] = g_ascii_strtod(f[i], NULL);
        g_strfreev(f);
        g_free(rest);
        n++;
    }
    g_strfreev(lines);
    g_free(data);
    return n;
}

/* Mean of stale_rate over the runs with consensus.block_interval = value,
 * straight from the views. */
static double sweep_mean(const char *value)
{
    char *sql = g_strdup_printf("SELECT printf('%%.17g', avg(s.stale_rate)) FROM v_run_summary s"
                                " JOIN run_params p ON p.run_id = s.run_id"
                                " WHERE p.key = 'consensus.block_interval' AND p.value = '%s'",
                                value);
    char *text = tu_db_text(sweep_db, sql);
    double v = g_ascii_strtod(text, NULL);
    g_free(text);
    g_free(sql);
    return v;
}

START_TEST(test_plot_sweep)
{
    char *dir = out_dir("sweep");
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "plot", sweep_db, "--x", "consensus.block_interval", "--y", "stale_rate",
                         "--out", dir, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert_int_eq(tu_db_int(sweep_db, "SELECT count(*) FROM runs"), 4);

    char *dat = g_build_filename(dir, "stale_rate_vs_consensus.block_interval.dat", NULL);
    sweep_row_t rows[4];
    ck_assert_int_eq(read_sweep_rows(dat, rows, 4), 2);
    /* Numeric order (4s was run first), x in ns, two runs each. */
    ck_assert_str_eq(rows[0].label, "2s");
    ck_assert_str_eq(rows[1].label, "4s");
    ck_assert_double_eq_tol(rows[0].x, 2e9, 1e-3);
    ck_assert_double_eq_tol(rows[1].x, 4e9, 1e-3);
    for (int i = 0; i < 2; i++) {
        ck_assert_double_eq_tol(rows[i].n, 2, 1e-12);
        double want = sweep_mean(rows[i].label);
        ck_assert_msg(fabs(rows[i].mean - want) <= 1e-9, "%s: mean %.17g, want %.17g", rows[i].label, rows[i].mean,
                      want);
        /* The interval is symmetric around the mean, t(1) = 12.706 s / sqrt(2). */
        ck_assert(rows[i].lo <= rows[i].mean && rows[i].mean <= rows[i].hi);
        ck_assert_double_eq_tol(rows[i].hi - rows[i].mean, 12.7062 * rows[i].sd / sqrt(2.0), 1e-9);
    }

    /* The table on stdout. */
    ck_assert_contains(out, "stale_rate by consensus.block_interval");
    ck_assert_contains(out, "95 % CI");
    const char *r2 = strstr(out, "\n2s "), *r4 = strstr(out, "\n4s ");
    ck_assert_msg(r2 && r4 && r2 < r4, "table rows out of order:\n%s", out);

    /* The script: error bars, the values as written on the x axis, labels. */
    char *gp = NULL;
    char *p = g_build_filename(dir, "stale_rate_vs_consensus.block_interval.gp", NULL);
    ck_assert(g_file_get_contents(p, &gp, NULL, NULL));
    ck_assert_contains(gp, "with yerrorlines");
    ck_assert_contains(gp, "xticlabels(1)");
    ck_assert_contains(gp, "set xlabel 'consensus.block_interval'");
    ck_assert_contains(gp, "set ylabel 'stale rate (fraction of blocks)'");
    char *gnuplot = g_find_program_in_path("gnuplot");
    if (gnuplot)
        expect_png(dir, "stale_rate_vs_consensus.block_interval");
    g_free(gnuplot);
    g_free(gp);
    g_free(p);
    g_free(out);
    g_free(err);

    /* Without gnuplot: data and script only. */
    char *dir2 = out_dir("sweep-nognuplot");
    g_setenv("CHAINSIM_GNUPLOT", "", TRUE);
    rc = tu_chainsim(&out, &err, "plot", sweep_db, "--x", "consensus.block_interval", "--y", "tps", "--out", dir2,
                     NULL);
    g_unsetenv("CHAINSIM_GNUPLOT");
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert(exists(dir2, "tps_vs_consensus.block_interval", "dat"));
    ck_assert(exists(dir2, "tps_vs_consensus.block_interval", "gp"));
    ck_assert(!exists(dir2, "tps_vs_consensus.block_interval", "png"));
    g_free(out);
    g_free(err);

    /* Bad use: exit 2. */
    expect_bad("plot", "stale_rate", sweep_db, "--x=consensus.block_interval", "--y=scenario_name");
    expect_bad("plot", "go together", sweep_db, "--x", "consensus.block_interval");
    expect_bad("plot", "go together", sweep_db, "--y", "tps");
    expect_bad("plot", "no run has the parameter network.bogus", sweep_db, "--x=network.bogus", "--y=tps");
    rc = tu_chainsim(&out, &err, "plot", sweep_db, "--x=consensus.block_interval", "--y=tps", "--run=1", NULL);
    ck_assert_msg(rc == 2, "--x/--y with --run: exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "--run");
    g_free(out);
    g_free(err);
    g_free(dir2);
    g_free(dat);
    g_free(dir);
}
END_TEST

/* A copy of the sweep database at name in the fixture folder, with sql run
 * on it (g_free). */
static char *sweep_copy(const char *name, const char *sql)
{
    char *data = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(sweep_db, &data, &len, NULL));
    char *path = out_dir(name);
    ck_assert(g_file_set_contents(path, data, (gssize)len, NULL));
    g_free(data);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char *msg = NULL;
    ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK, "%s", msg);
    sqlite3_close(h);
    return path;
}

/* stale_rate of one run of the sweep database. */
static double run_stale_rate(const char *db, int64_t run_id)
{
    char *sql = g_strdup_printf("SELECT printf('%%.17g', stale_rate) FROM v_run_summary WHERE run_id = %d",
                                (int)run_id);
    char *text = tu_db_text(db, sql);
    double v = g_ascii_strtod(text, NULL);
    g_free(text);
    g_free(sql);
    return v;
}

/* plot --x/--y used to average interrupted runs into the means: only
 * complete runs count unless --include-incomplete, and a note says so. */
START_TEST(test_plot_sweep_incomplete_runs)
{
    /* Run 3 is block_interval 2s, seed 1 (the fixture ran 4s first). */
    char *db = sweep_copy("sweep-interrupted.db",
                          "UPDATE runs SET status = 'interrupted', error = 'stopped by a signal' WHERE run_id = 3");
    char *value = tu_db_text(db, "SELECT value FROM run_params WHERE run_id = 3 AND key = 'consensus.block_interval'");
    ck_assert_str_eq(value, "2s");
    g_free(value);
    char *dir = out_dir("sweep-interrupted");
    char *dat = g_build_filename(dir, "stale_rate_vs_consensus.block_interval.dat", NULL);
    g_setenv("CHAINSIM_GNUPLOT", "", TRUE);

    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "plot", db, "--x", "consensus.block_interval", "--y", "stale_rate", "--out",
                         dir, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "chainsim plot: note: 1 of the 4 runs with consensus.block_interval left out");
    ck_assert_contains(err, "(1 interrupted)");
    ck_assert_contains(err, "--include-incomplete");
    ck_assert_contains(out, "(3 runs)");
    sweep_row_t rows[4];
    ck_assert_int_eq(read_sweep_rows(dat, rows, 4), 2);
    ck_assert_str_eq(rows[0].label, "2s");
    ck_assert_double_eq_tol(rows[0].n, 1, 1e-12);
    ck_assert_double_eq_tol(rows[0].mean, run_stale_rate(db, 4), 1e-12);
    ck_assert_double_eq_tol(rows[1].n, 2, 1e-12);
    char *text = NULL;
    ck_assert(g_file_get_contents(dat, &text, NULL, NULL));
    ck_assert_contains(text, "# left out: 1 run that did not complete (1 interrupted)");
    g_free(text);
    g_free(out);
    g_free(err);

    /* --include-incomplete: all four, and the note says so. */
    rc = tu_chainsim(&out, &err, "plot", db, "--x", "consensus.block_interval", "--y", "stale_rate", "--out", dir,
                     "--include-incomplete", NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "the means include 1 run that did not complete (1 interrupted)");
    ck_assert_int_eq(read_sweep_rows(dat, rows, 4), 2);
    ck_assert_double_eq_tol(rows[0].n, 2, 1e-12);
    ck_assert_double_eq_tol(rows[0].mean, sweep_mean("2s"), 1e-9);
    char *gp_path = g_build_filename(dir, "stale_rate_vs_consensus.block_interval.gp", NULL);
    ck_assert(g_file_get_contents(gp_path, &text, NULL, NULL));
    ck_assert_contains(text, "4 runs, 1 of them not complete");
    g_free(text);
    g_free(gp_path);
    g_free(out);
    g_free(err);

    /* No complete run at all: nothing to plot, and why. */
    char *none = sweep_copy("sweep-none.db", "UPDATE runs SET status = 'interrupted'");
    rc = tu_chainsim(&out, &err, "plot", none, "--x", "consensus.block_interval", "--y", "tps", "--out", dir, NULL);
    ck_assert_msg(rc == 2, "exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "no complete run has the parameter consensus.block_interval");
    ck_assert_contains(err, "(4 interrupted)");
    g_free(out);
    g_free(err);
    expect_bad("plot", "--include-incomplete goes with --x/--y", db, "--include-incomplete", NULL);
    g_unsetenv("CHAINSIM_GNUPLOT");
    g_free(none);
    g_free(dat);
    g_free(dir);
    g_free(db);
}
END_TEST

/* compare and plot show the status of a run that did not complete. */
START_TEST(test_status_shown)
{
    char *sql = g_strdup_printf("UPDATE runs SET status = 'interrupted', error = 'stopped by a signal'"
                                " WHERE run_id = 3;"
                                "UPDATE runs SET status = 'running', pid = 2147483646, host = '%s' WHERE run_id = 2;"
                                "UPDATE runs SET pid = 1, host = '%s' WHERE run_id IN (1, 4)",
                                g_get_host_name(), g_get_host_name());
    char *db = sweep_copy("sweep-status.db", sql);
    g_free(sql);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "compare", db, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    const char *line = strstr(out, "\nstatus ");
    ck_assert_msg(line != NULL, "no status line:\n%s", out);
    char *status = g_strndup(line + 1, strcspn(line + 1, "\n"));
    const char *c1 = strstr(status, "complete"), *c2 = strstr(status, "abandoned (pid 2147483646 is gone)"),
               *c3 = strstr(status, "interrupted"), *c4 = c3 ? strstr(c3, "complete") : NULL;
    ck_assert_msg(c1 && c2 && c3 && c4 && c1 < c2 && c2 < c3, "status line: %s", status);
    ck_assert_contains(err, "2 of the 4 runs are not complete");
    g_free(status);
    g_free(out);
    g_free(err);

    /* The charts of one run say it in their titles. */
    char *dir = out_dir("plot-interrupted");
    g_setenv("CHAINSIM_GNUPLOT", "", TRUE);
    rc = tu_chainsim(&out, &err, "plot", db, "--run", "3", "--out", dir, NULL);
    g_unsetenv("CHAINSIM_GNUPLOT");
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "chainsim plot: note: run 3 is not complete (interrupted: stopped by a signal)");
    char *gp = NULL, *p = g_build_filename(dir, "chain.gp", NULL);
    ck_assert(g_file_get_contents(p, &gp, NULL, NULL));
    ck_assert_contains(gp, "(seed 1, run 3, interrupted): ");
    g_free(gp);
    g_free(p);
    g_free(out);
    g_free(err);
    g_free(dir);
    g_free(db);
}
END_TEST

/* plot --x used to average silently over any other parameter that differs
 * between the runs: it refuses, naming it, and --series draws one curve per
 * value (legends naming the value) or --pool pools on purpose. Runs 1 and
 * 3 (seed 1 of each interval) get another relay.tx_interval here. */
START_TEST(test_plot_sweep_refuses_to_pool)
{
    char *db = sweep_copy("two-params.db",
                          "UPDATE run_params SET value = '1s' WHERE key = 'relay.tx_interval' AND run_id IN (1, 3)");
    char *dir = out_dir("pool");
    char *out = NULL, *err = NULL;
    g_setenv("CHAINSIM_GNUPLOT", "", TRUE);
    int rc = tu_chainsim(&out, &err, "plot", db, "--x", "consensus.block_interval", "--y", "stale_rate", "--out", dir,
                         NULL);
    ck_assert_msg(rc == 2, "exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "differ in relay.tx_interval as well as in consensus.block_interval");
    ck_assert_contains(err, "--series relay.tx_interval");
    ck_assert(!exists(dir, "stale_rate_vs_consensus.block_interval", "dat"));
    g_free(out);
    g_free(err);

    /* --series: one block and one curve per value, the legend names it. */
    rc = tu_chainsim(&out, &err, "plot", db, "--x", "consensus.block_interval", "--y", "stale_rate,tps", "--series",
                     "relay.tx_interval", "--out", dir, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    char *gp = NULL, *p = g_build_filename(dir, "stale_rate_vs_consensus.block_interval_by_relay.tx_interval.gp", NULL);
    ck_assert(g_file_get_contents(p, &gp, NULL, NULL));
    ck_assert_contains(gp, "index 0 using 2:4");
    ck_assert_contains(gp, "title 'tx_interval=1s'");
    ck_assert_contains(gp, "title 'tx_interval=250ms'");
    ck_assert_contains(gp, "dt 2"); /* distinct dash patterns */
    ck_assert_contains(gp, "set yrange [0:*]"); /* non-negative: from zero */
    ck_assert_contains(gp, "set ylabel 'stale rate (fraction of blocks)'");
    ck_assert_contains(gp, "noopaque");
    ck_assert(exists(dir, "tps_vs_consensus.block_interval_by_relay.tx_interval", "gp")); /* two metrics */
    g_free(gp);
    g_free(p);
    g_free(out);
    g_free(err);

    /* --pool averages on purpose, with a note; --label and --title. */
    rc = tu_chainsim(&out, &err, "plot", db, "--x", "consensus.block_interval", "--y", "stale_rate", "--pool",
                     "--title", "Stale rate", "--out", dir, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert_contains(err, "pool runs that differ in relay.tx_interval (--pool)");
    p = g_build_filename(dir, "stale_rate_vs_consensus.block_interval.gp", NULL);
    ck_assert(g_file_get_contents(p, &gp, NULL, NULL));
    ck_assert_contains(gp, "set title 'Stale rate'\n");
    g_free(gp);
    g_free(out);
    g_free(err);
    rc = tu_chainsim(&out, &err, "plot", db, "--x", "consensus.block_interval", "--y", "stale_rate", "--series",
                     "relay.tx_interval", "--label", "slow relay", "--no-title", "--out", dir, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    g_free(p);
    p = g_build_filename(dir, "stale_rate_vs_consensus.block_interval_by_relay.tx_interval.gp", NULL);
    ck_assert(g_file_get_contents(p, &gp, NULL, NULL));
    ck_assert_contains(gp, "title 'slow relay'");
    ck_assert(strstr(gp, "set title") == NULL);
    g_unsetenv("CHAINSIM_GNUPLOT");
    g_free(gp);
    g_free(p);
    g_free(out);
    g_free(err);
    g_free(dir);
    g_free(db);
}
END_TEST

/* The throughput chart's window follows the block interval (10 intervals,
 * at least 10 s: 30 s for the 3 s quick start), --window sets it, and the
 * offered load (workload.tx_rate) is drawn. */
START_TEST(test_plot_throughput_window)
{
    char *dir = out_dir("window");
    char *out = NULL, *err = NULL;
    g_setenv("CHAINSIM_GNUPLOT", "", TRUE);
    int rc = tu_chainsim(&out, &err, "plot", pow_db, "--out", dir, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    char *gp = NULL, *p = g_build_filename(dir, "throughput.gp", NULL);
    ck_assert(g_file_get_contents(p, &gp, NULL, NULL));
    ck_assert_contains(gp, "window_s = 30 ");
    ck_assert_contains(gp, "offered = 10 ");
    ck_assert_contains(gp, "offered with lines");
    g_free(gp);
    char *dat = NULL, *d = g_build_filename(dir, "throughput.dat", NULL);
    ck_assert(g_file_get_contents(d, &dat, NULL, NULL));
    ck_assert_contains(dat, "per 30 s window");
    ck_assert_contains(dat, "\n30 "); /* the second window starts at 30 s */
    g_free(dat);
    g_free(out);
    g_free(err);
    rc = tu_chainsim(&out, &err, "plot", pow_db, "--out", dir, "--window", "15s", NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert(g_file_get_contents(p, &gp, NULL, NULL));
    ck_assert_contains(gp, "window_s = 15 ");
    /* Every confirmation is in one window. */
    ck_assert(g_file_get_contents(d, &dat, NULL, NULL));
    int64_t sum = 0;
    char **lines = g_strsplit(dat, "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l && **l != '#')
            sum += g_ascii_strtoll(strchr(*l, ' ') + 1, NULL, 10);
    g_strfreev(lines);
    ck_assert_int_eq(sum, tu_db_int(pow_db, "SELECT count(*) FROM txs WHERE confirmed_ns IS NOT NULL"));
    g_unsetenv("CHAINSIM_GNUPLOT");
    g_free(dat);
    g_free(gp);
    g_free(out);
    g_free(err);
    expect_bad("plot", "--window 0s", pow_db, "--window", "0s");
    g_free(d);
    g_free(p);
    g_free(dir);
}
END_TEST

static Suite *plot_suite(void)
{
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("commands");
    tcase_add_unchecked_fixture(tc, make_runs, remove_runs);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_plot_png);
    tcase_add_test(tc, test_plot_default_dir_and_skip);
    tcase_add_test(tc, test_plot_without_gnuplot);
    tcase_add_test(tc, test_plot_gnuplot_fails);
    tcase_add_test(tc, test_plot_svg);
    tcase_add_test(tc, test_compare);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_plot_sweep);
    tcase_add_test(tc, test_plot_failure_keeps_older_images);
    tcase_add_test(tc, test_output_is_input);
    tcase_add_test(tc, test_plot_sweep_incomplete_runs);
    tcase_add_test(tc, test_status_shown);
    tcase_add_test(tc, test_plot_sweep_refuses_to_pool);
    tcase_add_test(tc, test_plot_throughput_window);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    Suite *s = plot_suite();
    return tu_run_suite(s);
}
