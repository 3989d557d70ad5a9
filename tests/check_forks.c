/*
 * check_forks.c - the fork log (sim/node/forklog.c, its tables and views)
 * and `chainsim forks`.
 *
 * A fork made by hand: three nodes in a full mesh where nothing is mined by
 * itself (1000 h blocks). Node 0 mines A = {t1} and node 1 mines B = {t4,
 * t2} on genesis, t4 spending account 0's nonce 0 again (t1 spends it in
 * A). Node 2 gets A and mines A2 on it; node 1 then gets A (equal work: it
 * keeps B) and A2 (heavier: it switches, a reorg of depth 1). B's
 * announcements were dropped, so only node 1 ever had it. Then the run
 * goes on to its end, relaying what is pending, and is recorded. So:
 *   one fork, at genesis; branch 0 = A (and A2, the block that decided it),
 *   winner; branch 1 = B, lost; depth 1; decided when A2 was made;
 *   t4: double-spent by t1, in A; t2: dropped (nobody mines again);
 *   one reorg, at node 1, from branch 1 to branch 0; every node ends on A2.
 *
 * A fork made by a partition: the preset scenarios/forks-demo.ini splits
 * the network for a minute. The log is checked against the blocks, reorgs
 * and txs tables, which the block protocol writes on its own: every block
 * with two children is a fork, every stale block is on exactly one losing
 * branch of a fork whose fork point is on the main chain, every reorg
 * belongs to a fork, every transaction fate agrees with txs.main_block.
 *
 * The command is run on both databases, and on bad input (exit 2, the
 * database left as it was).
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>

#include "core/consensus/pos.h"
#include "core/ledger.h"
#include "sim/node/txrelay.h"
#include "sim/record/record.h"
#include "sim/sim_int.h"
#include "tests/simutil.h"
#include "tests/testutil.h"

static const char *base =
    "[scenario]\nduration = 1h\n"
    "[network]\nnodes = 3\nprofile = uniform\ntopology = full-mesh\nlatency = constant\nlatency_mean = 50ms\n"
    "[consensus]\nkind = pow\nblock_interval = 1000h\nretarget_blocks = 0\nconfirmations = 2\n"
    "[ledger]\naccounts = 10\nbalance = 1000000\n"
    "[relay]\nblock = full\n";

static char *hex_of(const hash32_t *h)
{
    char *hex = g_malloc(2 * HASH_BYTES + 1);
    hash_to_hex(h, hex);
    return hex;
}

/* The hand-made fork, recorded into dir/hand.db; returns the path. */
static char *hand_made(const char *dir, char **t1_hex, char **t2_hex, char **t4_hex, uint32_t idx[3],
                       uint64_t *a2_time)
{
    char *path = g_build_filename(dir, "hand.db", NULL);
    char *errors = NULL, *err = NULL;
    scenario_t *sc = tu_load(base, &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors ? errors : "");
    record_t *rec = record_open(path, &err);
    ck_assert_msg(rec != NULL, "%s", err ? err : "");
    ck_assert(record_begin(rec, sc, "test"));
    sim_t *s = sim_new(sc, rec);

    uint32_t t1 = tu_add_tx(s, 0, 1, 100, 0), t2 = tu_add_tx(s, 1, 2, 200, 0);
    uint32_t t4 = tu_add_tx(s, 0, 4, 400, 0); /* account 0's nonce 0 again */
    txrelay_admit(&s->proto, 0, t1, UINT32_MAX);
    txrelay_admit(&s->proto, 1, t4, UINT32_MAX);
    txrelay_admit(&s->proto, 1, t2, UINT32_MAX);
    sblock_t *a = tu_mine(s, 0);
    sblock_t *b = tu_mine(s, 1);
    ck_assert_uint_eq(a->b->ntx, 1);
    ck_assert_uint_eq(b->b->ntx, 2);
    tu_give(s, 2, 0, a);
    sblock_t *a2 = tu_mine(s, 2);
    tu_give(s, 1, 0, a);
    ck_assert_ptr_eq(s->proto.cnodes[1].tip, b); /* equal work: keeps its own */
    tu_give(s, 1, 2, a2);
    ck_assert_ptr_eq(s->proto.cnodes[1].tip, a2);
    ck_assert_uint_eq(s->proto.nreorgs, 1);

    *t1_hex = hex_of(&((stx_t *)g_ptr_array_index(s->proto.txs, t1))->tx->id);
    *t2_hex = hex_of(&((stx_t *)g_ptr_array_index(s->proto.txs, t2))->tx->id);
    *t4_hex = hex_of(&((stx_t *)g_ptr_array_index(s->proto.txs, t4))->tx->id);
    idx[0] = a->b->index;
    idx[1] = b->b->index;
    idx[2] = a2->b->index;
    *a2_time = a2->b->h.time_ns;

    ck_assert_int_eq(sim_run(s, NULL), SIM_COMPLETE);
    sim_free(s);
    record_close(rec);
    scenario_free(sc);
    return path;
}

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

