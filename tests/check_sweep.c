/*
 * check_sweep.c - `chainsim sweep` (analysis/sweep.c).
 *
 * A small quick-start network (30 nodes, 40 s, 2 tx/s) swept over
 * consensus.block_interval = 2s,4s and seeds 1..2, two runs at a time: four
 * runs, merged into one database with their grid values in run_params.
 * Running the sweep again after deleting one per-run database re-runs only
 * that one and leaves the merged database with the same four runs (same
 * digests: the runs are deterministic). An invalid grid value stops the sweep
 * before anything is written; bad usage exits 2; --emit-jobs writes one
 * command per run.
 *
 * These tests run the real binary (CHAINSIM_BINARY) through tu_chainsim().
 * The failure test calls sweep_main() in-process with a fake chainsim: a
 * shell script that fails `run --seed 2` and execs the real binary for
 * everything else.
 */
#include <check.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/sweep.h"
#include "tests/testutil.h"

#define SMALL "network.nodes=30", "--set", "scenario.duration=40s", "--set", "workload.tx_rate=2/s"

/* Runs `chainsim sweep` on the quick start with the small settings, the
 * grid given and seeds 1..2, two at a time, into db. */
static int sweep(const char *grid, const char *db, char **out, char **err)
{
    char *scen = tu_source("scenarios/quickstart.ini");
    int rc = tu_chainsim(out, err, "sweep", scen, "--set", SMALL, "--grid", grid, "--seeds", "1..2", "-j", "2",
                         "--out", db, NULL);
    g_free(scen);
    return rc;
}

START_TEST(test_sweep_grid_seeds_resume)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "sweep.db", NULL);
    char *out = NULL, *err = NULL;
    int rc = sweep("consensus.block_interval=2s,4s", db, &out, &err);
    ck_assert_msg(rc == 0, "sweep exited %d\n%s%s", rc, out, err);
    ck_assert_ptr_nonnull(strstr(out, "4 complete, 0 skipped"));
    g_free(out);
    g_free(err);

    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs"), 4);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs WHERE status = 'complete'"), 4);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(DISTINCT digest) FROM runs"), 4);
    char *grid = tu_db_dump(db, "SELECT seed, value FROM runs JOIN run_params USING (run_id) "
                                "WHERE key = 'consensus.block_interval' ORDER BY value, seed");
    ck_assert_str_eq(grid, "1|2s\n2|2s\n1|4s\n2|4s\n");
    g_free(grid);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM run_params WHERE key = 'network.nodes' AND value = '30'"),
                     4);
    /* The rows of the other tables came along with their runs. */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(DISTINCT run_id) FROM blocks"), 4);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM blocks WHERE run_id NOT IN (SELECT run_id FROM runs)"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM v_run_summary WHERE blocks_total > 0"), 4);
    char *digests = tu_db_dump(db, "SELECT command, digest FROM runs ORDER BY command");

    char *runs = g_build_filename(dir, "sweep.runs", NULL);
    char *one = g_build_filename(runs, "run-0001-seed-2.db", NULL);
    ck_assert_msg(g_file_test(one, G_FILE_TEST_EXISTS), "no per-run database %s", one);
    ck_assert_int_eq(tu_db_int(one, "SELECT count(*) FROM runs WHERE status = 'complete'"), 1);
    char *params = tu_db_dump(one, "SELECT value FROM run_params WHERE key IN ('consensus.block_interval', "
                                   "'scenario.seed') ORDER BY key");
    ck_assert_str_eq(params, "4s\n2\n");
    g_free(params);

    /* Resume: only the deleted run is done again; no duplicate in the merge. */
    ck_assert_int_eq(g_unlink(one), 0);
    rc = sweep("consensus.block_interval=2s,4s", db, &out, &err);
    ck_assert_msg(rc == 0, "sweep exited %d\n%s%s", rc, out, err);
    ck_assert_msg(strstr(out, "1 complete, 3 skipped (already complete), 0 failed"), "summary:\n%s", out);
    ck_assert(g_file_test(one, G_FILE_TEST_EXISTS));
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs"), 4);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(DISTINCT run_id) FROM blocks"), 4);
    char *again = tu_db_dump(db, "SELECT command, digest FROM runs ORDER BY command");
    ck_assert_str_eq(again, digests);
    g_free(out);
    g_free(err);

    /* A third sweep runs nothing and still leaves four runs. */
    rc = sweep("consensus.block_interval=2s,4s", db, &out, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "0 complete, 4 skipped"));
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs"), 4);
    g_free(out);
    g_free(err);

    g_free(again);
    g_free(digests);
    g_free(one);
    g_free(runs);
    g_free(db);
    g_free(dir);
}
END_TEST

