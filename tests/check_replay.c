/*
 * check_replay.c - `chainsim replay` and `chainsim state` (sim/cmd/inspect.c).
 *
 * replay: presets run and replayed give "reproduced" and the recorded
 * digest (one with --seed and --set, which must come back from the stored
 * overrides); a database whose stored digest was altered gives exit 1 and
 * both digests; another program version is named before the run; --until
 * stops early; bad input exits 2; the database is never changed.
 *
 * state: at the end of a run every node's tip and final block are the ones
 * node_tips recorded, the total balance is the genesis balances plus the
 * block rewards of the node's chain, and an account's nonce is the number
 * of its transactions on that chain (txs.main_block); in the middle of a
 * run, the nodes' views replayed to a sample time give that sample's
 * figures (heights, distinct tips, mean mempool); bad input exits 2.
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cmd/inspect.h"
#include "tests/testutil.h"

static char *checksum(const char *path)
{
    char *c = NULL;
    gsize n = 0;
    ck_assert(g_file_get_contents(path, &c, &n, NULL));
    char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)c, n);
    g_free(c);
    return sum;
}

static void exec_sql(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(h));
    sqlite3_close(h);
}

/* The first column of the first row of sql, whole (tu_db_text stops at a
 * newline). */
static char *db_text(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    char *t = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return t;
}

static char *copy_db(const char *db, const char *dir, const char *name)
{
    char *to = g_build_filename(dir, name, NULL);
    char *c = NULL;
    gsize n = 0;
    ck_assert(g_file_get_contents(db, &c, &n, NULL));
    ck_assert(g_file_set_contents(to, c, (gssize)n, NULL));
    g_free(c);
    return to;
}

/* Runs scenarios/NAME.ini with the extra arguments into dir/NAME.db;
 * returns the path and the digest printed. */
static char *run_preset(const char *dir, const char *name, char **digest, ...) G_GNUC_NULL_TERMINATED;
static char *run_preset(const char *dir, const char *name, char **digest, ...)
{
    char *sc = g_strdup_printf("%s/scenarios/%s.ini", CHAINSIM_SOURCE_DIR, name);
    char *db = g_strdup_printf("%s/%s.db", dir, name);
    char *args[16] = { "run", sc, "--out", db, "--quiet" };
    int n = 5;
    va_list ap;
    va_start(ap, digest);
    for (char *a; n < 15 && (a = va_arg(ap, char *));)
        args[n++] = a;
    va_end(ap);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8],
                         args[9], args[10], args[11], NULL);
    ck_assert_msg(rc == 0, "%s: %s", name, err);
    char *d = strstr(out, "digest: ");
    ck_assert_ptr_nonnull(d);
    *digest = g_strndup(d + 8, 64);
    g_free(out);
    g_free(err);
    g_free(sc);
    return db;
}

static void assert_reproduced(const char *db, const char *digest)
{
    char *before = checksum(db);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "replay", db, NULL);
    ck_assert_msg(rc == 0, "%s\n%s", out, err);
    char *want = g_strdup_printf("reproduced: %s\n", digest);
    ck_assert_msg(strstr(out, want), "%s", out);
    ck_assert_msg(!strstr(err, "note:"), "%s", err);
    char *after = checksum(db);
    ck_assert_str_eq(before, after);
    g_free(want); g_free(out); g_free(err); g_free(before); g_free(after);
}

START_TEST(test_replay_presets)
{
    char *dir = tu_tmpdir();
    char *digest = NULL;
    char *db = run_preset(dir, "faults-demo", &digest, NULL);
    assert_reproduced(db, digest);
    g_free(db); g_free(digest);
    db = run_preset(dir, "quickstart", &digest, NULL);
    assert_reproduced(db, digest);
    g_free(db); g_free(digest);
    /* the seed and the overrides come back from the database */
    db = run_preset(dir, "compare-pos", &digest, "--seed", "5", "--set", "scenario.duration=90s", "--set",
                    "network.nodes=60", NULL);
    assert_reproduced(db, digest);
    g_free(db); g_free(digest);
    g_free(dir);
}
END_TEST

