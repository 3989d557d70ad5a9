/*
 * check_report.c - the analysis views (analysis/views.sql) and the
 * `chainsim report` command.
 *
 * A results database is created with record_open() (schema and views), then
 * filled by hand with SQL so that every metric has a value worked out in the
 * comments below:
 *
 *   run 1 "pow-demo", complete, sim_end 100 s: 6 blocks with genesis, 2 of
 *         them stale; 10 transactions, 7 confirmed and 5 final; 2 reorgs;
 *         rejections of transactions and blocks; no broadcasts.
 *   run 2 (latest), a network-only run of 50 s: 4 broadcasts, nothing else;
 *         its name needs JSON escaping.
 *
 * Percentiles are nearest-rank: the p-th of n sorted values is at 1-based
 * rank ceil(p/100 * n).
 *
 * The view tests read the database directly; the command tests run the real
 * binary (CHAINSIM_BINARY) through tu_chainsim(). JSON is checked by
 * substrings, relying on the documented layout of analysis/report.c: one
 * `"key": value` pair per line, two spaces of indent, integers without a
 * decimal point, REAL values always with one (0.0, 4.0), NULL as null.
 */
#include <check.h>
#include <glib.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "analysis/resultsdb.h"
#include "sim/record/record.h"
#include "tests/testutil.h"

#define S(sec) ((int64_t)((sec) * 1e9)) /* seconds -> ns, for readable comments */

/*
 * Run 1, worked by hand.
 *
 * blocks (t50, t90 in s; genesis has sentinel times that would change every
 * median if it were counted):
 *   idx parent height main  t50   t90   t100
 *   0   -      0      1     0.1   0.2   0.3   genesis: not a block of the run
 *   1   0      1      1     1.0   2.0   2.5
 *   2   1      2      1     3.0   5.0   6.0
 *   3   1      2      0     2.0   4.0   -     stale
 *   4   2      3      1     0.5   -     -
 *   5   3      3      0     4.0   -     -     stale
 *   blocks_total = 5, blocks_stale = 2, stale_rate = 2/5 = 0.4
 *   t50 sorted [0.5 1 2 3 4], n = 5: median rank ceil(2.5) = 3 -> 2.0 s
 *     (with genesis: [0.1 0.5 1 2 3 4], rank 3 -> 1.0: wrong)
 *   t90 sorted [2 4 5], n = 3: median rank ceil(1.5) = 2 -> 4.0 s
 *     (with genesis: [0.2 2 4 5], rank 2 -> 2.0: wrong)
 *
 * transactions (s):
 *   tx intent         submitted confirmed final  confirm lat  final lat
 *   1  valid          1         2         3      1            2
 *   2  valid          3         5         7      2            4
 *   3  valid          9         12        15     3            6
 *   4  valid          11        15        19     4            8
 *   5  valid          13        18        43     5            30
 *   6  valid          29        35        -      6            -
 *   7  valid          79.5      99.5      -      20           -
 *   8  valid          50        -         -      (in a stale block only)
 *   9  double-spend   60        -         -
 *   10 bad-signature  70        -         -
 *   txs_submitted = 10, txs_confirmed = 7, txs_finalized = 5
 *   txs_confirmable = 8 (all but the deliberately invalid 9 and 10, never
 *   confirmed): confirmed_share = 7/8 = 0.875, finalized_share = 5/8 = 0.625
 *   tps over the workload's active window, first submission (1 s) to the end
 *   (100 s; no workload.stop): 7 / 99 s
 *   confirm latency sorted [1 2 3 4 5 6 20], n = 7:
 *     p50 rank ceil(3.5) = 4 -> 4.0 s; p90 rank ceil(6.3) = 7 -> 20.0 s
 *   final latency sorted [2 4 6 8 30], n = 5:
 *     p50 rank ceil(2.5) = 3 -> 6.0 s; p90 rank ceil(4.5) = 5 -> 30.0 s
 *   throughput windows of 10 s over [0, 100 s): confirmations at 2, 5 | 12,
 *   15, 18 | - | 35 | - ... | 99.5 -> 2 3 0 1 0 0 0 0 0 1, tps = count / 10
 *
 * reorgs: depth 1 at 22 s (node 4), depth 2 at 32 s (node 6):
 *   reorgs = 2, reorg_max_depth = 2
 * rejections: tx 3 + 4 = 7; block 2
 * broadcasts: none -> broadcast_p50_s = broadcast_p90_s = NULL
 *
 * Run 2, network-only, 50 s:
 *   broadcasts t50 [0.3 0.1 0.2 0.25] -> sorted [0.1 0.2 0.25 0.3], n = 4:
 *     median rank ceil(2) = 2 -> 0.2 s
 *   t90 [0.6 0.5 0.4 never] -> sorted [0.4 0.5 0.6], n = 3: rank 2 -> 0.5 s
 *   every count 0, stale_rate 0.0, tps 0 / 50 = 0.0, latencies NULL.
 */
