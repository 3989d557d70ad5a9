/*
 * check_record.c - the results database under failure: what a run leaves
 * when writing fails, and the upgrade of older databases.
 *
 * Whole runs go through the chainsim binary with a small quick start (20
 * nodes, 60 simulated seconds). A database first gets one complete run (the
 * "earlier run"); then a second run into a copy of it is made to fail, and
 * the test checks that the command exits 1, that the second run is not
 * marked complete (it says 'failed', with the reason, or is absent) and
 * that the earlier run is intact: every table's row count and its digest
 * are unchanged, and PRAGMA integrity_check says ok.
 *
 * Three ways to fail: a real full disk (the child gets RLIMIT_FSIZE, with
 * SIGXFSZ ignored, so a write past the limit fails in the kernel and SQLite
 * sees it in the final COMMIT); PRAGMA max_page_count, which SQLite enforces
 * as a full database (CHAINSIM_TEST_MAX_PAGE_COUNT); and the recorder's
 * fault injection (CHAINSIM_TEST_FAIL_WRITE=N fails its N-th write-path
 * call; N+ that one and every later one), swept over the calls of a run.
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/record/record.h"
#include "tests/testutil.h"

#define SHORT_RUN "--set", "network.nodes=20", "--set", "scenario.duration=60s", "--quiet"

/* Tables with a run_id column, for per-run row counts. */
static const char *const run_tables[] = { "run_params", "nodes",   "links",   "faults",  "msg_stats",
                                          "broadcasts", "arrivals", "blocks", "block_arrivals", "txs",
                                          "reorgs",     "rejections", "samples", "chain_summary" };

static char *scenario_path(void)
{
    return tu_source("scenarios/quickstart.ini");
}

/* Copies src to dst. */
static void copy_file(const char *src, const char *dst)
{
    char *data = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(src, &data, &len, NULL));
    ck_assert(g_file_set_contents(dst, data, (gssize)len, NULL));
    g_free(data);
}

static int64_t file_size(const char *path)
{
    GStatBuf st;
    ck_assert_int_eq(g_stat(path, &st), 0);
    return (int64_t)st.st_size;
}

/* What a run leaves in db: per table, its row count for run_id, then the
 * run row's status and digest. g_free. */
static char *run_fingerprint(const char *db, int64_t run_id)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(run_tables); i++) {
        char *sql = g_strdup_printf("SELECT count(*) FROM %s WHERE run_id = %" G_GINT64_FORMAT, run_tables[i], run_id);
        g_string_append_printf(s, "%s=%" G_GINT64_FORMAT " ", run_tables[i], tu_db_int(db, sql));
        g_free(sql);
    }
    char *sql = g_strdup_printf("SELECT status, digest, events, sim_end_ns FROM runs WHERE run_id = %" G_GINT64_FORMAT,
                                run_id);
    char *row = tu_db_dump(db, sql);
    g_string_append(s, row);
    g_free(row);
    g_free(sql);
    return g_string_free(s, FALSE);
}

/* A database holding one complete run of the short quick start. */
static char *db_with_one_run(const char *dir, const char *name)
{
    char *sc = scenario_path();
    char *db = g_build_filename(dir, name, NULL);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "run", sc, "--out", db, SHORT_RUN, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs WHERE status = 'complete'"), 1);
    ck_assert_int_gt(tu_db_int(db, "SELECT count(*) FROM txs"), 0);
    g_free(out);
    g_free(err);
    g_free(sc);
    return db;
}

/* Checks the state after a failed second run into db, whose first run had
 * fingerprint `earlier`: run 1 intact, run 2 (if any) not complete. */
static void assert_failed_second_run(const char *db, const char *earlier)
{
    char *ok = tu_db_text(db, "PRAGMA integrity_check");
    ck_assert_str_eq(ok, "ok");
    g_free(ok);
    char *now = run_fingerprint(db, 1);
    ck_assert_str_eq(now, earlier);
    g_free(now);
    ck_assert_int_le(tu_db_int(db, "SELECT count(*) FROM runs"), 2);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs WHERE run_id = 2 AND status = 'complete'"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs WHERE status = 'failed' AND "
                                   "(error IS NULL OR error = '')"), 0);
}

/* ---------- disk full ---------- */

static rlim_t fsize_limit;

