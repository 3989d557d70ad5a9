/*
 * check_compare.c - `chainsim compare --group-by`: means and 95 % confidence
 * intervals over seeds, the table formats, the --run filter, the refusal to
 * pool over a parameter left out of the grouping, and legends named by what
 * differs between the runs.
 *
 * One database is made once with the binary: the quick start, shrunk, over a
 * two-parameter grid (consensus.block_interval 4s, 2s; workload.tx_rate 2/s,
 * 1/s) and two seeds, eight runs in grid order (interval outer, rate inner,
 * seed innermost), as `chainsim sweep` would merge them. Every mean printed
 * is checked against SQLite's avg() over the same runs.
 */
#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

#define ck_assert_contains(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "missing <%s> in:\n%s", (needle), (hay))

static char *fixture_dir;
static char *grid_db;

static void make_grid(void)
{
    fixture_dir = g_dir_make_tmp("chainsim-compare-XXXXXX", NULL);
    ck_assert_ptr_nonnull(fixture_dir);
    grid_db = g_build_filename(fixture_dir, "grid.db", NULL);
    char *quick = tu_source("scenarios/quickstart.ini");
    static const char *const intervals[] = { "consensus.block_interval=4s", "consensus.block_interval=2s" };
    static const char *const rates[] = { "workload.tx_rate=2/s", "workload.tx_rate=1/s" };
    for (size_t i = 0; i < G_N_ELEMENTS(intervals); i++)
        for (size_t r = 0; r < G_N_ELEMENTS(rates); r++)
            for (int seed = 1; seed <= 2; seed++) {
                char *out = NULL, *err = NULL;
                int rc = tu_chainsim(&out, &err, "run", quick, "--out", grid_db, "--set", "network.nodes=20", "--set",
                                     "scenario.duration=40s", "--set", intervals[i], "--set", rates[r], "--seed",
                                     seed == 1 ? "1" : "2", "--quiet", NULL);
                ck_assert_msg(rc == 0, "run %s %s: exit %d\n%s", intervals[i], rates[r], rc, err);
                g_free(out);
                g_free(err);
            }
    g_free(quick);
}

static void remove_grid(void)
{
    char *cmd = g_strdup_printf("rm -rf '%s'", fixture_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fixture_dir);
    g_free(cmd);
    g_free(fixture_dir);
    g_free(grid_db);
}

/* Runs compare with args (NULL-terminated), asserts exit status want, and
 * returns stdout (g_free); *err gets stderr when err is not NULL. */
static char *compare(int want, char **err, ...)
{
    const char *argv[24] = { "compare", grid_db };
    int n = 2;
    va_list ap;
    va_start(ap, err);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 23)
        argv[n++] = a;
    va_end(ap);
    char *out = NULL, *e = NULL;
    int rc = tu_chainsim(&out, &e, argv[0], argv[1], n > 2 ? argv[2] : NULL, n > 3 ? argv[3] : NULL,
                         n > 4 ? argv[4] : NULL, n > 5 ? argv[5] : NULL, n > 6 ? argv[6] : NULL,
                         n > 7 ? argv[7] : NULL, n > 8 ? argv[8] : NULL, n > 9 ? argv[9] : NULL,
                         n > 10 ? argv[10] : NULL, NULL);
    ck_assert_msg(rc == want, "compare: exit %d, want %d\n%s%s", rc, want, out, e);
    if (err)
        *err = e;
    else
        g_free(e);
    return out;
}

/* avg(metric) over the runs with the two parameter values, from SQL. */
static double sql_mean(const char *metric, const char *interval, const char *rate)
{
    char *sql = g_strdup_printf("SELECT printf('%%.17g', avg(s.%s)) FROM v_run_summary s"
                                " JOIN run_params a ON a.run_id = s.run_id AND a.key = 'consensus.block_interval'"
                                " JOIN run_params b ON b.run_id = s.run_id AND b.key = 'workload.tx_rate'"
                                " WHERE a.value = '%s' AND b.value = '%s'",
                                metric, interval, rate);
    char *text = tu_db_text(grid_db, sql);
    double v = g_ascii_strtod(text, NULL);
    g_free(text);
    g_free(sql);
    return v;
}

static const char *const metrics[] = { "tps", "stale_rate", "confirm_latency_p50_s", "reorgs" };

/* The means of --group-by are the averages SQL computes over the same runs;
 * the interval is the mean +- t(n-1) sd / sqrt(n). CSV: one row per group,
 * per metric n, mean, sd, ci_low, ci_high. */