static const char fill_sql[] =
    "BEGIN;"
    "INSERT INTO runs (run_id, scenario_name, scenario_path, scenario_text, params, overrides, seed, version,"
    "                  command, started_at, status, sim_end_ns)"
    " VALUES (1, 'pow-demo', 'pow-demo.ini', '', '', '', 42, 'test', 'chainsim run pow-demo.ini',"
    "         '2024-01-01T00:00:00Z', 'complete', 100000000000),"
    "        (2, 'net \"only\"\\path\t', 'net.ini', '', '', '', 7, 'test', 'chainsim run net.ini',"
    "         '2024-01-01T00:00:00Z', 'complete', 50000000000);"
    "INSERT INTO blocks (run_id, block_index, block_id, parent_index, height, producer, created_ns, size_bytes,"
    "                    tx_count, difficulty, main, reached, t50_ns, t90_ns, t100_ns) VALUES"
    " (1, 0, 'g0', NULL, 0, NULL, 0, 80, 0, 1, 1, 10, 100000000, 200000000, 300000000),"
    " (1, 1, 'b1', 0, 1, 3, 10000000000, 1000, 2, 1, 1, 10, 1000000000, 2000000000, 2500000000),"
    " (1, 2, 'b2', 1, 2, 4, 20000000000, 1000, 3, 1, 1, 10, 3000000000, 5000000000, 6000000000),"
    " (1, 3, 'b3', 1, 2, 5, 21000000000, 1000, 1, 1, 0, 9, 2000000000, 4000000000, NULL),"
    " (1, 4, 'b4', 2, 3, 6, 30000000000, 1000, 2, 1, 1, 8, 500000000, NULL, NULL),"
    " (1, 5, 'b5', 3, 3, 7, 31000000000, 1000, 0, 1, 0, 6, 4000000000, NULL, NULL);"
    "INSERT INTO txs (run_id, tx_index, tx_id, sender, nonce, amount, fee, size_bytes, origin, intent,"
    "                 submitted_ns, included_ns, main_block, confirmed_ns, final_ns) VALUES"
    " (1, 1, 't1', 1, 0, 5, 1, 250, 0, 'valid', 1000000000, 1500000000, 1, 2000000000, 3000000000),"
    " (1, 2, 't2', 2, 0, 5, 1, 250, 1, 'valid', 3000000000, 3500000000, 1, 5000000000, 7000000000),"
    " (1, 3, 't3', 3, 0, 5, 1, 250, 2, 'valid', 9000000000, 9500000000, 2, 12000000000, 15000000000),"
    " (1, 4, 't4', 4, 0, 5, 1, 250, 3, 'valid', 11000000000, 11500000000, 2, 15000000000, 19000000000),"
    " (1, 5, 't5', 5, 0, 5, 1, 250, 4, 'valid', 13000000000, 13500000000, 2, 18000000000, 43000000000),"
    " (1, 6, 't6', 6, 0, 5, 1, 250, 5, 'valid', 29000000000, 29500000000, 4, 35000000000, NULL),"
    " (1, 7, 't7', 7, 0, 5, 1, 250, 6, 'valid', 79500000000, 80000000000, 4, 99500000000, NULL),"
    " (1, 8, 't8', 8, 0, 5, 1, 250, 7, 'valid', 50000000000, 55000000000, NULL, NULL, NULL),"
    " (1, 9, 't9', 1, 0, 5, 1, 250, 8, 'double-spend', 60000000000, NULL, NULL, NULL, NULL),"
    " (1, 10, 't10', 2, 1, 5, 1, 250, 9, 'bad-signature', 70000000000, NULL, NULL, NULL, NULL);"
    "INSERT INTO reorgs (run_id, seq, node_id, at_ns, depth, old_tip, new_tip, fork_height) VALUES"
    " (1, 1, 4, 22000000000, 1, 3, 2, 1),"
    " (1, 2, 6, 32000000000, 2, 5, 4, 1);"
    "INSERT INTO rejections (run_id, object, reason, count) VALUES"
    " (1, 'tx', 'bad-signature', 3), (1, 'tx', 'double-spend', 4), (1, 'block', 'bad-parent', 2);"
    "INSERT INTO chain_summary (run_id, engine, main_height, final_height, missed_slots, slashed)"
    " VALUES (1, 'pos', 3, 1, 3, 1);"
    "INSERT INTO broadcasts (run_id, msg_id, origin, created_ns, size_bytes, reached, t50_ns, t90_ns, t100_ns)"
    " VALUES (2, 1, 0, 1000000000, 1000, 100, 300000000, 600000000, 900000000),"
    "        (2, 2, 1, 11000000000, 1000, 100, 100000000, 500000000, 700000000),"
    "        (2, 3, 2, 21000000000, 1000, 100, 200000000, 400000000, 800000000),"
    "        (2, 4, 3, 31000000000, 1000, 60, 250000000, NULL, NULL);"
    "COMMIT;";

/* The columns of v_run_summary, in order. */
static const char summary_columns[] =
    "run_id,scenario_name,seed,status,sim_seconds,blocks_total,blocks_stale,stale_rate,txs_submitted,"
    "txs_confirmed,tps,confirm_latency_p50_s,confirm_latency_p90_s,finality_latency_p50_s,"
    "finality_latency_p90_s,propagation_p50_s,propagation_p90_s,reorgs,reorg_max_depth,tx_rejected,"
    "blocks_rejected,broadcast_p50_s,broadcast_p90_s,engine,missed_slots,slashed,txs_confirmable,txs_finalized,"
    "confirmed_share,finalized_share,tps_window_start_s,tps_window_end_s,tps_window_s,adversary_revenue_share,"
    "adversary_blocks_main,double_spend_attempts,double_spend_successes,honest_stale_rate";

/* Creates dir/name through record_open() (schema and views) and runs sql on
 * it. Returns the path (g_free). */
static char *make_db(const char *dir, const char *name, const char *sql)
{
    char *path = g_build_filename(dir, name, NULL);
    char *err = NULL;
    record_t *r = record_open(path, &err);
    ck_assert_msg(r != NULL, "record_open: %s", err ? err : "?");
    record_close(r);
    if (sql) {
        sqlite3 *db = NULL;
        ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        char *msg = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
        ck_assert_msg(rc == SQLITE_OK, "fill: %s", msg ? msg : "?");
        sqlite3_close(db);
    }
    return path;
}

static char *make_test_db(void)
{
    char *dir = tu_tmpdir();
    char *path = make_db(dir, "results.db", fill_sql);
    g_free(dir);
    return path;
}

/* The v_run_summary row of run_id, ready to read (finalize and close with
 * row_close()). */
typedef struct row {
    sqlite3 *db;
    sqlite3_stmt *st;
} row_t;