START_TEST(test_sweep_bad_grid_value)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "bad.db", NULL);
    char *runs = g_build_filename(dir, "bad.runs", NULL);
    char *err = NULL;
    int rc = sweep("consensus.block_interval=2s,fast", db, NULL, &err);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(err, "consensus.block_interval=fast") && strstr(err, "nothing was run"), "stderr:\n%s", err);
    ck_assert(!g_file_test(db, G_FILE_TEST_EXISTS));
    ck_assert(!g_file_test(runs, G_FILE_TEST_EXISTS));
    g_free(err);
    g_free(runs);
    g_free(db);
    g_free(dir);
}
END_TEST

START_TEST(test_sweep_usage)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "u.db", NULL);
    char *scen = tu_source("scenarios/quickstart.ini");
    char *err = NULL;
    /* Missing --seeds. */
    ck_assert_int_eq(tu_chainsim(NULL, &err, "sweep", scen, "--grid", "network.nodes=10,20", "--out", db, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "--seeds"));
    g_free(err);
    /* Malformed grids and seed ranges, a bad -j, a missing --out. */
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "sweep", scen, "--grid", "network.nodes", "--seeds", "1..2", "--out", db,
                                 NULL), 2);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "sweep", scen, "--grid", "network.nodes=10,,20", "--seeds", "1..2",
                                 "--out", db, NULL), 2);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "sweep", scen, "--grid", "network.nodes=10", "--seeds", "3..1", "--out",
                                 db, NULL), 2);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "sweep", scen, "--grid", "network.nodes=10", "--seeds", "1-3", "--out",
                                 db, NULL), 2);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "sweep", scen, "--grid", "network.nodes=10", "--seeds", "1..2", "-j",
                                 "0", "--out", db, NULL), 2);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "sweep", scen, "--grid", "network.nodes=10", "--seeds", "1..2", NULL),
                     2);
    ck_assert(!g_file_test(db, G_FILE_TEST_EXISTS));
    char *out = NULL;
    ck_assert_int_eq(tu_chainsim(&out, NULL, "sweep", "--help", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: chainsim sweep"));
    g_free(out);
    g_free(scen);
    g_free(db);
    g_free(dir);
}
END_TEST

/* Grid values that cannot give runs: exit 2, naming the --grid argument,
 * before anything is written. `--grid network.nodes=` used to run nothing
 * and exit 0; the limit on runs was printed as "1000000u". */
START_TEST(test_sweep_grid_errors)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "g.db", NULL);
    char *runs = g_build_filename(dir, "g.runs", NULL);
    char *scen = tu_source("scenarios/quickstart.ini");
    char *out = NULL, *err = NULL;

    ck_assert_int_eq(tu_chainsim(&out, &err, "sweep", scen, "--grid", "network.nodes=", "--seeds", "1..2", "--out",
                                 db, NULL), 2);
    ck_assert_str_eq(out, "");
    ck_assert_msg(g_str_has_prefix(err, "chainsim sweep: --grid network.nodes=: no values; expected group.key="),
                  "stderr: %s", err);
    g_free(out);
    g_free(err);

    ck_assert_int_eq(tu_chainsim(NULL, &err, "sweep", scen, "--grid", "network.nodes=10,20", "--seeds",
                                 "1..100000000", "--out", db, NULL), 2);
    ck_assert_msg(strstr(err, "chainsim sweep: too many runs: 200000000 (2 combinations of the --grid values x "
                              "100000000 seeds of --seeds), at most 1000000\n"), "stderr: %s", err);
    ck_assert_ptr_null(strstr(err, "1000000u"));
    g_free(err);

    /* A value that is not valid on its own is named with its --grid. */
    ck_assert_int_eq(tu_chainsim(NULL, &err, "sweep", scen, "--grid", "network.nodes=10,20", "--grid",
                                 "consensus.block_interval=2s,fast,slow", "--seeds", "1", "--out", db, NULL), 2);
    ck_assert_msg(strstr(err, "chainsim sweep: --grid consensus.block_interval=2s,fast,slow: the values fast, slow "
                              "are not valid") && !strstr(err, "--grid network.nodes") &&
                      strstr(err, "4 of 6 combinations are not valid; nothing was run"),
                  "stderr: %s", err);
    g_free(err);
    ck_assert_int_eq(tu_chainsim(NULL, &err, "sweep", scen, "--grid", "network.bogus=1,2", "--seeds", "1", "--out",
                                 db, NULL), 2);
    ck_assert_msg(strstr(err, "unknown key") && strstr(err, "--grid network.bogus=1,2: the values 1, 2 are not valid"),
                  "stderr: %s", err);
    g_free(err);

    ck_assert(!g_file_test(db, G_FILE_TEST_EXISTS));
    ck_assert(!g_file_test(runs, G_FILE_TEST_EXISTS));
    g_free(scen);
    g_free(runs);
    g_free(db);
    g_free(dir);
}
END_TEST

