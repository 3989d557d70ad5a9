/*
 * check_run.c - whole runs through the chainsim binary: every preset runs,
 * results are recorded consistently, the same seed gives the same digest and
 * identical rows, another seed another digest, and an interrupted run leaves
 * a valid database marked interrupted.
 */
#include <check.h>
#include <glib.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"

/* Options that shrink any preset to a few seconds under the sanitizers. */
#define SMALL "--set", "network.nodes=150", "--set", "broadcast.count=6", "--set", "record.detail=arrivals", \
              "--set", "workload.tx_rate=2/s", \
              "--set", "scenario.duration=20m"

static char *digest_of(const char *out)
{
    const char *d = strstr(out, "digest: ");
    ck_assert_ptr_nonnull(d);
    char *hex = g_strndup(d + 8, 64);
    ck_assert_uint_eq(strspn(hex, "0123456789abcdef"), 64);
    return hex;
}

/* Every table except the wall-clock columns of runs, in a fixed order. */
static char *dump_run(const char *db)
{
    static const char *const sql[] = {
        "SELECT scenario_name, scenario_text, params, overrides, seed, version, status, error, sim_end_ns, "
        "events, digest FROM runs",
        "SELECT * FROM run_params ORDER BY key",
        "SELECT * FROM nodes ORDER BY node_id",
        "SELECT * FROM links ORDER BY link_id",
        "SELECT * FROM faults ORDER BY seq",
        "SELECT * FROM msg_stats ORDER BY kind",
        "SELECT * FROM broadcasts ORDER BY msg_id",
        "SELECT * FROM arrivals ORDER BY msg_id, node_id",
    };
    GString *all = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(sql); i++) {
        char *part = tu_db_dump(db, sql[i]);
        g_string_append_printf(all, "-- %s\n%s", sql[i], part);
        g_free(part);
    }
    return g_string_free(all, FALSE);
}

START_TEST(test_presets_run)
{
    char *dir = tu_source("scenarios");
    char *tmp = tu_tmpdir();
    GDir *d = g_dir_open(dir, 0, NULL);
    ck_assert_ptr_nonnull(d);
    for (const char *f; (f = g_dir_read_name(d));) {
        if (!g_str_has_suffix(f, ".ini"))
            continue;
        char *path = g_build_filename(dir, f, NULL);
        char *db = g_build_filename(tmp, f, NULL);
        char *out = NULL, *err = NULL;
        int rc = tu_chainsim(&out, &err, "run", path, "--out", db, SMALL, NULL);
        ck_assert_msg(rc == 0, "%s: exit %d\n%s%s", f, rc, out, err);
        g_free(digest_of(out));
        ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs WHERE status = 'complete'"), 1);
        ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM nodes"), 150);
        ck_assert_int_gt(tu_db_int(db, "SELECT count(*) FROM links"), 150);
        ck_assert_int_gt(tu_db_int(db, "SELECT (SELECT count(*) FROM broadcasts) + "
                                       "(SELECT count(*) FROM blocks WHERE block_index > 0)"), 0);
        /* Every message is accounted for exactly once. */
        ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM msg_stats WHERE "
                                       "sent != delivered + lost + dropped_partition + dropped_down + in_flight"), 0);
        /* Broadcast rows agree with the arrival rows. */
        ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM broadcasts b WHERE reached != "
                                       "(SELECT count(*) FROM arrivals a WHERE a.msg_id = b.msg_id)"), 0);
        g_free(out);
        g_free(err);
        g_free(db);
        g_free(path);
    }
    g_dir_close(d);
    g_free(dir);
    g_free(tmp);
}
END_TEST

START_TEST(test_propagation_rows_match_arrivals)
{
    char *tmp = tu_tmpdir();
    char *sc = tu_source("scenarios/broadcast-2019.ini");
    char *db = g_build_filename(tmp, "q.db", NULL);
    char *out = NULL;
    ck_assert_int_eq(tu_chainsim(&out, NULL, "run", sc, "--out", db, SMALL, "--quiet", NULL), 0);
    /* Recompute t50 of every broadcast from the arrival rows in SQL. */
    ck_assert_int_eq(tu_db_int(db,
        "SELECT count(*) FROM broadcasts b WHERE t50_ns IS NOT "
        "(SELECT a.arrival_ns - b.created_ns FROM arrivals a WHERE a.msg_id = b.msg_id "
        " ORDER BY a.arrival_ns LIMIT 1 OFFSET 74)"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM broadcasts WHERE reached = 150 AND t100_ns IS NULL"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM broadcasts WHERE t50_ns > t90_ns OR t90_ns > t100_ns"), 0);
    g_free(out);
    g_free(db);
    g_free(sc);
    g_free(tmp);
}
END_TEST