static row_t row_open(const char *path, int64_t run_id)
{
    row_t r = { 0 };
    ck_assert_int_eq(sqlite3_open_v2(path, &r.db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(r.db, "SELECT * FROM v_run_summary WHERE run_id = ?1", -1, &r.st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(r.st, 1, run_id);
    ck_assert_int_eq(sqlite3_step(r.st), SQLITE_ROW);
    return r;
}

static void row_close(row_t *r)
{
    ck_assert_int_eq(sqlite3_step(r->st), SQLITE_DONE); /* one row per run */
    sqlite3_finalize(r->st);
    sqlite3_close(r->db);
}

static int col(const row_t *r, const char *name)
{
    for (int i = 0; i < sqlite3_column_count(r->st); i++)
        if (strcmp(sqlite3_column_name(r->st, i), name) == 0)
            return i;
    ck_abort_msg("v_run_summary has no column %s", name);
    return -1;
}

static void expect_int(const row_t *r, const char *name, int64_t want)
{
    int i = col(r, name);
    ck_assert_msg(sqlite3_column_type(r->st, i) == SQLITE_INTEGER, "%s: not an INTEGER", name);
    ck_assert_msg(sqlite3_column_int64(r->st, i) == want, "%s = %lld, want %lld", name,
                  (long long)sqlite3_column_int64(r->st, i), (long long)want);
}

static void expect_real(const row_t *r, const char *name, double want)
{
    int i = col(r, name);
    ck_assert_msg(sqlite3_column_type(r->st, i) == SQLITE_FLOAT, "%s: not a REAL (type %d)", name,
                  sqlite3_column_type(r->st, i));
    double got = sqlite3_column_double(r->st, i);
    ck_assert_msg(fabs(got - want) < 1e-12, "%s = %.17g, want %.17g", name, got, want);
}

static void expect_null(const row_t *r, const char *name)
{
    int i = col(r, name);
    ck_assert_msg(sqlite3_column_type(r->st, i) == SQLITE_NULL, "%s: not NULL", name);
}

static void expect_text(const row_t *r, const char *name, const char *want)
{
    int i = col(r, name);
    ck_assert_msg(sqlite3_column_type(r->st, i) == SQLITE_TEXT, "%s: not TEXT", name);
    ck_assert_str_eq((const char *)sqlite3_column_text(r->st, i), want);
}

/* Asserts that hay contains needle, showing hay when it does not. */
#define ck_assert_contains(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "missing <%s> in:\n%s", (needle), (hay))

START_TEST(test_summary_columns)
{
    char *db = make_test_db();
    row_t r = row_open(db, 1);
    GString *names = g_string_new(NULL);
    for (int i = 0; i < sqlite3_column_count(r.st); i++)
        g_string_append_printf(names, "%s%s", i ? "," : "", sqlite3_column_name(r.st, i));
    ck_assert_str_eq(names->str, summary_columns);
    g_string_free(names, TRUE);
    row_close(&r);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM v_run_summary"), 2);
    g_free(db);
}
END_TEST

START_TEST(test_summary_run1)
{
    char *db = make_test_db();
    row_t r = row_open(db, 1);
    expect_int(&r, "run_id", 1);
    expect_text(&r, "scenario_name", "pow-demo");
    expect_int(&r, "seed", 42);
    expect_text(&r, "status", "complete");
    expect_real(&r, "sim_seconds", 100.0);
    expect_int(&r, "blocks_total", 5);           /* genesis excluded */
    expect_int(&r, "blocks_stale", 2);           /* blocks 3 and 5 */
    expect_real(&r, "stale_rate", 2.0 / 5.0);    /* 0.4 */
    expect_int(&r, "txs_submitted", 10);
    expect_int(&r, "txs_confirmed", 7);
    expect_real(&r, "tps", 7.0 / 99.0);          /* over [1 s, 100 s] */
    expect_real(&r, "tps_window_start_s", 1.0);  /* the first submission */
    expect_real(&r, "tps_window_end_s", 100.0);  /* no workload.stop: the end */
    expect_real(&r, "tps_window_s", 99.0);
    expect_int(&r, "txs_confirmable", 8);        /* 9 and 10 invalid, never confirmed */
    expect_int(&r, "txs_finalized", 5);
    expect_real(&r, "confirmed_share", 7.0 / 8.0);
    expect_real(&r, "finalized_share", 5.0 / 8.0);
    expect_real(&r, "confirm_latency_p50_s", 4.0);   /* rank 4 of 7 */
    expect_real(&r, "confirm_latency_p90_s", 20.0);  /* rank 7 of 7 */
    expect_real(&r, "finality_latency_p50_s", 6.0);  /* rank 3 of 5 */
    expect_real(&r, "finality_latency_p90_s", 30.0); /* rank 5 of 5 */
    expect_real(&r, "propagation_p50_s", 2.0);   /* median t50, rank 3 of 5 */
    expect_real(&r, "propagation_p90_s", 4.0);   /* median t90, rank 2 of 3 */
    expect_int(&r, "reorgs", 2);
    expect_int(&r, "reorg_max_depth", 2);
    expect_int(&r, "tx_rejected", 7);            /* 3 + 4 */
    expect_int(&r, "blocks_rejected", 2);
    expect_null(&r, "broadcast_p50_s");          /* no broadcasts in run 1 */
    expect_null(&r, "broadcast_p90_s");
    row_close(&r);
    g_free(db);
}
END_TEST

START_TEST(test_summary_network_only)
{
    char *db = make_test_db();
    row_t r = row_open(db, 2);
    expect_int(&r, "run_id", 2);
    expect_text(&r, "scenario_name", "net \"only\"\\path\t");
    expect_int(&r, "seed", 7);
    expect_real(&r, "sim_seconds", 50.0);
    expect_int(&r, "blocks_total", 0);
    expect_int(&r, "blocks_stale", 0);
    expect_real(&r, "stale_rate", 0.0);
    expect_int(&r, "txs_submitted", 0);
    expect_int(&r, "txs_confirmed", 0);
    expect_real(&r, "tps", 0.0);
    expect_real(&r, "tps_window_s", 50.0); /* no submission: the whole run */
    expect_int(&r, "txs_confirmable", 0);
    expect_null(&r, "confirmed_share");
    expect_null(&r, "finalized_share");
    expect_null(&r, "confirm_latency_p50_s");
    expect_null(&r, "confirm_latency_p90_s");
    expect_null(&r, "finality_latency_p50_s");
    expect_null(&r, "finality_latency_p90_s");
    expect_null(&r, "propagation_p50_s");
    expect_null(&r, "propagation_p90_s");
    expect_int(&r, "reorgs", 0);
    expect_int(&r, "reorg_max_depth", 0);
    expect_int(&r, "tx_rejected", 0);
    expect_int(&r, "blocks_rejected", 0);
    expect_real(&r, "broadcast_p50_s", 0.2); /* rank 2 of 4 */
    expect_real(&r, "broadcast_p90_s", 0.5); /* median t90, rank 2 of 3 */
    row_close(&r);
    g_free(db);
}
END_TEST

START_TEST(test_detail_views)
{
    char *db = make_test_db();
    char *s;

    /* v_block_propagation: non-genesis blocks, seconds, NULL when never. */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM v_block_propagation WHERE run_id = 1"), 5);
    s = tu_db_dump(db, "SELECT block_index, height, producer, main, created_ns, size_bytes, tx_count, reached,"
                       " t50_s, t90_s, t100_s FROM v_block_propagation WHERE run_id = 1 ORDER BY block_index");
    ck_assert_str_eq(s, "1|1|3|1|10000000000|1000|2|10|1.0|2.0|2.5\n"
                        "2|2|4|1|20000000000|1000|3|10|3.0|5.0|6.0\n"
                        "3|2|5|0|21000000000|1000|1|9|2.0|4.0|NULL\n"
                        "4|3|6|1|30000000000|1000|2|8|0.5|NULL|NULL\n"
                        "5|3|7|0|31000000000|1000|0|6|4.0|NULL|NULL\n");
    g_free(s);

    /* v_tx_latency: one row per transaction. */
    s = tu_db_dump(db, "SELECT tx_index, intent, submitted_s, included_s, confirm_latency_s, final_latency_s"
                       " FROM v_tx_latency WHERE run_id = 1 ORDER BY tx_index");
    ck_assert_str_eq(s, "1|valid|1.0|1.5|1.0|2.0\n"
                        "2|valid|3.0|3.5|2.0|4.0\n"
                        "3|valid|9.0|9.5|3.0|6.0\n"
                        "4|valid|11.0|11.5|4.0|8.0\n"
                        "5|valid|13.0|13.5|5.0|30.0\n"
                        "6|valid|29.0|29.5|6.0|NULL\n"
                        "7|valid|79.5|80.0|20.0|NULL\n"
                        "8|valid|50.0|55.0|NULL|NULL\n"
                        "9|double-spend|60.0|NULL|NULL|NULL\n"
                        "10|bad-signature|70.0|NULL|NULL|NULL\n");
    g_free(s);

    /* v_throughput: ten 10-second windows over 100 s, empty ones included. */
    s = tu_db_dump(db, "SELECT window_start_s, confirmed_txs, tps FROM v_throughput WHERE run_id = 1"
                       " ORDER BY window_start_s");
    ck_assert_str_eq(s, "0.0|2|0.2\n10.0|3|0.3\n20.0|0|0.0\n30.0|1|0.1\n40.0|0|0.0\n"
                        "50.0|0|0.0\n60.0|0|0.0\n70.0|0|0.0\n80.0|0|0.0\n90.0|1|0.1\n");
    g_free(s);
    /* Every confirmation is in exactly one window. */
    ck_assert_int_eq(tu_db_int(db, "SELECT sum(confirmed_txs) FROM v_throughput WHERE run_id = 1"), 7);
    /* The network-only run: five empty windows over 50 s. */
    s = tu_db_dump(db, "SELECT count(*), sum(confirmed_txs), max(tps) FROM v_throughput WHERE run_id = 2");
    ck_assert_str_eq(s, "5|0|0.0\n");
    g_free(s);

    /* v_reorgs. */
    s = tu_db_dump(db, "SELECT node_id, at_s, depth, old_tip, new_tip, fork_height FROM v_reorgs"
                       " WHERE run_id = 1 ORDER BY at_s");
    ck_assert_str_eq(s, "4|22.0|1|3|2|1\n6|32.0|2|5|4|1\n");
    g_free(s);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM v_reorgs WHERE run_id = 2"), 0);

    /* The helper views give the same nearest-rank percentiles as the summary. */
    s = tu_db_dump(db, "SELECT metric, sample_count, value_ns FROM v_distribution_ranked"
                       " WHERE value_rank = (50 * sample_count + 99) / 100 ORDER BY run_id, metric");
    ck_assert_str_eq(s, "block_t50|5|2000000000\n"
                        "block_t90|3|4000000000\n"
                        "confirm_latency|7|4000000000\n"
                        "finality_latency|5|6000000000\n"
                        "broadcast_t50|4|200000000\n"
                        "broadcast_t90|3|500000000\n");
    g_free(s);
    ck_assert_int_eq(tu_db_int(db, "SELECT value_ns FROM v_distribution_ranked WHERE run_id = 1 AND"
                                   " metric = 'confirm_latency' AND value_rank = (90 * sample_count + 99) / 100"),
                     S(20));
    g_free(db);
}
END_TEST

/* Every view works on a database without rows, and again after a second
 * record_open() of the same file (CREATE VIEW IF NOT EXISTS). A run still
 * running (no sim_end_ns) has no simulated time and no throughput. */
START_TEST(test_views_empty_and_running)
{
    static const char *const views[] = { "v_block_propagation", "v_tx_latency",           "v_throughput",
                                         "v_reorgs",            "v_distribution_samples", "v_distribution_ranked",
                                         "v_run_summary" };
    char *dir = tu_tmpdir();
    char *db = make_db(dir, "empty.db", NULL);
    g_free(make_db(dir, "empty.db", NULL));
    for (size_t i = 0; i < G_N_ELEMENTS(views); i++) {
        char *sql = g_strdup_printf("SELECT count(*) FROM %s", views[i]);
        ck_assert_int_eq(tu_db_int(db, sql), 0);
        g_free(sql);
    }
    g_free(db);

    db = make_db(dir, "running.db",
                 "INSERT INTO runs (run_id, scenario_name, scenario_path, scenario_text, params, overrides, seed,"
                 " version, command, started_at, status) VALUES (1, 'r', 'r.ini', '', '', '', 1, 'test', 'c',"
                 " '2024-01-01T00:00:00Z', 'running')");
    row_t r = row_open(db, 1);
    expect_text(&r, "status", "running");
    expect_null(&r, "sim_seconds");
    expect_null(&r, "tps");
    expect_int(&r, "blocks_total", 0);
    expect_real(&r, "stale_rate", 0.0);
    row_close(&r);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM v_throughput"), 0);
    g_free(db);
    g_free(dir);
}
END_TEST

START_TEST(test_report_json)
{
    char *db = make_test_db();
    char *out = NULL, *err = NULL;

    /* Run 1 by --run. */
    int rc = tu_chainsim(&out, &err, "report", db, "--run", "1", "--json", NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert_msg(g_str_has_prefix(out, "{\n  \"run_id\": 1,\n"), "%s", out);
    ck_assert_msg(strstr(out, "  \"slashed\": 1,\n"), "%s", out);
    /* no adversary: its figures are null */
    ck_assert_msg(g_str_has_suffix(out, "  \"adversary_revenue_share\": null,\n  \"adversary_blocks_main\": null,\n"
                                        "  \"double_spend_attempts\": null,\n  \"double_spend_successes\": null,\n"
                                        "  \"honest_stale_rate\": null\n}\n"), "%s", out);
    static const char *const run1[] = {
        "\"scenario\": \"pow-demo\",",     "\"seed\": 42,",
        "\"status\": \"complete\",",       "\"sim_seconds\": 100.0,",
        "\"blocks_total\": 5,",            "\"blocks_stale\": 2,",
        "\"stale_rate\": 0.4,",            "\"tps\": 0.0707070707070707,",
        "\"confirmed_share\": 0.875,",    "\"finalized_share\": 0.625,",
        "\"txs_confirmable\": 8,",        "\"txs_finalized\": 5,",
        "\"txs_submitted\": 10,",          "\"txs_confirmed\": 7,",
        "\"confirm_latency_p50_s\": 4.0,", "\"confirm_latency_p90_s\": 20.0,",
        "\"finality_latency_p50_s\": 6.0,", "\"finality_latency_p90_s\": 30.0,",
        "\"propagation_p50_s\": 2.0,",     "\"propagation_p90_s\": 4.0,",
        "\"reorgs\": 2,",                  "\"reorg_max_depth\": 2,",
        "\"tx_rejected\": 7,",             "\"blocks_rejected\": 2,",
        "\"broadcast_p50_s\": null,",     "\"broadcast_p90_s\": null,",
        "\"consensus\": \"pos\",",         "\"missed_slots\": 3,",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(run1); i++)
        ck_assert_contains(out, run1[i]);
    /* 37 keys, one a line, between the braces. */
    char **lines = g_strsplit(out, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 37 + 3); /* "{", 37 pairs, "}", "" */
    g_strfreev(lines);
    g_free(out);
    g_free(err);

    /* Without --run: the latest run, 2, network-only; its name escaped. */
    rc = tu_chainsim(&out, &err, "report", db, "--json", NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    static const char *const run2[] = {
        "\"run_id\": 2,",       "\"scenario\": \"net \\\"only\\\"\\\\path\\t\",",
        "\"seed\": 7,",         "\"sim_seconds\": 50.0,",
        "\"blocks_total\": 0,", "\"blocks_stale\": 0,",
        "\"stale_rate\": 0.0,", "\"tps\": 0.0,",
        "\"txs_submitted\": 0,", "\"txs_confirmed\": 0,",
        "\"confirm_latency_p50_s\": null,", "\"finality_latency_p90_s\": null,",
        "\"propagation_p50_s\": null,", "\"propagation_p90_s\": null,",
        "\"reorgs\": 0,",       "\"reorg_max_depth\": 0,",
        "\"tx_rejected\": 0,",  "\"blocks_rejected\": 0,",
        "\"broadcast_p50_s\": 0.2,", "\"broadcast_p90_s\": 0.5,",
        "\"consensus\": null,", "\"missed_slots\": null,", "\"slashed\": null,", "\"honest_stale_rate\": null\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(run2); i++)
        ck_assert_contains(out, run2[i]);
    ck_assert_str_eq(err, "");
    g_free(out);
    g_free(err);

    /* --run=ID works too. */
    rc = tu_chainsim(&out, NULL, "report", "--json", "--run=1", db, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_contains(out, "\"run_id\": 1,");
    g_free(out);
    g_free(db);
}
END_TEST

START_TEST(test_report_table)
{
    char *db = make_test_db();
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "report", db, "--run", "1", NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    static const char *const want[] = {
        "pow-demo",          "simulated time",       "100.000 s",       "stale blocks",
        "stale rate",        "40.00 %",              "throughput",      "0.071 tx/s",
        "transactions submitted", "transactions confirmed", "confirmation latency p50", "4.000 s",
        "confirmation latency p90", "20.000 s",      "finality latency p50", "6.000 s",
        "finality latency p90", "30.000 s",          "block to 50% of nodes (median)", "2.000 s",
        "block to 90% of nodes (median)",            "reorgs",          "deepest reorg",
        "rejected transactions", "rejected blocks",  "broadcast to 50% of nodes (median)",
        "\u2014", /* NULL broadcast times */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
        ck_assert_contains(out, want[i]);
    /* Two aligned columns: every value starts at the same column. */
    char **lines = g_strsplit(out, "\n", -1);
    const char *val = strstr(lines[0], db);
    ck_assert_ptr_nonnull(val);
    size_t value_col = (size_t)(val - lines[0]);
    for (char **l = lines; *l && **l; l++) {
        ck_assert_msg(strlen(*l) > value_col && (*l)[value_col - 1] == ' ' && (*l)[value_col] != ' ',
                      "not aligned: <%s>", *l);
    }
    g_strfreev(lines);
    g_free(out);
    g_free(err);

    /* The network-only run reports zeros and dashes without errors. */
    rc = tu_chainsim(&out, &err, "report", db, NULL);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert_str_eq(err, "");
    ck_assert_contains(out, "0.00 %");
    ck_assert_contains(out, "0.000 tx/s");
    ck_assert_contains(out, "0.200 s");
    ck_assert_contains(out, "0.500 s");
    g_free(out);
    g_free(err);
    g_free(db);
}
END_TEST

/* Runs `chainsim report args...` and asserts exit 2 with an error that
 * contains `mention` (e.g. the file name or the run) and no output. */
static void expect_bad(const char *mention, const char *a1, const char *a2, const char *a3)
{
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "report", a1, a2, a3, NULL);
    ck_assert_msg(rc == 2, "report %s %s %s: exit %d\n%s%s", a1, a2 ? a2 : "", a3 ? a3 : "", rc, out, err);
    ck_assert_str_eq(out, "");
    ck_assert_contains(err, "chainsim report");
    ck_assert_contains(err, mention);
    g_free(out);
    g_free(err);
}

START_TEST(test_report_errors)
{
    char *db = make_test_db();
    char *dir = tu_tmpdir();

    char *missing = g_build_filename(dir, "missing.db", NULL);
    expect_bad(missing, missing, NULL, NULL);
    ck_assert(!g_file_test(missing, G_FILE_TEST_EXISTS)); /* read-only: nothing created */

    char *text = tu_write(dir, "notes.db", "these are notes, not a database\n");
    expect_bad(text, text, NULL, NULL);
    expect_bad(text, text, "--json", NULL);

    char *empty = tu_write(dir, "empty.db", "");
    expect_bad("not a chainsim results database", empty, NULL, NULL);

    /* An SQLite database made by another tool. */
    char *other = g_build_filename(dir, "other.db", NULL);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(other, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE runs (id INTEGER)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    expect_bad("v_run_summary", other, NULL, NULL);

    /* A chainsim database without any run. */
    char *norun = make_db(dir, "norun.db", NULL);
    expect_bad("no run", norun, NULL, NULL);

    expect_bad("no run 99", db, "--run", "99");
    expect_bad("--run abc", db, "--run", "abc");
    expect_bad("--run 0", db, "--run", "0");
    expect_bad("needs a value", db, "--run", NULL);
    expect_bad("unknown option --bogus", db, "--bogus", NULL);
    expect_bad("missing the results database", "--json", NULL, NULL);
    expect_bad("second", db, db, NULL);
    expect_bad("folder", dir, NULL, NULL);

    /* --help succeeds and explains the options. */
    char *out = NULL;
    ck_assert_int_eq(tu_chainsim(&out, NULL, "report", "--help", NULL), 0);
    ck_assert_contains(out, "usage: chainsim report DB [--run ID] [--json]");
    g_free(out);

    g_free(missing);
    g_free(text);
    g_free(empty);
    g_free(other);
    g_free(norun);
    g_free(dir);
    g_free(db);
}
END_TEST

/* ---- the status of runs that did not complete -------------------------- */

/* No process has this id (above any pid_max): kill(pid, 0) fails with ESRCH. */
#define GONE_PID "2147483646"

/* A database (runs with the columns pid and host, as the recorder writes
 * them) with runs in every status; the first run is
 * run 1 of fill_sql, complete. Returns the path (g_free). */
static char *make_status_db(const char *dir)
{
    char *sql = g_strdup_printf(
        "%s"
        "INSERT INTO runs (run_id, scenario_name, scenario_path, scenario_text, params, overrides, seed, version,"
        "                  command, started_at, status, error, pid, host) VALUES"
        " (3, 'stopped', 's.ini', '', '', '', 1, 'test', 'c', '2024-01-01T00:00:00Z', 'interrupted',"
        "  'stopped by a signal', NULL, NULL),"
        " (4, 'killed', 's.ini', '', '', '', 1, 'test', 'c', '2024-01-01T00:00:00Z', 'running', NULL, " GONE_PID ","
        "  '%s'),"
        " (5, 'alive', 's.ini', '', '', '', 1, 'test', 'c', '2024-01-01T00:00:00Z', 'running', NULL, %d, '%s'),"
        " (6, 'remote', 's.ini', '', '', '', 1, 'test', 'c', '2024-01-01T00:00:00Z', 'running', NULL, 77,"
        "  'elsewhere.example'),"
        " (7, 'unknown', 's.ini', '', '', '', 1, 'test', 'c', '2024-01-01T00:00:00Z', 'running', NULL, NULL, NULL);",
        fill_sql, g_get_host_name(), (int)getpid(), g_get_host_name());
    char *path = make_db(dir, "status.db", sql);
    g_free(sql);
    return path;
}

static void expect_status(sqlite3 *db, int64_t run_id, const char *state, const char *text, bool complete)
{
    resultsdb_status_t st;
    ck_assert_int_eq(resultsdb_run_status("test", db, "status.db", run_id, &st), 0);
    ck_assert_str_eq(st.state, state);
    ck_assert_str_eq(st.text, text);
    ck_assert_int_eq(st.complete, complete);
    resultsdb_status_clear(&st);
}

START_TEST(test_run_status_rule)
{
    char *dir = tu_tmpdir();
    char *path = make_status_db(dir);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *alive = g_strdup_printf("running (pid %d)", (int)getpid());
    expect_status(db, 1, "complete", "complete", true);
    expect_status(db, 3, "interrupted", "interrupted", false);
    expect_status(db, 4, "abandoned", "abandoned (pid " GONE_PID " is gone)", false);
    expect_status(db, 5, "running", alive, false);
    expect_status(db, 6, "running", "running (on elsewhere.example, pid 77)", false);
    expect_status(db, 7, "running", "running", false);
    resultsdb_status_t st;
    ck_assert_int_eq(resultsdb_run_status("test", db, "status.db", 3, &st), 0);
    ck_assert_str_eq(st.error, "stopped by a signal");
    resultsdb_status_clear(&st);
    ck_assert_int_eq(resultsdb_run_status("test", db, "status.db", 99, &st), 2);
    sqlite3_close(db);
    g_free(alive);

    /* Without the columns pid and host (older databases): as recorded. */
    char *old = make_db(dir, "old.db",
                        "INSERT INTO runs (run_id, scenario_name, scenario_path, scenario_text, params, overrides,"
                        " seed, version, command, started_at, status) VALUES (1, 'r', 'r.ini', '', '', '', 1,"
                        " 'test', 'c', '2024-01-01T00:00:00Z', 'running')");
    ck_assert_int_eq(sqlite3_open_v2(old, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    expect_status(db, 1, "running", "running", false);
    sqlite3_close(db);
    g_free(old);
    g_free(path);
    g_free(dir);
}
END_TEST

/* `report` says clearly when a run did not complete, and exits 0. */
START_TEST(test_report_incomplete_runs)
{
    char *dir = tu_tmpdir();
    char *db = make_status_db(dir);
    static const struct {
        const char *run, *status_line, *json, *note;
    } cases[] = {
        { "4", "abandoned (pid " GONE_PID " is gone)", "\"status\": \"abandoned\",", "its process is gone" },
        { "3", "interrupted: stopped by a signal", "\"status\": \"interrupted\",", "did not complete" },
        { "6", "running (on elsewhere.example, pid 77)", "\"status\": \"running\",", "is still running" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *out = NULL, *err = NULL;
        int rc = tu_chainsim(&out, &err, "report", db, "--run", cases[i].run, NULL);
        ck_assert_msg(rc == 0, "run %s: exit %d\n%s", cases[i].run, rc, err);
        char *line = g_strdup_printf("\nstatus  ");
        const char *at = strstr(out, line);
        ck_assert_msg(at != NULL, "no status line:\n%s", out);
        ck_assert_contains(out, cases[i].status_line);
        ck_assert_contains(err, "chainsim report: note: run ");
        ck_assert_contains(err, cases[i].note);
        g_free(line);
        g_free(out);
        g_free(err);
        rc = tu_chainsim(&out, &err, "report", db, "--run", cases[i].run, "--json", NULL);
        ck_assert_int_eq(rc, 0);
        ck_assert_contains(out, cases[i].json);
        ck_assert_contains(err, cases[i].note);
        g_free(out);
        g_free(err);
    }
    /* A complete run: no note (its latency coverage warnings aside). */
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, "--run", "1", NULL), 0);
    ck_assert_msg(strstr(err, "note:") == NULL, "%s", err);
    g_free(out);
    g_free(err);
    g_free(db);
    g_free(dir);
}
END_TEST

/* tps is over the workload's active window: from the first submission to
 * workload.stop (a duration as written in run_params) or the end of the
 * run, whichever is first; a drain period after the stop does not dilute
 * it. Four transactions submitted at 10, 20, 30, 40 s, all confirmed by
 * 60 s, in a run of 100 s. */
START_TEST(test_tps_active_window)
{
    char *dir = tu_tmpdir();
    char *db = make_db(dir, "window.db",
                       "INSERT INTO runs (run_id, scenario_name, scenario_path, scenario_text, params, overrides,"
                       " seed, version, command, started_at, status, sim_end_ns) VALUES (1, 'w', 'w.ini', '', '',"
                       " '', 1, 'test', 'c', '2024-01-01T00:00:00Z', 'complete', 100000000000);"
                       "INSERT INTO txs (run_id, tx_index, tx_id, sender, nonce, amount, fee, size_bytes, origin,"
                       " intent, submitted_ns, included_ns, main_block, confirmed_ns, final_ns) VALUES"
                       " (1, 1, 'a', 1, 0, 5, 1, 250, 0, 'valid', 10000000000, NULL, NULL, 15000000000, NULL),"
                       " (1, 2, 'b', 2, 0, 5, 1, 250, 0, 'valid', 20000000000, NULL, NULL, 25000000000, NULL),"
                       " (1, 3, 'c', 3, 0, 5, 1, 250, 0, 'valid', 30000000000, NULL, NULL, 45000000000, NULL),"
                       " (1, 4, 'd', 4, 0, 5, 1, 250, 0, 'valid', 40000000000, NULL, NULL, 60000000000, NULL);"
                       "INSERT INTO run_params (run_id, key, value) VALUES (1, 'workload.stop', '0');");
    static const struct {
        const char *stop;
        double end_s; /* of the window */
    } cases[] = {
        { "0", 100.0 },      /* no stop: the end of the run */
        { "50s", 50.0 },     { "1m", 60.0 },  { "45000ms", 45.0 }, { "0.75m", 45.0 },
        { "2h", 100.0 },     /* after the end of the run */
        { "1.5 m", 90.0 },
    };
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *sql = sqlite3_mprintf("UPDATE run_params SET value = %Q WHERE run_id = 1", cases[i].stop);
        ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_free(sql);
        row_t r = row_open(db, 1);
        expect_real(&r, "tps_window_start_s", 10.0);
        expect_real(&r, "tps_window_end_s", cases[i].end_s);
        expect_real(&r, "tps", 4.0 / (cases[i].end_s - 10.0));
        row_close(&r);
    }
    sqlite3_close(h);

    /* report says what tps divides by. */
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, NULL), 0);
    ck_assert_contains(out, "0.050 tx/s  (over the workload's active window");
    ck_assert_contains(out, "throughput window from");
    g_free(out);
    g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, "--json", NULL), 0);
    ck_assert_contains(out, "\"tps\": 0.05,");
    ck_assert_contains(out, "\"tps_window_start_s\": 10.0,");
    ck_assert_contains(out, "\"tps_window_end_s\": 90.0,");
    g_free(out);
    g_free(err);
    g_free(db);
    g_free(dir);
}
END_TEST

/* Beside each latency percentile, how many transactions it covers; below
 * 95 % of the confirmable ones, a warning that it is biased low. Run 1:
 * 7 of 8 confirmed (87.5 %), 5 of 8 final (62.5 %). */
START_TEST(test_report_coverage_warning)
{
    char *db = make_test_db();
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, "--run", "1", NULL), 0);
    ck_assert_contains(out, "4.000 s  (7 of 8 transactions confirmed, 87.5 %; biased low");
    ck_assert_contains(out, "6.000 s  (5 of 8 transactions final, 62.5 %; biased low");
    ck_assert_contains(out, "confirmed share");
    ck_assert_contains(err, "warning: the confirmation latency percentiles cover only 7 of the 8 confirmable"
                            " transactions (87.5 %");
    ck_assert_contains(err, "warning: the finality latency percentiles cover only 5 of the 8");
    g_free(out);
    g_free(err);
    /* JSON: the shares, and the same warning on stderr. */
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, "--run", "1", "--json", NULL), 0);
    ck_assert_contains(out, "\"confirmed_share\": 0.875,");
    ck_assert_contains(err, "biased low");
    g_free(out);
    g_free(err);

    /* Every confirmable transaction confirmed and final: no warning. */
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "UPDATE txs SET confirmed_ns = submitted_ns + 1000000000, final_ns ="
                                     " submitted_ns + 2000000000 WHERE run_id = 1 AND intent = 'valid'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, "--run", "1", NULL), 0);
    ck_assert_contains(out, "(8 of 8 transactions confirmed, 100.0 %)");
    ck_assert_str_eq(err, "");
    g_free(out);
    g_free(err);
    g_free(db);
}
END_TEST