static char *qt(const char *db, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static char *qt(const char *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *v = tu_db_text(db, sql);
    g_free(sql);
    return v;
}

START_TEST(test_hand_made_fork)
{
    char *dir = tu_tmpdir();
    char *t1, *t2, *t4;
    uint32_t idx[3];
    uint64_t a2_time;
    char *db = hand_made(dir, &t1, &t2, &t4, idx, &a2_time);
    const uint32_t a = idx[0], b = idx[1], a2 = idx[2];

    ck_assert_int_eq(q(db, "SELECT count(*) FROM forks"), 1);
    ck_assert_int_eq(q(db, "SELECT parent_index FROM forks"), 0);
    ck_assert_int_eq(q(db, "SELECT branches FROM forks"), 2);
    ck_assert_int_eq(q(db, "SELECT winner FROM forks"), 0);
    ck_assert_int_eq(q(db, "SELECT depth FROM forks"), 1);
    ck_assert_int_eq(q(db, "SELECT stale_blocks FROM forks"), 1);
    ck_assert_int_eq(q(db, "SELECT decided_ns FROM forks"), (int64_t)a2_time);
    char *status = tu_db_text(db, "SELECT status FROM forks");
    ck_assert_str_eq(status, "resolved");
    ck_assert_int_eq(q(db, "SELECT open_nodes FROM forks"), 0);

    /* branches: A then B, in creation order */
    ck_assert_int_eq(q(db, "SELECT root_index FROM fork_branches WHERE branch = 0"), a);
    ck_assert_int_eq(q(db, "SELECT tip_index FROM fork_branches WHERE branch = 0"), a2);
    ck_assert_int_eq(q(db, "SELECT won FROM fork_branches WHERE branch = 0"), 1);
    ck_assert_int_eq(q(db, "SELECT root_index FROM fork_branches WHERE branch = 1"), b);
    ck_assert_int_eq(q(db, "SELECT won FROM fork_branches WHERE branch = 1"), 0);
    ck_assert_int_eq(q(db, "SELECT length FROM fork_branches WHERE branch = 1"), 1);
    ck_assert_int_eq(q(db, "SELECT tip_nodes FROM fork_branches WHERE branch = 0"), 3);
    ck_assert_int_eq(q(db, "SELECT tip_nodes FROM fork_branches WHERE branch = 1"), 0);
    ck_assert_int_eq(q(db, "SELECT count(*) FROM fork_blocks WHERE branch = 0 AND block_index IN (%u, %u)", a, a2),
                     2);
    ck_assert_int_eq(q(db, "SELECT count(*) FROM fork_blocks WHERE branch = 1"), 1);
    ck_assert_int_eq(q(db, "SELECT block_index FROM fork_blocks WHERE branch = 1"), b);

    /* the losing block's transactions */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM fork_txs"), 2);
    char *fate4 = qt(db, "SELECT fate FROM fork_txs WHERE tx_id = '%s'", t4);
    ck_assert_str_eq(fate4, "double-spent");
    ck_assert_int_eq(q(db, "SELECT main_block FROM fork_txs WHERE tx_id = '%s'", t4), a);
    char *conflict = qt(db, "SELECT conflict_tx FROM fork_txs WHERE tx_id = '%s'", t4);
    ck_assert_str_eq(conflict, t1);
    ck_assert_int_eq(q(db, "SELECT sender FROM fork_txs WHERE tx_id = '%s'", t4), 0);
    char *fate2 = qt(db, "SELECT fate FROM fork_txs WHERE tx_id = '%s'", t2);
    ck_assert_str_eq(fate2, "dropped");
    ck_assert_int_eq(q(db, "SELECT main_block IS NULL FROM fork_txs WHERE tx_id = '%s'", t2), 1);

    /* the reorg, attributed */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM v_fork_reorgs"), 1);
    ck_assert_int_eq(q(db, "SELECT node_id FROM v_fork_reorgs"), 1);
    ck_assert_int_eq(q(db, "SELECT fork_id FROM v_fork_reorgs"), 1);
    ck_assert_int_eq(q(db, "SELECT from_branch FROM v_fork_reorgs"), 1);
    ck_assert_int_eq(q(db, "SELECT to_branch FROM v_fork_reorgs"), 0);
    ck_assert_int_eq(q(db, "SELECT reorgs FROM v_forks"), 1);
    ck_assert_int_eq(q(db, "SELECT resolved_ns FROM v_forks"), q(db, "SELECT at_ns FROM reorgs"));
    ck_assert_int_eq(q(db, "SELECT txs_double_spent FROM v_forks"), 1);
    ck_assert_int_eq(q(db, "SELECT txs_dropped FROM v_forks"), 1);
    ck_assert_int_eq(q(db, "SELECT txs_reincluded FROM v_forks"), 0);
    char *cause = tu_db_text(db, "SELECT cause FROM v_forks");
    ck_assert_str_eq(cause, "race");
    ck_assert_int_eq(q(db, "SELECT left_nodes FROM v_fork_branches WHERE branch = 1"), 1);
    char *producers = tu_db_text(db, "SELECT producers FROM v_fork_branches WHERE branch = 0");
    ck_assert_str_eq(producers, "0,2");

    /* every node's tip and final block */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM node_tips WHERE tip_index = %u AND up = 1", a2), 3);

    /* the command */
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", db, NULL), 0);
    ck_assert_msg(g_str_has_prefix(out, "fork 1  "), "%s", out);
    ck_assert_msg(strstr(out, " race "), "%s", out);
    char *won = g_strdup_printf("won #%u..#%u (2 blocks by 0,2; reached 3)", a, a2);
    char *lost = g_strdup_printf("lost #%u (by 1; reached 1, left by 1)", b);
    ck_assert_msg(strstr(out, won) && strstr(out, lost), "%s", out);
    ck_assert_msg(strstr(out, "1 reorg at 1 node, deepest 1"), "%s", out);
    ck_assert_msg(strstr(out, "txs 0 re-included, 1 dropped, 1 double-spent"), "%s", out);
    ck_assert_int_eq(g_strv_length(g_strsplit(out, "\n", -1)), 2); /* one line and the empty rest */
    g_free(out);
    g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", db, "--json", NULL), 0);
    char *fate = g_strdup_printf("\"tx_id\": \"%s\", \"tx_index\": 3, \"sender\": 0, \"nonce\": 0, "
                                 "\"fate\": \"double-spent\", \"main_block\": %u, \"conflict_tx\": \"%s\"",
                                 t4, a, t1);
    ck_assert_msg(strstr(out, fate), "%s", out);
    ck_assert_msg(strstr(out, "\"cause\": \"race\", \"status\": \"resolved\""), "%s", out);
    g_free(fate);
    g_free(out);
    g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", db, "--min-depth", "2", NULL), 0);
    ck_assert_msg(strstr(out, "no fork that deep"), "%s", out);
    g_free(out);
    g_free(err);

    g_free(won); g_free(lost); g_free(cause); g_free(producers); g_free(fate2); g_free(fate4);
    g_free(conflict); g_free(status); g_free(t1); g_free(t2); g_free(t4); g_free(db); g_free(dir);
}
END_TEST

START_TEST(test_partition_forks)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "p.db", NULL);
    char *sc = tu_source("scenarios/forks-demo.ini");
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "run", sc, "--out", db, "--quiet", NULL), 0);
    g_free(out);
    g_free(err);

    /* every fork point is a block with two or more children, and back */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM forks"),
                     q(db, "SELECT count(*) FROM (SELECT parent_index FROM blocks WHERE parent_index IS NOT NULL "
                           "GROUP BY parent_index HAVING count(*) >= 2)"));
    ck_assert_int_eq(q(db, "SELECT count(*) FROM forks f WHERE branches != (SELECT count(*) FROM blocks b "
                           "WHERE b.parent_index = f.parent_index)"), 0);
    /* numbered in time order */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM forks a JOIN forks b ON b.fork_id = a.fork_id + 1 "
                           "WHERE b.created_ns < a.created_ns"), 0);
    /* winners are main, losers stale */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM fork_branches r JOIN blocks b ON b.block_index = r.root_index "
                           "WHERE r.won != b.main"), 0);
    /* every stale block is on exactly one losing branch of a fork whose fork point is main */
    ck_assert_int_gt(q(db, "SELECT count(*) FROM blocks WHERE main = 0"), 0);
    ck_assert_int_eq(q(db, "SELECT count(*) FROM blocks b WHERE b.main = 0 AND 1 != (SELECT count(*) "
                           "FROM fork_blocks fb JOIN forks f USING (run_id, fork_id) "
                           "JOIN fork_branches r USING (run_id, fork_id, branch) "
                           "WHERE fb.block_index = b.block_index AND r.won = 0 AND f.winner IS NOT NULL)"), 0);
    ck_assert_int_eq(q(db, "SELECT sum(stale_blocks) FROM forks WHERE winner IS NOT NULL"),
                     q(db, "SELECT count(*) FROM blocks WHERE main = 0"));
    /* every reorg belongs to a fork, at its fork point's height */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM v_fork_reorgs"), q(db, "SELECT count(*) FROM reorgs"));
    ck_assert_int_eq(q(db, "SELECT count(*) FROM v_fork_reorgs r JOIN forks f USING (run_id, fork_id) "
                           "WHERE f.fork_height != r.fork_height OR r.from_branch = r.to_branch"), 0);
    ck_assert_int_eq(q(db, "SELECT sum(reorgs) FROM v_forks"), q(db, "SELECT count(*) FROM reorgs"));

    /* the partition's fork: began in the split (60 s to 120 s), resolved after the heal */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM v_forks WHERE cause = 'partition'"),
                     q(db, "SELECT count(*) FROM forks WHERE created_ns >= 60000000000 AND created_ns < 120000000000"));
    ck_assert_int_ge(q(db, "SELECT count(*) FROM v_forks WHERE cause = 'partition' AND depth >= 2"), 1);
    ck_assert_int_eq(q(db, "SELECT count(*) FROM v_forks WHERE cause = 'partition' AND depth >= 2 AND "
                           "(status != 'resolved' OR resolved_ns < 120000000000)"), 0);
    /* its deepest reorg is its losing branch's length, at every node that had adopted it */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM v_forks WHERE depth >= 2 AND reorg_max_depth != depth"), 0);
    /* losing blocks of the partition never reached the other side before the heal */
    ck_assert_int_eq(q(db, "SELECT count(*) FROM v_fork_branches b JOIN v_forks f USING (run_id, fork_id) "
                           "WHERE f.cause = 'partition' AND f.depth >= 2 AND b.won = 0 AND b.reach90_s < 120"), 0);

    /* transaction fates agree with the txs table (written by the block protocol) */
    ck_assert_int_gt(q(db, "SELECT count(*) FROM fork_txs"), 0);
    ck_assert_int_eq(q(db, "SELECT count(*) FROM fork_txs f JOIN txs t USING (run_id, tx_index) WHERE "
                           "(f.fate = 'reincluded' AND t.main_block IS NOT f.main_block) OR "
                           "(f.fate != 'reincluded' AND t.main_block IS NOT NULL)"), 0);
    ck_assert_int_eq(q(db, "SELECT count(*) FROM fork_txs f WHERE f.fate = 'double-spent' AND NOT EXISTS "
                           "(SELECT 1 FROM txs t WHERE t.sender = f.sender AND t.nonce = f.nonce AND "
                           "t.main_block = f.main_block AND t.tx_id = f.conflict_tx)"), 0);
    ck_assert_int_eq(q(db, "SELECT sum(tx_count) FROM blocks b WHERE main = 0"),
                     q(db, "SELECT count(*) FROM fork_txs"));
    ck_assert_int_eq(q(db, "SELECT count(*) FROM node_tips"), 200);
    /* the fork log's tables pass SQLite's own check (3.40 misreports NULLs
     * in WITHOUT ROWID tables whose key columns are not the first ones) */
    char *integrity = tu_db_text(db, "PRAGMA integrity_check");
    ck_assert_str_eq(integrity, "ok");
    g_free(integrity);

    /* the command: one line per fork, --min-depth keeps the deep ones */
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", db, NULL), 0);
    char **lines = g_strsplit(out, "\n", -1);
    ck_assert_int_eq(g_strv_length(lines) - 1, q(db, "SELECT count(*) FROM forks"));
    g_strfreev(lines);
    ck_assert_msg(strstr(out, " partition "), "%s", out);
    g_free(out);
    g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", db, "--min-depth", "2", "--json", NULL), 0);
    lines = g_strsplit(out, "\n", -1);
    ck_assert_int_eq(g_strv_length(lines) - 1, q(db, "SELECT count(*) FROM forks WHERE depth >= 2"));
    for (int i = 0; lines[i] && *lines[i]; i++)
        ck_assert_msg(g_str_has_prefix(lines[i], "{\"run_id\": 1, ") && g_str_has_suffix(lines[i], "]}"), "%s",
                      lines[i]);
    g_strfreev(lines);
    g_free(out);
    g_free(err);
    g_free(sc);
    g_free(db);
    g_free(dir);
}
END_TEST