static void limit_file_size(gpointer unused)
{
    (void)unused;
    struct rlimit rl = { fsize_limit, fsize_limit };
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &rl);
}

/* Runs chainsim with argv (NULL-terminated, without the program) with files
 * limited to limit bytes. Returns the exit status; *err gets stderr. */
static int run_with_fsize(rlim_t limit, char **err, char **argv)
{
    GPtrArray *v = g_ptr_array_new();
    g_ptr_array_add(v, (char *)CHAINSIM_BINARY);
    for (char **a = argv; *a; a++)
        g_ptr_array_add(v, *a);
    g_ptr_array_add(v, NULL);
    fsize_limit = limit;
    int status = 0;
    ck_assert(g_spawn_sync(NULL, (char **)v->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, limit_file_size, NULL, NULL,
                           err, &status, NULL));
    g_ptr_array_free(v, TRUE);
    ck_assert_msg(WIFEXITED(status), "killed by signal %d", WTERMSIG(status));
    return WEXITSTATUS(status);
}

/* The disk fills up at the very end of a run: the final COMMIT, which holds
 * the end-of-run tables and the final run row, cannot grow the file. The run
 * must not be marked complete, and the command must fail. */
START_TEST(test_disk_full_at_final_commit)
{
    char *dir = tu_tmpdir();
    char *db = db_with_one_run(dir, "one.db");
    char *earlier = run_fingerprint(db, 1);
    char *sc = scenario_path();

    /* How big the file gets with a second complete run. */
    char *ref = g_build_filename(dir, "ref.db", NULL);
    copy_file(db, ref);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", sc, "--out", ref, SHORT_RUN, NULL), 0);
    int64_t full_bytes = file_size(ref);
    ck_assert_int_gt(full_bytes, file_size(db));

    /* One byte less: the last write of the run, in its final commit, fails. */
    char *fail = g_build_filename(dir, "fail.db", NULL);
    copy_file(db, fail);
    char *err = NULL;
    char *argv[] = { "run", sc, "--out", fail, SHORT_RUN, NULL };
    int rc = run_with_fsize((rlim_t)full_bytes - 1, &err, argv);
    ck_assert_msg(rc == 1, "exit %d, expected 1\n%s", rc, err);
    ck_assert_msg(strstr(err, "marked failed") != NULL, "%s", err);
    assert_failed_second_run(fail, earlier);
    char *status = tu_db_text(fail, "SELECT status FROM runs WHERE run_id = 2");
    ck_assert_str_eq(status, "failed");
    g_free(status);
    char *why = tu_db_text(fail, "SELECT error FROM runs WHERE run_id = 2");
    ck_assert_msg(strstr(why, "commit") != NULL, "error: %s", why);
    g_free(why);
    /* The end-of-run rows were rolled back with the commit. */
    ck_assert_int_eq(tu_db_int(fail, "SELECT count(*) FROM txs WHERE run_id = 2"), 0);
    ck_assert_int_eq(tu_db_int(fail, "SELECT count(*) FROM chain_summary WHERE run_id = 2"), 0);

    g_free(err);
    g_free(fail);
    g_free(ref);
    g_free(sc);
    g_free(earlier);
    g_free(db);
    g_free(dir);
}
END_TEST

/* The database fills up at the end of a run, as far as SQLite can tell:
 * PRAGMA max_page_count (through CHAINSIM_TEST_MAX_PAGE_COUNT) one page short
 * of what the complete run needs. Pages are only ever added, so the last
 * one is allocated by the run's final transaction (the end-of-run tables
 * and the final run row), which fails with SQLITE_FULL. */