/* The finding that started this: on the proof-of-stake comparison preset
 * most transactions never reach finality before the run ends, and report
 * says so instead of quoting a biased median. */
START_TEST(test_censored_share_pos_preset)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "pos.db", NULL);
    char *ini = tu_source("scenarios/compare-pos.ini");
    char *out = NULL, *err = NULL;
    /* the preset as it was: submissions to the end of a 30 min run */
    int rc = tu_chainsim(&out, &err, "run", ini, "--set", "network.nodes=30", "--set", "workload.tx_rate=1/s",
                         "--set", "workload.stop=0", "--set", "scenario.duration=30m", "--out", db, "--quiet", NULL);
    ck_assert_msg(rc == 0, "run: exit %d\n%s", rc, err);
    g_free(out);
    g_free(err);
    int64_t submitted = tu_db_int(db, "SELECT count(*) FROM txs");
    int64_t final = tu_db_int(db, "SELECT count(*) FROM txs WHERE final_ns IS NOT NULL");
    ck_assert_int_gt(final, 0);
    ck_assert_msg(final * 100 < submitted * 95, "%lld of %lld final", (long long)final, (long long)submitted);
    rc = tu_chainsim(&out, &err, "report", db, "--json", NULL);
    ck_assert_int_eq(rc, 0);
    char *want = g_strdup_printf("\"txs_finalized\": %lld,", (long long)final);
    ck_assert_contains(out, want);
    ck_assert_contains(err, "warning: the finality latency percentiles cover only");
    ck_assert_contains(err, "biased low");
    g_free(want);
    g_free(out);
    g_free(err);

    /* as shipped, the workload stops early enough for every transaction to
     * reach finality: no warning */
    char *db2 = g_build_filename(dir, "pos2.db", NULL);
    rc = tu_chainsim(&out, &err, "run", ini, "--set", "network.nodes=30", "--set", "workload.tx_rate=1/s", "--out",
                     db2, "--quiet", NULL);
    ck_assert_msg(rc == 0, "run: exit %d\n%s", rc, err);
    g_free(out);
    g_free(err);
    ck_assert_int_eq(tu_db_int(db2, "SELECT count(*) FROM txs WHERE final_ns IS NULL AND intent = 'valid'"), 0);
    rc = tu_chainsim(&out, &err, "report", db2, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(err, "warning") == NULL, "%s", err);
    g_free(out);
    g_free(err);
    g_free(db2);
    g_free(ini);
    g_free(db);
    g_free(dir);
}
END_TEST