START_TEST(test_group_means_equal_sql)
{
    char *out = compare(0, NULL, "--group-by", "consensus.block_interval,workload.tx_rate", "--metrics",
                        "tps,stale_rate,confirm_latency_p50_s,reorgs", "--format", "csv", NULL);
    char **lines = g_strsplit(out, "\n", -1);
    ck_assert_str_eq(lines[0], "consensus.block_interval,workload.tx_rate,runs,tps_n,tps_mean,tps_sd,tps_ci_low,"
                               "tps_ci_high,stale_rate_n,stale_rate_mean,stale_rate_sd,stale_rate_ci_low,"
                               "stale_rate_ci_high,confirm_latency_p50_s_n,confirm_latency_p50_s_mean,"
                               "confirm_latency_p50_s_sd,confirm_latency_p50_s_ci_low,confirm_latency_p50_s_ci_high,"
                               "reorgs_n,reorgs_mean,reorgs_sd,reorgs_ci_low,reorgs_ci_high");
    /* Numeric order of both parameters, whatever order the runs had. */
    static const char *const order[][2] = { { "2s", "1/s" }, { "2s", "2/s" }, { "4s", "1/s" }, { "4s", "2/s" } };
    ck_assert_uint_eq(g_strv_length(lines), 1 + 4 + 1); /* header, 4 groups, "" */
    for (int g = 0; g < 4; g++) {
        char **f = g_strsplit(lines[1 + g], ",", -1);
        ck_assert_uint_eq(g_strv_length(f), 3 + 5 * G_N_ELEMENTS(metrics));
        ck_assert_str_eq(f[0], order[g][0]);
        ck_assert_str_eq(f[1], order[g][1]);
        ck_assert_str_eq(f[2], "2"); /* two seeds */
        for (size_t m = 0; m < G_N_ELEMENTS(metrics); m++) {
            char **v = f + 3 + 5 * m;
            double want = sql_mean(metrics[m], order[g][0], order[g][1]);
            double mean = g_ascii_strtod(v[1], NULL), sd = g_ascii_strtod(v[2], NULL);
            ck_assert_str_eq(v[0], "2");
            ck_assert_msg(fabs(mean - want) <= 1e-12 * MAX(1.0, fabs(want)), "%s %s/%s: mean %s, SQL %.17g",
                          metrics[m], order[g][0], order[g][1], v[1], want);
            double lo = g_ascii_strtod(v[3], NULL), hi = g_ascii_strtod(v[4], NULL);
            ck_assert_double_eq_tol(hi - mean, 12.7062 * sd / sqrt(2.0), 1e-9 * MAX(1.0, fabs(hi)));
            ck_assert_double_eq_tol(mean - lo, hi - mean, 1e-9 * MAX(1.0, fabs(hi)));
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(out);

    /* JSON gives the same mean. */
    out = compare(0, NULL, "--group-by", "consensus.block_interval,workload.tx_rate", "--metrics", "tps", "--format",
                  "json", NULL);
    ck_assert_msg(g_str_has_prefix(out, "[\n  {\"group\": {\"consensus.block_interval\": \"2s\", \"workload.tx_rate\":"
                                        " \"1/s\"}, \"runs\": 2, \"metrics\": {\"tps\": {\"n\": 2, \"mean\": "),
                  "%s", out);
    const char *at = strstr(out, "\"mean\": ") + strlen("\"mean\": ");
    ck_assert_double_eq_tol(g_ascii_strtod(at, NULL), sql_mean("tps", "2s", "1/s"), 1e-12);
    ck_assert(g_str_has_suffix(out, "}}\n]\n"));
    g_free(out);
}
END_TEST

/* A group may not silently mix runs that differ in a parameter left out of
 * --group-by (the seed aside): refused, naming it, unless --pool. */
START_TEST(test_group_refuses_to_pool)
{
    char *err = NULL;
    char *out = compare(2, &err, "--group-by", "consensus.block_interval", NULL);
    ck_assert_str_eq(out, "");
    ck_assert_contains(err, "would pool runs that differ in workload.tx_rate");
    ck_assert_contains(err, "--pool");
    g_free(out);
    g_free(err);
    out = compare(0, &err, "--group-by", "consensus.block_interval", "--pool", "--metrics", "tps", "--format", "csv",
                  NULL);
    ck_assert_contains(err, "pool runs that differ in workload.tx_rate (--pool)");
    ck_assert_contains(out, "\n2s,4,4,"); /* 2 rates x 2 seeds */
    g_free(out);
    g_free(err);
    /* --run picks one slice instead: runs 1-4 have the interval 4s. */
    out = compare(0, NULL, "--group-by", "workload.tx_rate", "--run", "1-4", "--metrics", "tps", "--format", "csv",
                  NULL);
    ck_assert_contains(out, "\n1/s,2,2,");
    ck_assert_contains(out, "\n2/s,2,2,");
    g_free(out);
}
END_TEST

/* Table, LaTeX, the ungrouped rows, --run, and bad input. */
START_TEST(test_group_formats)
{
    char *out = compare(0, NULL, "--group-by", "consensus.block_interval,workload.tx_rate", NULL);
    ck_assert_contains(out, "mean and 95 % confidence interval");
    ck_assert_contains(out, "consensus.block_interval");
    ck_assert_contains(out, "\u00b1");
    ck_assert_contains(out, "throughput (confirmed) (tx/s)");
    ck_assert_contains(out, "confirmed share of transactions");
    g_free(out);

    out = compare(0, NULL, "--group-by", "consensus.block_interval,workload.tx_rate", "--metrics",
                  "tps,confirm_latency_p50_s", "--format", "latex", NULL);
    ck_assert_contains(out, "\\begin{tabular}{llrrr}");
    ck_assert_contains(out, "\\toprule\nconsensus.block\\_interval & workload.tx\\_rate & runs &");
    ck_assert_contains(out, " \\pm ");
    ck_assert_contains(out, "\n2s & 1/s & 2 & $");
    ck_assert_contains(out, "\\bottomrule\n\\end{tabular}\n");
    g_free(out);

    /* Without --group-by, a machine format is one row per run; --run filters. */
    out = compare(0, NULL, "--run", "2,5-6", "--metrics", "tps", "--format", "csv", NULL);
    char **lines = g_strsplit(out, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 1 + 3 + 1);
    ck_assert(g_str_has_prefix(lines[0], "database,run,scenario,seed,runs,tps_n,tps_mean"));
    ck_assert(g_str_has_prefix(lines[1], "grid.db,2,quickstart,2,1,1,"));
    ck_assert(g_str_has_prefix(lines[2], "grid.db,5,quickstart,1,1,1,"));
    ck_assert(g_str_has_prefix(lines[3], "grid.db,6,quickstart,2,1,1,"));
    g_strfreev(lines);
    g_free(out);
    out = compare(0, NULL, "--run", "3", NULL); /* the side-by-side table, one run */
    ck_assert_contains(out, "run 3");
    ck_assert(strstr(out, "run 4") == NULL);
    g_free(out);

    char *err = NULL;
    out = compare(2, &err, "--group-by", "network.bogus", NULL);
    ck_assert_contains(err, "--group-by network.bogus: no run has this parameter; parameters that differ between the"
                            " runs: consensus.block_interval, workload.tx_rate");
    g_free(out);
    g_free(err);
    out = compare(2, &err, "--run", "0", NULL);
    ck_assert_contains(err, "--run 0: expected run ids");
    g_free(out);
    g_free(err);
    out = compare(2, &err, "--run", "90-99", NULL);
    ck_assert_contains(err, "no run matches --run");
    g_free(out);
    g_free(err);
    out = compare(2, &err, "--format", "docx", NULL);
    ck_assert_contains(err, "table, csv, json or latex");
    g_free(out);
    g_free(err);
    out = compare(2, &err, "--group-by", "workload.tx_rate", "--metrics", "tps,bogus", "--pool", NULL);
    ck_assert_contains(err, "--metrics bogus");
    g_free(out);
    g_free(err);
}
END_TEST

/* The overlay legends name what differs between the runs (the swept values,
 * the seed), not the scenario and the database file. */
START_TEST(test_legends_name_what_differs)
{
    char *dir = g_build_filename(fixture_dir, "legends", NULL);
    g_setenv("CHAINSIM_GNUPLOT", "", TRUE);
    char *out = compare(0, NULL, "--run", "1,3,5", "--out", dir, NULL);
    g_unsetenv("CHAINSIM_GNUPLOT");
    char *gp = NULL, *path = g_build_filename(dir, "confirm_latency_cdf.gp", NULL);
    ck_assert(g_file_get_contents(path, &gp, NULL, NULL));
    /* Runs 1, 3, 5 are seed 1 of (4s, 2/s), (4s, 1/s), (2s, 2/s). */
    ck_assert_contains(gp, "title 'block_interval=4s, tx_rate=2/s, ");
    ck_assert_contains(gp, "title 'block_interval=4s, tx_rate=1/s, ");
    ck_assert_contains(gp, "title 'block_interval=2s, tx_rate=2/s, ");
    ck_assert(strstr(gp, "title 'quickstart run") == NULL);
    g_free(gp);
    g_free(path);
    g_free(out);
    g_free(dir);
}
END_TEST

static Suite *compare_suite(void)
{
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("group-by");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, make_grid, remove_grid);
    tcase_add_test(tc, test_group_means_equal_sql);
    tcase_add_test(tc, test_group_refuses_to_pool);
    tcase_add_test(tc, test_group_formats);
    tcase_add_test(tc, test_legends_name_what_differs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(compare_suite());
}