START_TEST(test_max_page_count_at_end)
{
    char *dir = tu_tmpdir();
    char *db = db_with_one_run(dir, "one.db");
    char *earlier = run_fingerprint(db, 1);
    char *sc = scenario_path();

    char *ref = g_build_filename(dir, "ref.db", NULL);
    copy_file(db, ref);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", sc, "--out", ref, SHORT_RUN, NULL), 0);
    int64_t pages = tu_db_int(ref, "PRAGMA page_count");
    ck_assert_int_gt(pages, tu_db_int(db, "PRAGMA page_count"));

    char *fail = g_build_filename(dir, "fail.db", NULL);
    copy_file(db, fail);
    char *max = g_strdup_printf("%" G_GINT64_FORMAT, pages - 1);
    g_setenv("CHAINSIM_TEST_MAX_PAGE_COUNT", max, TRUE);
    char *err = NULL;
    int rc = tu_chainsim(NULL, &err, "run", sc, "--out", fail, SHORT_RUN, NULL);
    g_unsetenv("CHAINSIM_TEST_MAX_PAGE_COUNT");
    ck_assert_msg(rc == 1, "exit %d, expected 1\n%s", rc, err);
    assert_failed_second_run(fail, earlier);
    char *status = tu_db_text(fail, "SELECT status || ': ' || error FROM runs WHERE run_id = 2");
    ck_assert_msg(g_str_has_prefix(status, "failed: ") && strstr(status, "full") != NULL, "%s", status);
    /* The topology was committed in an earlier batch and stays; the
     * end-of-run rows are gone with the final transaction. */
    ck_assert_int_eq(tu_db_int(fail, "SELECT count(*) FROM nodes WHERE run_id = 2"), 20);
    ck_assert_int_eq(tu_db_int(fail, "SELECT count(*) FROM txs WHERE run_id = 2"), 0);
    ck_assert_int_eq(tu_db_int(fail, "SELECT count(*) FROM chain_summary WHERE run_id = 2"), 0);

    g_free(status);
    g_free(err);
    g_free(max);
    g_free(fail);
    g_free(ref);
    g_free(sc);
    g_free(earlier);
    g_free(db);
    g_free(dir);
}
END_TEST

/* ---------- fault injection ---------- */

/* Runs the short quick start into a copy of db with the write-path call
 * `fail` failing (CHAINSIM_TEST_FAIL_WRITE), and checks what it leaves.
 * Returns the status of run 2 ("" when there is no run 2). g_free. */
static char *run_failing_at(const char *dir, const char *db, const char *earlier, const char *fail)
{
    char *sc = scenario_path();
    char *name = g_strdup_printf("fail-%s.db", fail);
    char *copy = g_build_filename(dir, name, NULL);
    copy_file(db, copy);
    g_setenv("CHAINSIM_TEST_FAIL_WRITE", fail, TRUE);
    char *err = NULL;
    int rc = tu_chainsim(NULL, &err, "run", sc, "--out", copy, SHORT_RUN, NULL);
    g_unsetenv("CHAINSIM_TEST_FAIL_WRITE");
    ck_assert_msg(rc == 1, "write %s failing: exit %d, expected 1\n%s", fail, rc, err);
    char *n = g_strdup(fail);
    n[strcspn(n, "+")] = '\0';
    char *injected = g_strdup_printf("injected failure of write operation %s ", n);
    ck_assert_msg(strstr(err, injected) != NULL, "write %s failing: %s", fail, err);
    assert_failed_second_run(copy, earlier);
    char *status = tu_db_text(copy, "SELECT status FROM runs WHERE run_id = 2");
    if (strcmp(status, "failed") == 0) {
        char *why = tu_db_text(copy, "SELECT error FROM runs WHERE run_id = 2");
        ck_assert_msg(strstr(why, injected) != NULL, "write %s failing: error %s", fail, why);
        g_free(why);
    }
    ck_assert_int_eq(g_remove(copy), 0);
    g_free(injected);
    g_free(n);
    g_free(err);
    g_free(copy);
    g_free(name);
    g_free(sc);
    return status;
}

/* Every write of a short run fails in turn (a sample when there are many:
 * the first and last few, and evenly spread ones between): the command
 * exits 1, the run is never marked complete, and the earlier run in the same
 * database is intact. */