START_TEST(test_sweep_emit_jobs)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "e.db", NULL);
    char *jobs = g_build_filename(dir, "jobs.txt", NULL);
    char *scen = tu_source("scenarios/quickstart.ini");
    char *out = NULL;
    int rc = tu_chainsim(&out, NULL, "sweep", scen, "--set", SMALL, "--grid", "consensus.block_interval=2s,4s",
                         "--seeds", "1..2", "-j", "3", "--out", db, "--emit-jobs", jobs, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "parallel -j 3 < "));
    ck_assert_ptr_nonnull(strstr(out, "--array=1-4"));
    ck_assert_ptr_nonnull(strstr(out, "SLURM_ARRAY_TASK_ID"));
    ck_assert_ptr_nonnull(strstr(out, "chainsim merge "));
    char *text = NULL;
    ck_assert(g_file_get_contents(jobs, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 5); /* 4 lines and the empty rest after the last newline */
    ck_assert_str_eq(lines[4], "");
    for (int i = 0; i < 4; i++) {
        ck_assert_msg(strstr(lines[i], " run ") && strstr(lines[i], "--quiet") &&
                          strstr(lines[i], "--set network.nodes=30"), "line: %s", lines[i]);
    }
    ck_assert_ptr_nonnull(strstr(lines[0], "--seed 1 "));
    ck_assert_ptr_nonnull(strstr(lines[0], "consensus.block_interval=2s"));
    ck_assert_ptr_nonnull(strstr(lines[3], "--seed 2 "));
    ck_assert_ptr_nonnull(strstr(lines[3], "consensus.block_interval=4s"));
    ck_assert_ptr_nonnull(strstr(lines[3], "run-0001-seed-2.db"));
    ck_assert(!g_file_test(db, G_FILE_TEST_EXISTS)); /* nothing was run */
    g_strfreev(lines);
    g_free(text);
    g_free(out);
    g_free(scen);
    g_free(jobs);
    g_free(db);
    g_free(dir);
}
END_TEST

START_TEST(test_sweep_child_failure)
{
    char *dir = tu_tmpdir();
    char *script = g_strdup_printf("#!/bin/sh\n"
                                   "# fake chainsim: `run --seed 2` fails, everything else is the real one\n"
                                   "prev=\n"
                                   "for a in \"$@\"; do\n"
                                   "  if [ \"$1\" = run ] && [ \"$prev\" = --seed ] && [ \"$a\" = 2 ]; then\n"
                                   "    echo 'fake failure of seed 2' >&2\n"
                                   "    exit 1\n"
                                   "  fi\n"
                                   "  prev=$a\n"
                                   "done\n"
                                   "exec '%s' \"$@\"\n",
                                   CHAINSIM_BINARY);
    char *fake = tu_write(dir, "fake-chainsim", script);
    ck_assert_int_eq(g_chmod(fake, 0755), 0);
    char *db = g_build_filename(dir, "f.db", NULL);
    char *errfile = g_build_filename(dir, "stderr.txt", NULL);
    char *scen = tu_source("scenarios/quickstart.ini");
    char *argv[] = { scen, "--set", SMALL, "--grid", "consensus.block_interval=2s,4s", "--seeds", "1..2", "-j", "2",
                     "--out", db };

    /* stderr of sweep_main to a file (this test runs in its own process). */
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    int rc = sweep_main((int)G_N_ELEMENTS(argv), argv, fake);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);

    char *err = NULL;
    ck_assert(g_file_get_contents(errfile, &err, NULL, NULL));
    ck_assert_msg(rc == 1, "sweep_main returned %d\n%s", rc, err);
    ck_assert_msg(strstr(err, "run failed (exit status 1)") && strstr(err, "--seed 2 ") &&
                      strstr(err, "fake failure of seed 2") && strstr(err, "2 of 4 runs failed"),
                  "stderr:\n%s", err);
    /* The other runs completed and were merged. */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs WHERE status = 'complete'"), 2);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs WHERE seed = 1"), 2);

    g_free(err);
    g_free(scen);
    g_free(errfile);
    g_free(db);
    g_free(fake);
    g_free(script);
    g_free(dir);
}
END_TEST

static Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_sweep_grid_seeds_resume);
    tcase_add_test(tc, test_sweep_bad_grid_value);
    tcase_add_test(tc, test_sweep_usage);
    tcase_add_test(tc, test_sweep_grid_errors);
    tcase_add_test(tc, test_sweep_emit_jobs);
    tcase_add_test(tc, test_sweep_child_failure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(sweep_suite());
}