START_TEST(test_replay_detects_a_changed_digest)
{
    char *dir = tu_tmpdir();
    char *digest = NULL;
    char *db = run_preset(dir, "quickstart", &digest, "--set", "network.nodes=40", "--set", "scenario.duration=40s",
                          NULL);
    char *bad = copy_db(db, dir, "bad.db");
    const char *fake = "0000000000000000000000000000000000000000000000000000000000000000";
    char *sql = g_strdup_printf("UPDATE runs SET digest = '%s'", fake);
    exec_sql(bad, sql);
    char *before = checksum(bad);
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "replay", bad, NULL), 1);
    ck_assert_msg(strstr(out, fake) && strstr(out, digest), "%s", out);
    ck_assert_msg(strstr(err, "was not reproduced"), "%s", err);
    char *after = checksum(bad);
    ck_assert_str_eq(before, after);
    g_free(out); g_free(err);

    /* another version: said before the run, which still reproduces */
    char *old = copy_db(db, dir, "old.db");
    exec_sql(old, "UPDATE runs SET version = '0.0.1'");
    ck_assert_int_eq(tu_chainsim(&out, &err, "replay", old, NULL), 0);
    ck_assert_msg(strstr(err, "note: run 1 was recorded by chainsim 0.0.1; this is chainsim " CHAINSIM_VERSION), "%s",
                  err);
    ck_assert_msg(strstr(out, "reproduced: "), "%s", out);
    g_free(out); g_free(err);

    /* --until: the summary at that time, no digest */
    ck_assert_int_eq(tu_chainsim(&out, &err, "replay", db, "--until", "20s", NULL), 0);
    ck_assert_msg(strstr(out, "stopped at 20.000 s (--until)") && !strstr(out, "reproduced"), "%s", out);
    g_free(out); g_free(err);

    /* bad input: exit 2, nothing run */
    struct {
        const char *db;
        const char *a[3];
        const char *says;
    } cases[] = {
        { db, { "--until", "41s" }, "past the end of run 1" },
        { db, { "--until", "soon" }, "--until" },
        { db, { "--run", "2" }, "no run 2" },
        { db, { "--bogus" }, "unknown option --bogus" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        ck_assert_int_eq(tu_chainsim(&out, &err, "replay", cases[i].db, cases[i].a[0], cases[i].a[1], NULL), 2);
        ck_assert_msg(strstr(err, cases[i].says), "case %zu: %s", i, err);
        ck_assert_msg(!strstr(out, "replaying"), "case %zu: %s", i, out);
        g_free(out); g_free(err);
    }
    char *part = copy_db(db, dir, "part.db");
    exec_sql(part, "UPDATE runs SET status = 'interrupted'");
    ck_assert_int_eq(tu_chainsim(&out, &err, "replay", part, NULL), 2);
    ck_assert_msg(strstr(err, "did not complete (status interrupted)"), "%s", err);
    g_free(out); g_free(err);
    char *other = tu_write(dir, "other.db", "");
    exec_sql(other, "CREATE TABLE t (x)");
    ck_assert_int_eq(tu_chainsim(&out, &err, "replay", other, NULL), 2);
    ck_assert_msg(strstr(err, "not a chainsim results database"), "%s", err);
    g_free(out); g_free(err);

    g_free(other); g_free(part); g_free(old); g_free(before); g_free(after); g_free(sql); g_free(bad);
    g_free(db); g_free(digest); g_free(dir);
}
END_TEST