START_TEST(test_fail_each_write)
{
    char *dir = tu_tmpdir();
    char *db = db_with_one_run(dir, "one.db");
    char *earlier = run_fingerprint(db, 1);

    /* How many write-path calls a run makes. */
    char *sc = scenario_path();
    char *count = g_build_filename(dir, "count.db", NULL);
    copy_file(db, count);
    g_setenv("CHAINSIM_TEST_FAIL_WRITE", "0", TRUE);
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "run", sc, "--out", count, SHORT_RUN, NULL), 0);
    g_unsetenv("CHAINSIM_TEST_FAIL_WRITE");
    const char *p = strstr(err, "results database: ");
    ck_assert_msg(p != NULL, "%s", err);
    uint64_t ops = g_ascii_strtoull(p + strlen("results database: "), NULL, 10);
    ck_assert_msg(ops > 100, "%s", err);

    enum { FIRST = 12, LAST = 12, BETWEEN = 24 };
    GArray *at = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    for (uint64_t n = 1; n <= FIRST; n++)
        g_array_append_val(at, n);
    for (uint64_t k = 1; k <= BETWEEN; k++) {
        uint64_t n = FIRST + k * (ops - FIRST - LAST) / (BETWEEN + 1);
        g_array_append_val(at, n);
    }
    for (uint64_t n = ops - LAST + 1; n <= ops; n++)
        g_array_append_val(at, n);

    int failed = 0, absent = 0;
    for (guint i = 0; i < at->len; i++) {
        char *fail = g_strdup_printf("%" G_GUINT64_FORMAT, g_array_index(at, uint64_t, i));
        char *status = run_failing_at(dir, db, earlier, fail);
        ck_assert_msg(strcmp(status, "failed") == 0 || status[0] == '\0', "write %s failing: status %s", fail,
                      status);
        failed += strcmp(status, "failed") == 0;
        absent += status[0] == '\0';
        g_free(status);
        g_free(fail);
    }
    /* Failures before the run row is committed leave no row; later ones a
     * failed row. */
    ck_assert_int_gt(absent, 0);
    ck_assert_int_gt(failed, 0);

    /* The last call is the final commit. */
    char *last = g_strdup_printf("%" G_GUINT64_FORMAT, ops);
    char *copy = g_build_filename(dir, "last.db", NULL);
    copy_file(db, copy);
    g_setenv("CHAINSIM_TEST_FAIL_WRITE", last, TRUE);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", sc, "--out", copy, SHORT_RUN, NULL), 1);
    g_unsetenv("CHAINSIM_TEST_FAIL_WRITE");
    char *why = tu_db_text(copy, "SELECT error FROM runs WHERE run_id = 2");
    ck_assert_msg(g_str_has_prefix(why, "results database: commit: "), "%s", why);

    g_free(why);
    g_free(copy);
    g_free(last);
    g_array_free(at, TRUE);
    g_free(err);
    g_free(count);
    g_free(sc);
    g_free(earlier);
    g_free(db);
    g_free(dir);
}
END_TEST

/* When every write from some point on fails (a dead disk), not even the
 * run row can be marked failed: it stays 'running', which readers report as
 * abandoned; the command still exits 1 and says so. */
START_TEST(test_fail_every_write_from_some_point)
{
    char *dir = tu_tmpdir();
    char *db = db_with_one_run(dir, "one.db");
    char *earlier = run_fingerprint(db, 1);
    static const char *const from[] = { "1+", "60+", "400+", "2000+" };
    int running = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(from); i++) {
        char *status = run_failing_at(dir, db, earlier, from[i]);
        ck_assert_msg(strcmp(status, "running") == 0 || status[0] == '\0', "writes from %s failing: status %s",
                      from[i], status);
        running += strcmp(status, "running") == 0;
        g_free(status);
    }
    ck_assert_int_gt(running, 0);
    g_free(earlier);
    g_free(db);
    g_free(dir);
}
END_TEST

/* ---------- the run row through the API ---------- */

static scenario_t *small_scenario(void)
{
    char *errors = NULL;
    scenario_t *sc = tu_load("[scenario]\nduration = 10s\n[network]\nnodes = 10\n", &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    return sc;
}

START_TEST(test_finish_statuses)
{
    static const char *const statuses[] = { "complete", "interrupted", "failed" };
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "api.db", NULL);
    scenario_t *sc = small_scenario();
    for (size_t i = 0; i < G_N_ELEMENTS(statuses); i++) {
        char *err = NULL;
        record_t *r = record_open(db, &err);
        ck_assert_msg(r != NULL, "%s", err);
        ck_assert(record_begin(r, sc, "chainsim run test.ini"));
        ck_assert(record_node(r, 0, "europe", 1000, 2000, 3));
        bool failed = strcmp(statuses[i], "failed") == 0;
        ck_assert(record_finish(r, statuses[i], failed ? "the run broke" : NULL, 5, 6, "abc"));
        ck_assert_str_eq(record_final_status(r), statuses[i]);
        ck_assert_ptr_null(record_error(r));
        record_close(r);
    }
    char *rows = tu_db_dump(db, "SELECT run_id, status, error, sim_end_ns, events, digest FROM runs ORDER BY run_id");
    ck_assert_str_eq(rows, "1|complete|NULL|5|6|abc\n"
                           "2|interrupted|NULL|5|6|abc\n"
                           "3|failed|the run broke|5|6|abc\n");
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM nodes"), 3);
    g_free(rows);
    scenario_free(sc);
    g_free(db);
    g_free(dir);
}
END_TEST