/* A database keeps the views it was made with: report reads an older
 * v_run_summary, showing the columns it lacks as null with a note. */
START_TEST(test_report_older_view)
{
    char *db = make_test_db();
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h,
                                  "DROP VIEW v_run_summary; CREATE VIEW v_run_summary AS SELECT run_id,"
                                  " scenario_name, seed, status, sim_end_ns / 1e9 AS sim_seconds FROM runs",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, "--run", "1", "--json", NULL), 0);
    ck_assert_contains(out, "\"sim_seconds\": 100.0,");
    ck_assert_contains(out, "\"confirmed_share\": null,");
    ck_assert_contains(err, "created by an older chainsim and lacks");
    ck_assert_contains(err, "confirmed_share");
    g_free(out);
    g_free(err);
    g_free(db);
}
END_TEST

/* report says what the run's record.detail left out and how to record it. */
START_TEST(test_report_detail_hint)
{
    char *db = make_test_db();
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, "--run", "1", NULL), 0);
    ck_assert(strstr(out, "recorded detail") == NULL); /* no record.detail recorded */
    g_free(out);
    g_free(err);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "INSERT INTO run_params (run_id, key, value) VALUES (1, 'record.detail',"
                                     " 'messages'), (2, 'record.detail', 'arrivals')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, "--run", "1", NULL), 0);
    ck_assert_contains(out, "recorded detail");
    ck_assert_contains(out, "messages  (no per-node block arrivals");
    ck_assert_contains(out, "--set record.detail=arrivals");
    g_free(out);
    g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "report", db, "--run", "2", NULL), 0);
    ck_assert_contains(out, "arrivals\n");
    g_free(out);
    g_free(err);
    g_free(db);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *views = tcase_create("views");
    tcase_set_timeout(views, 60);
    tcase_add_test(views, test_summary_columns);
    tcase_add_test(views, test_summary_run1);
    tcase_add_test(views, test_summary_network_only);
    tcase_add_test(views, test_detail_views);
    tcase_add_test(views, test_views_empty_and_running);
    suite_add_tcase(s, views);
    TCase *cmd = tcase_create("command");
    tcase_set_timeout(cmd, 120);
    tcase_add_test(cmd, test_report_json);
    tcase_add_test(cmd, test_report_table);
    tcase_add_test(cmd, test_report_errors);
    tcase_add_test(cmd, test_run_status_rule);
    tcase_add_test(cmd, test_report_incomplete_runs);
    tcase_add_test(cmd, test_tps_active_window);
    tcase_add_test(cmd, test_report_coverage_warning);
    tcase_add_test(cmd, test_report_older_view);
    tcase_add_test(cmd, test_censored_share_pos_preset);
    tcase_add_test(cmd, test_report_detail_hint);
    suite_add_tcase(s, cmd);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(report_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