static int64_t q(const char *db, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int64_t q(const char *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    int64_t v = tu_db_int(db, sql);
    g_free(sql);
    return v;
}

/* The integer after "\"key\": " in a JSON text. */
static int64_t json_int(const char *json, const char *key)
{
    char *k = g_strdup_printf("\"%s\": ", key);
    const char *p = strstr(json, k);
    ck_assert_msg(p, "%s not in %s", key, json);
    int64_t v = g_ascii_strtoll(p + strlen(k), NULL, 10);
    g_free(k);
    return v;
}

START_TEST(test_state_at_the_end)
{
    char *dir = tu_tmpdir();
    char *digest = NULL;
    char *db = run_preset(dir, "quickstart", &digest, "--set", "network.nodes=60", "--set", "scenario.duration=60s",
                          NULL);
    int64_t end_ns = q(db, "SELECT sim_end_ns FROM runs");
    char *at = g_strdup_printf("%" G_GINT64_FORMAT "ns", end_ns);
    char *before = checksum(db);
    int64_t top = q(db, "SELECT max(height) FROM blocks WHERE main = 1");
    int64_t balance = q(db, "SELECT value FROM run_params WHERE key = 'ledger.balance'");
    int64_t accounts = q(db, "SELECT value FROM run_params WHERE key = 'ledger.accounts'");
    int64_t reward = q(db, "SELECT value FROM run_params WHERE key = 'consensus.reward'");
    /* the busiest sender, by main-chain transactions */
    int64_t sender = q(db, "SELECT sender FROM txs WHERE main_block IS NOT NULL GROUP BY sender "
                           "ORDER BY count(*) DESC, sender LIMIT 1");
    char *acct = g_strdup_printf("%" G_GINT64_FORMAT, sender);
    const char *nodes[] = { "0", "31", "59" };
    for (size_t i = 0; i < G_N_ELEMENTS(nodes); i++) {
        char *out = NULL, *err = NULL;
        int rc = tu_chainsim(&out, &err, "state", db, "--at", at, "--node", nodes[i], "--account", acct, "--json",
                             NULL);
        ck_assert_msg(rc == 0, "%s", err);
        int64_t node = g_ascii_strtoll(nodes[i], NULL, 10);
        const char *tip = strstr(out, "\"tip\": ");
        const char *fin = strstr(out, "\"final\": ");
        ck_assert(tip && fin);
        int64_t tip_index = json_int(tip, "block_index"), fin_index = json_int(fin, "block_index");
        ck_assert_int_eq(tip_index, q(db, "SELECT tip_index FROM node_tips WHERE node_id = %" G_GINT64_FORMAT, node));
        ck_assert_int_eq(fin_index, q(db, "SELECT final_index FROM node_tips WHERE node_id = %" G_GINT64_FORMAT, node));
        ck_assert_int_eq(json_int(tip, "height"), q(db, "SELECT height FROM blocks WHERE block_index = %"
                                                       G_GINT64_FORMAT, tip_index));
        char *idq = g_strdup_printf("SELECT block_id FROM blocks WHERE block_index = %" G_GINT64_FORMAT, tip_index);
        char *id = tu_db_text(db, idq);
        ck_assert_msg(strstr(tip, id), "%s", out);
        g_free(id);
        g_free(idq);
        /* every block reward of the node's chain is new money; fees move */
        int64_t h = json_int(tip, "height");
        ck_assert_int_eq(json_int(out, "total_balance"), accounts * balance + h * reward);
        /* the nonce: the sender's transactions on the node's chain */
        if (h == top && q(db, "SELECT main FROM blocks WHERE block_index = %" G_GINT64_FORMAT, tip_index))
            ck_assert_int_eq(json_int(strstr(out, "\"named\": "), "nonce"),
                             q(db, "SELECT count(*) FROM txs WHERE sender = %" G_GINT64_FORMAT
                                   " AND main_block IS NOT NULL", sender));
        g_free(out);
        g_free(err);
    }
    char *after = checksum(db);
    ck_assert_str_eq(before, after);

    /* text output */
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "state", db, "--at", "30s", "--node", "3", NULL), 0);
    ck_assert_msg(strstr(out, "node 3 at 30.000 s") && strstr(out, "largest balances:"), "%s", out);
    g_free(out);
    g_free(err);

    /* bad input */
    struct {
        const char *a[8];
        const char *says;
    } cases[] = {
        { { "--at", "10s", "--node", "60" }, "--node 60: run 1 has 60 nodes, 0 to 59" },
        { { "--at", "10h", "--node", "1" }, "past the end of run 1" },
        { { "--node", "1" }, "missing --at TIME" },
        { { "--at", "1s" }, "missing --node N" },
        { { "--at", "1s", "--node", "x" }, "--node" },
        { { "--at", "1s", "--node", "1", "--account", "cs00" }, "--account cs00: expected an address" },
        { { "--at", "1s", "--node", "1", "--account", "500" }, "account number from 0 to 499" },
        { { "--at", "1s", "--node", "1", "--run", "3" }, "no run 3" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *const *a = cases[i].a;
        ck_assert_int_eq(tu_chainsim(&out, &err, "state", db, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL),
                         2);
        ck_assert_msg(strstr(err, cases[i].says), "case %zu: %s", i, err);
        g_free(out);
        g_free(err);
    }
    char *net = tu_write(dir, "net.ini", "[network]\nnodes = 20\n[broadcast]\ncount = 2\n");
    char *netdb = g_build_filename(dir, "net.db", NULL);
    ck_assert_int_eq(tu_chainsim(&out, &err, "run", net, "--out", netdb, "--quiet", NULL), 0);
    g_free(out); g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "state", netdb, "--at", "1s", "--node", "1", NULL), 2);
    ck_assert_msg(strstr(err, "has no blockchain"), "%s", err);
    g_free(out); g_free(err);
    after = (g_free(after), checksum(db));
    ck_assert_str_eq(before, after);

    g_free(net); g_free(netdb); g_free(acct); g_free(at); g_free(before); g_free(after); g_free(db);
    g_free(digest); g_free(dir);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The nodes' views replayed to a sample time give that sample's figures. */