/* ---------- older databases ---------- */

/* The runs table of schema version 1, a table that refers to it and a
 * view over it, as the first chainsim wrote them. */
static const char schema_v1[] =
    "PRAGMA user_version = 1;"
    "CREATE TABLE IF NOT EXISTS runs (\n"
    "    run_id        INTEGER PRIMARY KEY,\n"
    "    scenario_name TEXT NOT NULL,\n"
    "    scenario_path TEXT NOT NULL,\n"
    "    scenario_text TEXT NOT NULL,\n"
    "    params        TEXT NOT NULL,\n"
    "    overrides     TEXT NOT NULL,\n"
    "    seed          INTEGER NOT NULL,\n"
    "    version       TEXT NOT NULL,\n"
    "    command       TEXT NOT NULL,\n"
    "    started_at    TEXT NOT NULL,\n"
    "    ended_at      TEXT,\n"
    "    wall_seconds  REAL,\n"
    "    status        TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted')),\n"
    "    error         TEXT,\n"
    "    sim_end_ns    INTEGER,\n"
    "    events        INTEGER,\n"
    "    digest        TEXT\n"
    ");"
    "CREATE TABLE IF NOT EXISTS nodes (\n"
    "    run_id       INTEGER NOT NULL REFERENCES runs(run_id),\n"
    "    node_id      INTEGER NOT NULL,\n"
    "    region       TEXT NOT NULL,\n"
    "    upload_bps   INTEGER NOT NULL,\n"
    "    download_bps INTEGER NOT NULL,\n"
    "    degree       INTEGER NOT NULL,\n"
    "    PRIMARY KEY (run_id, node_id)\n"
    ") WITHOUT ROWID;"
    "CREATE VIEW IF NOT EXISTS v_old AS SELECT run_id, status FROM runs;"
    "INSERT INTO runs VALUES (7, 'old', 'old.ini', 'text', 'p = 1', '', 3, '0.0.1', 'chainsim run old.ini',"
    " '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 60.0, 'complete', NULL, 10, 20, 'feed');"
    "INSERT INTO nodes VALUES (7, 0, 'europe', 1, 2, 3);";

static char *make_v1_db(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, schema_v1, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s", msg);
    sqlite3_close(h);
    return path;
}

/* A database of schema version 1 is upgraded when opened: its rows stay,
 * a run can be marked failed in it, and the table referring to runs and
 * the view over it still work. */
START_TEST(test_upgrade_from_v1)
{
    char *dir = tu_tmpdir();
    char *db = make_v1_db(dir, "v1.db");
    char *before = tu_db_dump(db, "SELECT * FROM runs");
    scenario_t *sc = small_scenario();
    char *err = NULL;
    record_t *r = record_open(db, &err);
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert(record_begin(r, sc, "chainsim run test.ini"));
    ck_assert_int_eq(record_run_id(r), 8);
    ck_assert(record_node(r, 0, "asia", 1, 2, 3));
    ck_assert(record_finish(r, "failed", "broke", 1, 2, NULL));
    record_close(r);

    ck_assert_int_eq(tu_db_int(db, "PRAGMA user_version"), RECORD_SCHEMA_VERSION);
    char *old = tu_db_dump(db, "SELECT run_id, scenario_name, scenario_path, scenario_text, params, overrides, "
                               "seed, version, command, started_at, ended_at, wall_seconds, status, error, "
                               "sim_end_ns, events, digest FROM runs WHERE run_id = 7");
    ck_assert_str_eq(old, before);
    char *now = tu_db_dump(db, "SELECT run_id, status FROM v_old ORDER BY run_id");
    ck_assert_str_eq(now, "7|complete\n8|failed\n");
    g_free(now);
    now = tu_db_text(db, "SELECT error FROM runs WHERE run_id = 8");
    ck_assert_str_eq(now, "broke");
    g_free(now);
    /* The old run has no writer on record; the new one has. */
    now = tu_db_dump(db, "SELECT run_id, pid IS NULL, host IS NULL FROM runs ORDER BY run_id");
    ck_assert_str_eq(now, "7|1|1\n8|0|0\n");
    g_free(now);
    /* Foreign keys still name runs, and hold. */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%runs_v1%'"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM pragma_foreign_key_list('nodes') WHERE \"table\" = 'runs'"),
                     1);
    char *fk = tu_db_dump(db, "PRAGMA foreign_key_check");
    ck_assert_str_eq(fk, "");
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM nodes"), 2);
    /* The new tables and views are there. */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM v_run_summary"), 2);
    g_free(fk);
    g_free(old);
    g_free(before);
    scenario_free(sc);
    g_free(db);
    g_free(dir);
}
END_TEST