START_TEST(test_determinism)
{
    char *tmp = tu_tmpdir();
    char *sc = tu_source("scenarios/faults-demo.ini");
    char *db1 = g_build_filename(tmp, "a.db", NULL);
    char *db2 = g_build_filename(tmp, "b.db", NULL);
    char *db3 = g_build_filename(tmp, "c.db", NULL);
    char *o1 = NULL, *o2 = NULL, *o3 = NULL;
#define FAULTY SMALL, "--set", "broadcast.count=60"
    ck_assert_int_eq(tu_chainsim(&o1, NULL, "run", sc, "--out", db1, "--seed", "11", FAULTY, NULL), 0);
    ck_assert_int_eq(tu_chainsim(&o2, NULL, "run", sc, "--out", db2, "--seed", "11", FAULTY, NULL), 0);
    ck_assert_int_eq(tu_chainsim(&o3, NULL, "run", sc, "--out", db3, "--seed", "12", FAULTY, NULL), 0);
    char *d1 = digest_of(o1), *d2 = digest_of(o2), *d3 = digest_of(o3);
    ck_assert_str_eq(d1, d2);
    ck_assert_str_ne(d1, d3);
    char *r1 = dump_run(db1), *r2 = dump_run(db2), *r3 = dump_run(db3);
    ck_assert_msg(strcmp(r1, r2) == 0, "same seed, different rows");
    ck_assert_str_ne(r1, r3);
    /* The faults happened and were recorded. */
    ck_assert_int_eq(tu_db_int(db1, "SELECT count(*) FROM faults"), 7);
    ck_assert_int_gt(tu_db_int(db1, "SELECT dropped_partition FROM msg_stats WHERE kind = 'announce'"), 0);
    char *stored = tu_db_text(db1, "SELECT digest FROM runs");
    ck_assert_str_eq(stored, d1);
    /* The recorded command reproduces the run. */
    char *cmd = tu_db_text(db1, "SELECT command FROM runs");
    ck_assert_ptr_nonnull(strstr(cmd, "--seed 11"));
    ck_assert_ptr_nonnull(strstr(cmd, "--set network.nodes=150"));
    /* A second run into the same database is appended as run 2. */
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", sc, "--out", db1, "--seed", "11", FAULTY, "--quiet", NULL), 0);
    ck_assert_int_eq(tu_db_int(db1, "SELECT count(DISTINCT digest) FROM runs"), 1);
    ck_assert_int_eq(tu_db_int(db1, "SELECT max(run_id) FROM runs"), 2);
    g_free(stored);
    g_free(cmd);
    g_free(r1); g_free(r2); g_free(r3);
    g_free(d1); g_free(d2); g_free(d3);
    g_free(o1); g_free(o2); g_free(o3);
    g_free(db1); g_free(db2); g_free(db3);
    g_free(sc);
    g_free(tmp);
}
END_TEST

/* Starts a long run, interrupts it wait_us after its topology is committed
 * (links last, in one transaction, just before the first event), and checks
 * what it left. Returns the events the run recorded. */
static int64_t interrupt_run(const char *sc, const char *db, gulong wait_us)
{
    char *argv[] = { (char *)CHAINSIM_BINARY, "run", (char *)sc, "--out", (char *)db, "--set",
                     "network.nodes=20000", "--set", "broadcast.count=2000", "--set", "broadcast.interval=1s",
                     "--quiet", NULL };
    GPid pid;
    ck_assert(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                            &pid, NULL));
    int64_t links = 0;
    for (int i = 0; i < 1200 && links == 0; i++) {
        g_usleep(100000);
        tu_db_try_int(db, "SELECT count(*) FROM links WHERE run_id = (SELECT max(run_id) FROM runs "
                          "WHERE status = 'running')", &links);
    }
    ck_assert_int_gt(links, 0);
    g_usleep(wait_us);
    kill(pid, SIGINT);
    int ws = 0;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFEXITED(ws), "killed by a signal instead of stopping");
    ck_assert_int_eq(WEXITSTATUS(ws), 130);
    char *ok = tu_db_text(db, "PRAGMA integrity_check");
    ck_assert_str_eq(ok, "ok");
    g_free(ok);
    char *status = tu_db_text(db, "SELECT status FROM runs");
    ck_assert_str_eq(status, "interrupted");
    g_free(status);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM nodes"), 20000);
    ck_assert_int_eq(tu_db_int(db, "SELECT length(digest) FROM runs"), 64);
    return tu_db_int(db, "SELECT events FROM runs");
}

START_TEST(test_interrupted_run_leaves_valid_database)
{
    char *tmp = tu_tmpdir();
    char *sc = tu_source("scenarios/broadcast-2019.ini");
    /* Interrupted in the middle of the run: on a loaded machine the first
     * events may come late, so wait longer each time until some ran. */
    static const gulong waits_us[] = { 2000000, 6000000, 20000000 };
    int64_t events = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(waits_us) && events == 0; i++) {
        char name[16];
        snprintf(name, sizeof name, "i%zu.db", i);
        char *db = g_build_filename(tmp, name, NULL);
        events = interrupt_run(sc, db, waits_us[i]);
        g_free(db);
    }
    ck_assert_int_gt(events, 0);
    g_free(sc);
    g_free(tmp);
}
END_TEST

START_TEST(test_unwritable_output_is_runtime_error)
{
    char *tmp = tu_tmpdir();
    char *sc = tu_source("scenarios/quickstart.ini");
    char *blocker = tu_write(tmp, "file", "not a folder");
    char *db = g_build_filename(blocker, "x.db", NULL);
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "run", sc, "--out", db, NULL), 1);
    ck_assert_ptr_nonnull(strstr(err, "cannot create the folder"));
    ck_assert_ptr_nonnull(strstr(err, "Not a directory")); /* the system's reason */
    g_free(err);
    char *notdb = tu_write(tmp, "garbage.db", "this is not a database, just text long enough to matter......");
    ck_assert_int_eq(tu_chainsim(NULL, &err, "run", sc, "--out", notdb, NULL), 2); /* refused: bad input */
    ck_assert_ptr_nonnull(strstr(err, "results database"));
    g_free(err);
    g_free(notdb);
    g_free(db);
    g_free(blocker);
    g_free(sc);
    g_free(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_presets_run);
    tcase_add_test(tc, test_propagation_rows_match_arrivals);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_interrupted_run_leaves_valid_database);
    tcase_add_test(tc, test_unwritable_output_is_runtime_error);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