/* A checksum of a file's bytes, to check that a command left it as it was. */
static char *contents(const char *path)
{
    char *c = NULL;
    gsize n = 0;
    ck_assert(g_file_get_contents(path, &c, &n, NULL));
    char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)c, n);
    g_free(c);
    return sum;
}

START_TEST(test_bad_input)
{
    char *dir = tu_tmpdir();
    char *t1, *t2, *t4;
    uint32_t idx[3];
    uint64_t a2_time;
    char *db = hand_made(dir, &t1, &t2, &t4, idx, &a2_time);
    char *before = contents(db);
    char *out = NULL, *err = NULL;

    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", db, "--run", "7", NULL), 2);
    ck_assert_msg(strstr(err, "no run 7 (the database holds 1 run, ids 1 to 1)"), "%s", err);
    g_free(out); g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", db, "--min-depth", "two", NULL), 2);
    ck_assert_msg(strstr(err, "--min-depth") && strstr(err, "Try 'chainsim forks --help'"), "%s", err);
    g_free(out); g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", NULL), 2);
    g_free(out); g_free(err);
    char *missing = g_build_filename(dir, "missing.db", NULL);
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", missing, NULL), 2);
    ck_assert_msg(strstr(err, "no such file"), "%s", err);
    ck_assert(!g_file_test(missing, G_FILE_TEST_EXISTS));
    g_free(out); g_free(err);
    char *after = contents(db);
    ck_assert_str_eq(before, after);

    /* a database from before the fork log: its tables dropped */
    char *old = g_build_filename(dir, "old.db", NULL);
    char *bytes = NULL;
    gsize nbytes = 0;
    ck_assert(g_file_get_contents(db, &bytes, &nbytes, NULL));
    ck_assert(g_file_set_contents(old, bytes, (gssize)nbytes, NULL));
    g_free(bytes);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(old, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "DROP VIEW v_forks; DROP VIEW v_fork_branches; DROP VIEW v_fork_reorgs; "
                                     "DROP TABLE forks; DROP TABLE fork_branches", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    char *old_before = contents(old);
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", old, NULL), 2);
    ck_assert_msg(strstr(err, "has no fork log (forks is missing)"), "%s", err);
    g_free(out); g_free(err);
    char *old_after = contents(old);
    ck_assert_str_eq(old_before, old_after);

    /* a run without consensus has no forks */
    char *net = tu_write(dir, "net.ini", "[network]\nnodes = 20\n[broadcast]\ncount = 2\n");
    char *netdb = g_build_filename(dir, "net.db", NULL);
    ck_assert_int_eq(tu_chainsim(&out, &err, "run", net, "--out", netdb, "--quiet", NULL), 0);
    g_free(out); g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", netdb, NULL), 0);
    ck_assert_msg(strstr(out, "no blockchain"), "%s", out);
    g_free(out); g_free(err);

    g_free(net); g_free(netdb); g_free(old); g_free(old_before); g_free(old_after);
    g_free(missing); g_free(before); g_free(after); g_free(t1); g_free(t2); g_free(t4); g_free(db); g_free(dir);
}
END_TEST

/* An equivocating proposer (as in check_consensus.c): a second block for
 * its slot, on the same parent, seen by one node. The fork is logged with
 * the equivocation, its cause is 'equivocation', and the block that carries
 * the evidence is marked. */
START_TEST(test_equivocation_fork)
{
    const char *text =
        "[scenario]\nduration = 5m\n"
        "[network]\nnodes = 30\ntopology = random-regular\ndegree = 6\n"
        "[consensus]\nkind = pos\nblock_interval = 6s\nslots_per_epoch = 8\n";
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "eq.db", NULL);
    char *errors = NULL, *err = NULL;
    scenario_t *sc = tu_load(text, &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors ? errors : "");
    record_t *rec = record_open(db, &err);
    ck_assert_msg(rec != NULL, "%s", err ? err : "");
    ck_assert(record_begin(rec, sc, "test"));
    sim_t *s = sim_new(sc, rec);
    while (sim_step_until(s, 2ull * 60 * 1000000000))
        ;
    const uint32_t watch = 29;
    sblock_t *b = s->proto.cnodes[watch].tip;
    const uint32_t liar = b->b->h.producer;
    block_t *twin = block_new(b->b->parent, b->b->h.time_ns, liar, &s->proto.cnodes[liar].reward_addr, NULL, 0, 1);
    s->proto.cons->ops->prepare(s->proto.cons, twin);
    pos_block_attach(s->proto.cons, twin, NULL, 0, NULL, 0);
    s->proto.cons->ops->sign(s->proto.cons, twin, &s->proto.node_keys[liar]);
    block_seal(twin);
    ck_assert(ledger_apply_block(twin, s->sc->consensus.reward));
    sblock_t *tsb = chain_inject(&s->proto, twin);
    const node_t *nd = &s->net.nodes[watch];
    chain_receive(&s->proto, watch, s->net.adj_peer[nd->adj_off], s->net.adj_link[nd->adj_off], &tsb->m_full);
    const uint32_t first = b->b->index, second = tsb->b->index, parent = b->b->parent->index;
    ck_assert_int_eq(sim_run(s, NULL), SIM_COMPLETE);
    sim_free(s);
    record_close(rec);
    scenario_free(sc);

    ck_assert_int_eq(q(db, "SELECT count(*) FROM forks WHERE parent_index = %u AND equivocation = 1", parent), 1);
    ck_assert_int_eq(q(db, "SELECT count(*) FROM fork_branches r JOIN forks f USING (run_id, fork_id) "
                           "WHERE f.parent_index = %u AND r.root_index IN (%u, %u)", parent, first, second), 2);
    char *cause = qt(db, "SELECT cause FROM v_forks WHERE parent_index = %u", parent);
    ck_assert_str_eq(cause, "equivocation");
    ck_assert_int_eq(q(db, "SELECT count(*) FROM v_forks WHERE cause = 'equivocation'"), 1);
    /* the evidence went into a block of the final main chain */
    ck_assert_int_ge(q(db, "SELECT count(*) FROM block_marks m JOIN blocks b USING (run_id, block_index) "
                           "WHERE m.evidence > 0 AND b.main = 1"), 1);
    ck_assert_int_ge(q(db, "SELECT count(*) FROM block_marks WHERE checkpoint = 'finalized'"), 1);
    char *out = NULL;
    char *dot = g_build_filename(dir, "eq.dot", NULL);
    ck_assert_int_eq(tu_chainsim(&out, &err, "tree", db, "--out", dot, NULL), 0);
    char *text_dot = NULL;
    ck_assert(g_file_get_contents(dot, &text_dot, NULL, NULL));
    ck_assert_msg(strstr(text_dot, "slashing evidence x") && strstr(text_dot, "penwidth=3"), "%s", text_dot);
    ck_assert_msg(strstr(text_dot, "\\nfinalized\""), "%s", text_dot);
    g_free(text_dot);
    g_free(out);
    g_free(err);
    g_free(dot);
    g_free(cause);
    g_free(db);
    g_free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("forks");
    TCase *tc = tcase_create("forks");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_hand_made_fork);
    tcase_add_test(tc, test_partition_forks);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_equivocation_fork);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