/* A database of schema version 2 (status 'failed', no pid or host) gets
 * the two columns with ALTER TABLE, and keeps its rows. */
START_TEST(test_upgrade_from_v2)
{
    char *dir = tu_tmpdir();
    char *path = g_build_filename(dir, "v2.db", NULL);
    GString *v2 = g_string_new(schema_v1);
    g_string_replace(v2, "user_version = 1", "user_version = 2", 0);
    g_string_replace(v2, "'interrupted')", "'interrupted', 'failed')", 0);
    g_string_replace(v2, "'complete', NULL, 10", "'failed', 'disk full', 10", 0);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, v2->str, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    g_string_free(v2, TRUE);
    ck_assert_int_eq(tu_db_int(path, "SELECT count(*) FROM pragma_table_info('runs')"), 17);

    char *err = NULL;
    record_t *r = record_open(path, &err);
    ck_assert_msg(r != NULL, "%s", err);
    record_close(r);
    ck_assert_int_eq(tu_db_int(path, "PRAGMA user_version"), RECORD_SCHEMA_VERSION);
    char *cols = tu_db_dump(path, "SELECT name FROM pragma_table_info('runs') WHERE cid >= 16 ORDER BY cid");
    ck_assert_str_eq(cols, "digest\npid\nhost\n");
    char *row = tu_db_dump(path, "SELECT run_id, status, error, pid, host FROM runs");
    ck_assert_str_eq(row, "7|failed|disk full|NULL|NULL\n");
    g_free(row);
    g_free(cols);
    g_free(path);
    g_free(dir);
}
END_TEST

/* ---------- what may be written to ---------- */

/* Runs the short quick start with --out path; returns the exit status and
 * stderr in *err. */
static int run_into(const char *path, char **err)
{
    char *sc = scenario_path();
    int rc = tu_chainsim(NULL, err, "run", sc, "--out", path, SHORT_RUN, NULL);
    g_free(sc);
    return rc;
}

/* Creates an SQLite database at dir/name with sql. Returns the path. */
static char *sqlite_file(const char *dir, const char *name, const char *sql)
{
    char *path = g_build_filename(dir, name, NULL);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s", msg);
    sqlite3_close(h);
    return path;
}

/* `run --out path` must exit 2, name the file, and leave it byte for byte
 * as it was, with no journal beside it. */
static void assert_refused(const char *path, const char *why)
{
    char *before = NULL, *after = NULL;
    gsize n_before = 0, n_after = 0;
    bool is_file = g_file_test(path, G_FILE_TEST_IS_REGULAR);
    if (is_file)
        ck_assert(g_file_get_contents(path, &before, &n_before, NULL));
    char *err = NULL;
    int rc = run_into(path, &err);
    ck_assert_msg(rc == 2, "%s: exit %d, expected 2\n%s", why, rc, err);
    ck_assert_msg(strstr(err, path) != NULL && strstr(err, "left untouched") != NULL, "%s: %s", why, err);
    ck_assert_msg(strstr(err, why) != NULL, "expected '%s' in: %s", why, err);
    if (is_file) {
        ck_assert(g_file_get_contents(path, &after, &n_after, NULL));
        ck_assert_msg(n_after == n_before && memcmp(before, after, n_before) == 0, "%s: the file changed", why);
    }
    char *journal = g_strdup_printf("%s-journal", path);
    ck_assert(!g_file_test(journal, G_FILE_TEST_EXISTS));
    g_free(journal);
    g_free(before);
    g_free(after);
    g_free(err);
}