START_TEST(test_state_in_the_middle)
{
    char *dir = tu_tmpdir();
    char *digest = NULL;
    char *db = run_preset(dir, "quickstart", &digest, "--set", "network.nodes=60", "--set", "scenario.duration=60s",
                          NULL);
    char *text = db_text(db, "SELECT scenario_text FROM runs");
    char *sc_path = db_text(db, "SELECT scenario_path FROM runs");
    char *ov[] = { "network.nodes=60", "scenario.duration=60s" };
    char *errors = NULL;
    scenario_t *sc = scenario_load_text(sc_path, text, ov, 2, &errors);
    ck_assert_msg(sc, "%s", errors ? errors : "");
    ck_assert_int_ge(q(db, "SELECT count(*) FROM samples"), 11);
    sim_t *sim = sim_new(sc, NULL);
    for (int k = 3; k <= 11; k += 4) {
        int64_t t = q(db, "SELECT t_ns FROM samples ORDER BY t_ns LIMIT 1 OFFSET %d", k);
        ck_assert_int_eq(inspect_run_until(sim, (uint64_t)t, NULL), SIM_COMPLETE);
        uint32_t n = inspect_nodes(sim), up = 0;
        uint64_t *h = g_new(uint64_t, n), mp = 0, mp_max = 0;
        GHashTable *tips = g_hash_table_new(g_direct_hash, g_direct_equal);
        for (uint32_t i = 0; i < n; i++) {
            inspect_view_t v;
            inspect_node(sim, i, &v);
            if (!v.up)
                continue;
            h[up++] = v.tip.height;
            mp += v.mempool_txs;
            mp_max = MAX(mp_max, v.mempool_txs);
            g_hash_table_add(tips, GUINT_TO_POINTER(v.tip.index + 1));
        }
        qsort(h, up, sizeof *h, cmp_u64);
        char *row = g_strdup_printf("%" G_GUINT64_FORMAT "|%" G_GUINT64_FORMAT "|%" G_GUINT64_FORMAT "|%u|%"
                                    G_GUINT64_FORMAT, h[0], h[up - 1], h[(up + 1) / 2 - 1],
                                    g_hash_table_size(tips), mp_max);
        char *sql = g_strdup_printf("SELECT height_min || '|' || height_max || '|' || height_median || '|' || tips "
                                    "|| '|' || mempool_max FROM samples WHERE t_ns = %" G_GINT64_FORMAT, t);
        char *want = db_text(db, sql);
        ck_assert_str_eq(row, want);
        char *mean = g_strdup_printf("SELECT mempool_mean = %.17g FROM samples WHERE t_ns = %" G_GINT64_FORMAT,
                                     (double)mp / up, t);
        ck_assert_int_eq(tu_db_int(db, mean), 1);
        g_free(mean); g_free(row); g_free(sql); g_free(want); g_free(h);
        g_hash_table_destroy(tips);
    }
    sim_free(sim);
    scenario_free(sc);
    g_free(text); g_free(sc_path); g_free(db); g_free(digest); g_free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_replay_presets);
    tcase_add_test(tc, test_replay_detects_a_changed_digest);
    tcase_add_test(tc, test_state_at_the_end);
    tcase_add_test(tc, test_state_in_the_middle);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