START_TEST(test_foreign_files_refused)
{
    char *dir = tu_tmpdir();
    char *one = tu_write(dir, "one-byte.db", "x");
    assert_refused(one, "not an SQLite file");
    char *text = tu_write(dir, "notes.txt", "some notes, long enough to hold an SQLite header and more of it\n");
    assert_refused(text, "not an SQLite file");
    char *foreign = sqlite_file(dir, "foreign.db", "CREATE TABLE foo (x); INSERT INTO foo VALUES (1);"
                                                   "PRAGMA user_version = 7");
    assert_refused(foreign, "its tables: foo");
    /* A runs table is not enough: it must have chainsim's columns. */
    char *runs = sqlite_file(dir, "runs.db", "PRAGMA user_version = 1; CREATE TABLE runs (run_id, name);");
    assert_refused(runs, "its tables: runs");
    /* Another program's application_id, even over chainsim's tables. */
    char *other = sqlite_file(dir, "other.db", schema_v1);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(other, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "PRAGMA application_id = 1234", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    assert_refused(other, "application_id 1234");
    /* A chainsim database from a newer chainsim. */
    char *newer = g_build_filename(dir, "newer.db", NULL);
    ck_assert_int_eq(run_into(newer, NULL), 0);
    ck_assert_int_eq(sqlite3_open(newer, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    assert_refused(newer, "newer chainsim");
    /* SQLite's magic followed by garbage. */
    char *data = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(newer, &data, &len, NULL));
    for (gsize i = 100; i < len; i++)
        data[i] = (char)(i * 131 + 7);
    char *damaged = g_build_filename(dir, "damaged.db", NULL);
    ck_assert(g_file_set_contents(damaged, data, (gssize)len, NULL));
    assert_refused(damaged, "damaged");
    /* A folder. */
    char *folder = g_build_filename(dir, "folder.db", NULL);
    ck_assert_int_eq(g_mkdir(folder, 0755), 0);
    assert_refused(folder, "folder");

    g_free(folder);
    g_free(damaged);
    g_free(data);
    g_free(newer);
    g_free(other);
    g_free(runs);
    g_free(foreign);
    g_free(text);
    g_free(one);
    g_free(dir);
}
END_TEST

/* Every results database carries chainsim's application_id; an empty file
 * and an SQLite database with nothing in it may be used. */
START_TEST(test_application_id)
{
    char *dir = tu_tmpdir();
    char *fresh = g_build_filename(dir, "fresh.db", NULL);
    char *empty = tu_write(dir, "empty.db", "");
    char *vacuum = sqlite_file(dir, "vacuum.db", "VACUUM");
    const char *const paths[] = { fresh, empty, vacuum };
    for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
        char *err = NULL;
        ck_assert_msg(run_into(paths[i], &err) == 0, "%s: %s", paths[i], err);
        g_free(err);
        ck_assert_int_eq(tu_db_int(paths[i], "PRAGMA application_id"), RECORD_APPLICATION_ID);
        ck_assert_int_eq(tu_db_int(paths[i], "SELECT count(*) FROM runs WHERE status = 'complete'"), 1);
        /* In the file header, big-endian at offset 68: "CHSM". */
        char *data = NULL;
        gsize len = 0;
        ck_assert(g_file_get_contents(paths[i], &data, &len, NULL));
        ck_assert_uint_gt(len, 72);
        ck_assert_int_eq(memcmp(data + 68, "CHSM", 4), 0);
        g_free(data);
    }
    g_free(vacuum);
    g_free(empty);
    g_free(fresh);
    g_free(dir);
}
END_TEST

/* A chainsim database from before application_id (schema version 1, id 0)
 * is recognised by its runs table, appended to, and marked. */
START_TEST(test_old_database_is_marked)
{
    char *dir = tu_tmpdir();
    char *db = make_v1_db(dir, "old.db");
    ck_assert_int_eq(tu_db_int(db, "PRAGMA application_id"), 0);
    char *err = NULL;
    ck_assert_msg(run_into(db, &err) == 0, "%s", err);
    ck_assert_int_eq(tu_db_int(db, "PRAGMA application_id"), RECORD_APPLICATION_ID);
    char *runs = tu_db_dump(db, "SELECT run_id, status FROM runs ORDER BY run_id");
    ck_assert_str_eq(runs, "7|complete\n8|complete\n");
    g_free(runs);
    g_free(err);
    g_free(db);
    g_free(dir);
}
END_TEST

/* ---------- who wrote a run ---------- */

START_TEST(test_pid_and_host)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "who.db", NULL);
    scenario_t *sc = small_scenario();
    char *err = NULL;
    record_t *r = record_open(db, &err);
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert(record_begin(r, sc, "chainsim run test.ini"));
    /* Written with the run row, before the run. */
    ck_assert_int_eq(tu_db_int(db, "SELECT pid FROM runs"), getpid());
    char *host = tu_db_text(db, "SELECT host FROM runs");
    ck_assert_str_eq(host, g_get_host_name());
    g_free(host);
    ck_assert(record_finish(r, "complete", NULL, 1, 1, "00"));
    record_close(r);
    ck_assert_int_eq(tu_db_int(db, "SELECT pid FROM runs"), getpid());
    scenario_free(sc);
    g_free(db);
    g_free(dir);
}
END_TEST

/* Rows in db's runs table; 0 while there is no such table or file yet. */
static int64_t count_runs(const char *db)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 10000);
        if (sqlite3_prepare_v2(h, "SELECT count(*) FROM runs", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* A killed run leaves its row 'running' with the pid of a process that no
 * longer exists on this host: what a reader needs to call it abandoned. */
START_TEST(test_killed_run_is_recognisable)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "killed.db", NULL);
    char *sc = scenario_path();
    char *argv[] = { (char *)CHAINSIM_BINARY, "run", sc, "--out", db, "--set", "scenario.duration=2h", "--quiet",
                     NULL };
    GPid pid;
    ck_assert(g_spawn_async(NULL, argv, NULL,
                            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                            NULL, NULL, &pid, NULL));
    int64_t rows = 0;
    for (int i = 0; i < 600 && rows == 0; i++) {
        g_usleep(50000);
        rows = count_runs(db);
    }
    ck_assert_int_eq(rows, 1);
    /* The row names the simulation process, a child of the command (which
     * would mark the run failed if only the child died): kill the command
     * first, then the simulation, as a power loss would end both. */
    int64_t child = 0;
    for (int i = 0; i < 600 && child == 0; i++) {
        tu_db_try_int(db, "SELECT pid FROM runs", &child);
        if (child == 0)
            g_usleep(50000);
    }
    ck_assert_int_gt(child, 0);
    kill(pid, SIGKILL);
    int ws = 0;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert(WIFSIGNALED(ws));
    ck_assert_int_eq(kill((pid_t)child, SIGKILL), 0);
    for (int i = 0; i < 600 && kill((pid_t)child, 0) == 0; i++)
        g_usleep(50000); /* until its new parent has reaped it */
    /* The simulation may have died inside a transaction: its hot journal is
     * rolled back by the next connection that may write. */
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(h, 10000);
    ck_assert_int_eq(sqlite3_exec(h, "SELECT count(*) FROM runs", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    char *row = tu_db_dump(db, "SELECT status, pid, host FROM runs");
    char *want = g_strdup_printf("running|%d|%s\n", (int)child, g_get_host_name());
    ck_assert_str_eq(row, want);
    ck_assert_int_eq(kill((pid_t)child, 0), -1); /* gone */
    g_free(want);
    g_free(row);
    g_free(sc);
    g_free(db);
    g_free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_finish_statuses);
    tcase_add_test(tc, test_upgrade_from_v1);
    tcase_add_test(tc, test_upgrade_from_v2);
    tcase_add_test(tc, test_pid_and_host);
    tcase_add_test(tc, test_foreign_files_refused);
    tcase_add_test(tc, test_application_id);
    tcase_add_test(tc, test_old_database_is_marked);
    tcase_add_test(tc, test_killed_run_is_recognisable);
    tcase_add_test(tc, test_disk_full_at_final_commit);
    tcase_add_test(tc, test_max_page_count_at_end);
    tcase_add_test(tc, test_fail_each_write);
    tcase_add_test(tc, test_fail_every_write_from_some_point);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
