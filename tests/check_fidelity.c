/*
 * check_fidelity.c - the figures a run can be checked by: consensus.max_blocks
 * ends a run with a transaction workload once the last block has spread;
 * the coins at genesis, minted and at the end of the main chain are recorded
 * and a run whose totals disagree fails; the 2015 out-degree table under its
 * name and its old one.
 */
#include <check.h>
#include <glib.h>
#include <string.h>

#include "core/consensus/dpos.h"
#include "sim/net/profile.h"
#include "sim/sim_int.h"
#include "tests/testutil.h"

/* 30 proof-of-work nodes, 5 s blocks, 5 tx/s for at most 10 minutes. */
static const char *pow_workload =
    "[scenario]\nname = fid\nduration = 10m\n"
    "[network]\nnodes = 30\nprofile = uniform\ntopology = random-regular\ndegree = 4\n"
    "[consensus]\nkind = pow\nblock_interval = 5s\nretarget_blocks = 0\nmax_blocks = %u\n"
    "[ledger]\naccounts = 50\nbalance = 1000000000\n"
    "[workload]\ntx_rate = %s\n";

static char *run_db(const char *text, int *status)
{
    char *dir = tu_tmpdir();
    char *ini = tu_write(dir, "fid.ini", text);
    char *db = g_build_filename(dir, "fid.db", NULL);
    char *err = NULL;
    *status = tu_chainsim(NULL, &err, "run", ini, "--quiet", "--out", db, NULL);
    g_free(err);
    g_free(ini);
    g_free(dir);
    return db;
}

START_TEST(test_max_blocks_ends_run_with_workload)
{
    char *text = g_strdup_printf(pow_workload, 8u, "5/s");
    int st;
    char *db = run_db(text, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM blocks WHERE block_index > 0"), 8);
    int64_t end_ns = tu_db_int(db, "SELECT sim_end_ns FROM runs");
    /* 8 blocks at 5 s take well under the 10 minutes the workload would run */
    ck_assert_int_lt(end_ns, 600000000000ll);
    /* every node has every main-chain block: the last one had spread */
    ck_assert_int_eq(tu_db_int(db, "SELECT min(reached) FROM blocks WHERE main = 1"), 30);
    /* and the end is the last block's spread (plus its check), not later */
    int64_t spread_ns = tu_db_int(db, "SELECT max(created_ns + t100_ns) FROM blocks WHERE block_index > 0");
    ck_assert_int_le(spread_ns, end_ns);
    ck_assert_int_lt(end_ns - spread_ns, 1000000000ll);
    char *status = tu_db_text(db, "SELECT status FROM runs");
    ck_assert_str_eq(status, "complete");
    g_free(status);
    g_free(db);
    g_free(text);
}
END_TEST

START_TEST(test_supply_recorded)
{
    char *text = g_strdup_printf(pow_workload, 6u, "5/s");
    int st;
    char *db = run_db(text, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT genesis FROM supply"), 50ll * 1000000000ll);
    int64_t height = tu_db_int(db, "SELECT main_height FROM chain_summary");
    ck_assert_int_gt(height, 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT minted FROM supply"), height * 5000000000ll);
    ck_assert_int_eq(tu_db_int(db, "SELECT end_total - genesis - minted FROM supply"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT ok FROM supply"), 1);
    /* fees moved coins around without creating any */
    ck_assert_int_gt(tu_db_int(db, "SELECT count(*) FROM txs WHERE main_block IS NOT NULL"), 0);
    g_free(db);
    g_free(text);
}
END_TEST

/* A total that disagrees (here: the reward changed after the blocks were
 * made, so what the chain minted is not what the totals expect) fails the
 * run with a message naming the three figures. */
START_TEST(test_broken_supply_fails_run)
{
    char *text = g_strdup_printf(pow_workload, 4u, "0/s");
    char *errors = NULL;
    scenario_t *sc = tu_load(text, &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors ? errors : "");
    sim_t *s = sim_new(sc, NULL);
    while (sim_step(s))
        ;
    chain_supply_t sup;
    ck_assert(chain_supply(&s->proto, &sup));
    ck_assert_uint_eq(sup.genesis + sup.minted, sup.end_total);
    sc->consensus.reward += 1;
    ck_assert(!chain_supply(&s->proto, &sup));
    ck_assert_int_eq(sim_run(s, NULL), SIM_FAILED);
    ck_assert_ptr_nonnull(strstr(sim_error(s), "coins not conserved"));
    sim_free(s);
    scenario_free(sc);
    g_free(text);
}
END_TEST

START_TEST(test_outdegree_2015_names)
{
    char *errors = NULL;
    scenario_t *a = tu_load("[network]\noutdegree_cdf = bitcoin-2015\n", &errors, NULL);
    ck_assert_msg(a != NULL, "%s", errors ? errors : "");
    scenario_t *b = tu_load("[network]\noutdegree_cdf = bitcoin\n", &errors, NULL);
    ck_assert_msg(b != NULL, "%s", errors ? errors : "");
    scenario_t *d = tu_load("[network]\nnodes = 10\n", &errors, NULL);
    ck_assert_msg(d != NULL, "%s", errors ? errors : "");
    ck_assert_uint_eq(a->net.outdegree_cdf_len, 20);
    ck_assert_uint_eq(b->net.outdegree_cdf_len, 20);
    ck_assert_uint_eq(d->net.outdegree_cdf_len, 20);
    ck_assert(memcmp(a->net.outdegree_cdf, profile_outdegree_2015_cdf, sizeof profile_outdegree_2015_cdf) == 0);
    ck_assert(memcmp(b->net.outdegree_cdf, a->net.outdegree_cdf, sizeof profile_outdegree_2015_cdf) == 0);
    ck_assert(memcmp(d->net.outdegree_cdf, a->net.outdegree_cdf, sizeof profile_outdegree_2015_cdf) == 0);
    scenario_free(a);
    scenario_free(b);
    scenario_free(d);
}
END_TEST

/* Two nodes, one block of 100 KB padding, constant latency: every figure
 * of the transfer is exact. */
static const char *two_nodes =
    "[scenario]\nname = two\nduration = 1h\n"
    "[network]\nnodes = 2\nprofile = uniform\ntopology = full-mesh\nlatency = constant\nlatency_mean = 50ms\n"
    "upload = 8Mbit/s\ndownload = 8Mbit/s\n"
    "[consensus]\nkind = pow\nblock_interval = 60s\nretarget_blocks = 0\nmax_blocks = 1\nblock_padding = 100KB\n"
    "[cpu]\nheader = 0\nper_kb = 0\n"
    "[relay]\nblock = %s\ncompact_fail = %s\n";

/* Time (ns) the one block took to reach the other node, with overrides. */
static int64_t two_node_spread_ns(const char *block, const char *fail, const char *set1, const char *set2)
{
    char *text = g_strdup_printf(two_nodes, block, fail);
    char *dir = tu_tmpdir();
    char *ini = tu_write(dir, "two.ini", text);
    char *db = g_build_filename(dir, "two.db", NULL);
    char *err = NULL;
    int st = tu_chainsim(NULL, &err, "run", ini, "--quiet", "--out", db, "--set", set1 ? set1 : "network.loss=0",
                         "--set", set2 ? set2 : "network.loss=0", NULL);
    ck_assert_msg(st == 0, "%s", err ? err : "");
    int64_t t = tu_db_int(db, "SELECT t100_ns FROM blocks WHERE block_index = 1");
    g_free(err);
    g_free(db);
    g_free(ini);
    g_free(dir);
    g_free(text);
    return t;
}

START_TEST(test_control_delay_and_processing)
{
    /* full relay: announce (control), request (control), block (data) */
    int64_t base = two_node_spread_ns("full", "0", NULL, NULL);
    ck_assert_int_eq(two_node_spread_ns("full", "0", "network.control_delay=10ms", NULL) - base, 20000000);
    ck_assert_int_eq(two_node_spread_ns("full", "0", "network.processing=2ms", NULL) - base, 2000000);
    /* control messages that skip the queue also skip their serialization (61 B at 8 Mbit/s = 61 us each) */
    ck_assert_int_eq(base - two_node_spread_ns("full", "0", "network.control_queued=false", NULL), 2 * 61000);
}
END_TEST

/* The sender's queue held until arrival delays what follows a transfer by
 * its latency; a lone transfer is not slower. */
START_TEST(test_uplink_release_arrived)
{
    int64_t base = two_node_spread_ns("full", "0", NULL, NULL);
    ck_assert_int_eq(two_node_spread_ns("full", "0", "network.uplink_release=arrived", NULL), base);
}
END_TEST

/* The bytes of missing-txs replies after failed reconstructions. */
static void missing_bytes(const char *missing, int64_t *sent, int64_t *bytes)
{
    char *dir = tu_tmpdir();
    char *text = g_strdup_printf(pow_workload, 10u, "0/s");
    char *full = g_strconcat(text, "[relay]\ncompact_fail = 100%\ncompact_missing = ", missing, "\n", NULL);
    char *ini = tu_write(dir, "m.ini", full);
    char *db = g_build_filename(dir, "m.db", NULL);
    char *err = NULL;
    int st = tu_chainsim(NULL, &err, "run", ini, "--quiet", "--out", db, "--set", "consensus.block_padding=100KB",
                         NULL);
    ck_assert_msg(st == 0, "%s", err ? err : "");
    *sent = tu_db_int(db, "SELECT sent FROM msg_stats WHERE kind = 'missing-txs'");
    *bytes = tu_db_int(db, "SELECT bytes_sent FROM msg_stats WHERE kind = 'missing-txs'");
    g_free(err);
    g_free(db);
    g_free(ini);
    g_free(full);
    g_free(text);
    g_free(dir);
}

START_TEST(test_getblocktxn_fetches_what_is_missing)
{
    int64_t sent, bytes;
    missing_bytes("100%", &sent, &bytes);
    ck_assert_int_gt(sent, 0);
    ck_assert_int_eq(bytes, sent * (40 + 100000)); /* the whole padding, as before */
    missing_bytes("10%", &sent, &bytes);
    ck_assert_int_gt(sent, 0);
    ck_assert_int_eq(bytes, sent * (40 + 10000));
    missing_bytes("simblock", &sent, &bytes);
    ck_assert_int_gt(sent, 50);
    double mean = (double)bytes / (double)sent - 40;
    /* the table's mean is 8.8 % of the block, its median 1 % */
    ck_assert(mean > 1000 && mean < 30000);
}
END_TEST

START_TEST(test_compact_nodes_share)
{
    char *dir = tu_tmpdir();
    char *text = g_strdup_printf(pow_workload, 6u, "0/s");
    char *ini = tu_write(dir, "c.ini", text);
    char *db = g_build_filename(dir, "c.db", NULL);
    char *db2 = g_build_filename(dir, "c2.db", NULL);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", ini, "--quiet", "--out", db, NULL), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT sent FROM msg_stats WHERE kind = 'block'"), 0);
    ck_assert_int_gt(tu_db_int(db, "SELECT sent FROM msg_stats WHERE kind = 'compact-block'"), 0);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", ini, "--quiet", "--out", db2, "--set", "relay.compact_nodes=50%",
                                 NULL), 0);
    ck_assert_int_gt(tu_db_int(db2, "SELECT sent FROM msg_stats WHERE kind = 'block'"), 0);
    ck_assert_int_gt(tu_db_int(db2, "SELECT sent FROM msg_stats WHERE kind = 'compact-block'"), 0);
    ck_assert_int_eq(tu_db_int(db2, "SELECT min(reached) FROM blocks"), 30);
    g_free(db2);
    g_free(db);
    g_free(ini);
    g_free(text);
    g_free(dir);
}
END_TEST

/* The CTest slice of `make validate`: tests/validate.sh --quick runs the
 * stale-rate sweep, PoS finality and DPoS irreversibility rows on smaller
 * runs and must find every row within its tolerance. */
START_TEST(test_validation_slice)
{
    char *script = tu_source("tests/validate.sh");
    char *argv[] = { script, (char *)CHAINSIM_BINARY, "--quick", NULL };
    char *out = NULL, *err = NULL;
    int status = 0;
    GError *e = NULL;
    ck_assert_msg(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &e), "%s",
                  e ? e->message : "");
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "validate.sh --quick failed:\n%s%s", out, err);
    ck_assert_ptr_nonnull(strstr(out, "stale-8s"));
    ck_assert_ptr_nonnull(strstr(out, "pos-final-p50"));
    ck_assert_ptr_nonnull(strstr(out, "dpos-irrev-p90"));
    g_free(out);
    g_free(err);
    g_free(script);
}
END_TEST

/* EOSIO keeps a schedule's producers in one order (sorted by name) for as
 * long as the election does not change; the per-round reshuffle stays a
 * setting. */
START_TEST(test_dpos_fixed_order)
{
    enum { NN = 30, N = 21 };
    uint64_t votes[NN];
    for (uint32_t i = 0; i < NN; i++)
        votes[i] = 1000 + (uint64_t)(i * 7919 % NN); /* distinct, not in id order */
    for (int sorted = 0; sorted <= 1; sorted++) {
        dpos_cfg_t cfg = { .nnodes = NN, .votes = votes, .producers = N, .blocks_per_turn = 12,
                           .interval_ns = 500000000ull, .seed = 7, .sorted = sorted };
        consensus_t *c = dpos_new(&cfg);
        uint32_t n0, n1;
        const uint32_t *r0 = dpos_schedule(c, 0, &n0);
        uint32_t first[N];
        memcpy(first, r0, sizeof first);
        const uint32_t *r1 = dpos_schedule(c, 1, &n1);
        ck_assert_uint_eq(n0, N);
        ck_assert_uint_eq(n1, N);
        bool same = memcmp(first, r1, sizeof first) == 0;
        bool ascending = true;
        for (uint32_t i = 1; i < N; i++)
            ascending = ascending && first[i - 1] < first[i];
        if (sorted) {
            ck_assert(same);
            ck_assert(ascending);
        } else {
            ck_assert(!same || !ascending);
        }
        c->ops->destroy(c);
    }
}
END_TEST

/* Proof of stake, 40 validators, 4 s slots, 8-slot (32 s) epochs. */
static const char *pos_small =
    "[scenario]\nname = pos\nduration = 6m\n"
    "[network]\nnodes = 40\nprofile = uniform\ntopology = random-regular\ndegree = 6\n"
    "[consensus]\nkind = pos\nblock_interval = 4s\nslots_per_epoch = 8\n"
    "[ledger]\naccounts = 50\n[workload]\ntx_rate = 2/s\n";

/* Shortest and longest time from a main-chain block's creation to its
 * finality at the node its transactions came from, ns. */
static void pos_final_span(const char *mode, int64_t *lo_ns, int64_t *hi_ns)
{
    char *dir = tu_tmpdir();
    char *ini = tu_write(dir, "pos.ini", pos_small);
    char *db = g_build_filename(dir, "pos.db", NULL);
    char *set = g_strconcat("consensus.pos_justification=", mode, NULL);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", ini, "--quiet", "--out", db, "--set", set, NULL), 0);
    static const char *from = " FROM txs t JOIN blocks b ON b.run_id = t.run_id AND b.block_index = t.main_block"
                              " WHERE t.final_ns IS NOT NULL";
    char *q1 = g_strconcat("SELECT min(t.final_ns - b.created_ns)", from, NULL);
    char *q2 = g_strconcat("SELECT max(t.final_ns - b.created_ns)", from, NULL);
    ck_assert_int_gt(tu_db_int(db, "SELECT count(*) FROM txs WHERE final_ns IS NOT NULL"), 100);
    *lo_ns = tu_db_int(db, q1);
    *hi_ns = tu_db_int(db, q2);
    g_free(q1);
    g_free(q2);
    g_free(set);
    g_free(db);
    g_free(ini);
    g_free(dir);
}

/* At epoch processing a block of epoch e is final at the end of epoch e+2:
 * two to three epochs after it was made (plus the time the news takes to
 * reach the node). Evaluated after every block, finality can come sooner. */
START_TEST(test_pos_epoch_processing)
{
    const int64_t epoch_ns = 32000000000ll, slot_ns = 4000000000ll;
    int64_t lo, hi;
    pos_final_span("epoch", &lo, &hi);
    ck_assert_int_ge(lo, 2 * epoch_ns);
    ck_assert_int_le(hi, 3 * epoch_ns + slot_ns);
    pos_final_span("block", &lo, &hi);
    ck_assert_int_lt(lo, 2 * epoch_ns);
}
END_TEST

/* Median irreversibility of transactions on eos-dpos.ini (3 minutes). */
static double dpos_irrev_p50_s(const char *mode)
{
    char *dir = tu_tmpdir();
    char *ini = tu_source("scenarios/eos-dpos.ini");
    char *db = g_build_filename(dir, "d.db", NULL);
    char *set = g_strconcat("consensus.dpos_irreversibility=", mode, NULL);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", ini, "--quiet", "--out", db, "--set", set, "--set",
                                 "scenario.duration=3m", "--set", "workload.tx_rate=5/s", NULL), 0);
    double p50 = (double)tu_db_int(db, "SELECT CAST(finality_latency_p50_s * 1000 AS INTEGER) FROM v_run_summary") / 1000;
    g_free(set);
    g_free(db);
    g_free(ini);
    g_free(dir);
    return p50;
}

/* Two-stage irreversibility (EOSIO 1.x) waits for a second 2/3+1 of the
 * producers: about twice the single-stage time. */
START_TEST(test_dpos_two_stage)
{
    double one = dpos_irrev_p50_s("single"), two = dpos_irrev_p50_s("two-stage");
    ck_assert_msg(one > 60 && one < 100, "single stage: %.1f s", one);
    ck_assert_msg(two > 1.8 * one && two < 2.2 * one, "two stages: %.1f s against %.1f s", two, one);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fidelity");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_max_blocks_ends_run_with_workload);
    tcase_add_test(tc, test_supply_recorded);
    tcase_add_test(tc, test_broken_supply_fails_run);
    tcase_add_test(tc, test_outdegree_2015_names);
    tcase_add_test(tc, test_control_delay_and_processing);
    tcase_add_test(tc, test_uplink_release_arrived);
    tcase_add_test(tc, test_getblocktxn_fetches_what_is_missing);
    tcase_add_test(tc, test_compact_nodes_share);
    tcase_add_test(tc, test_validation_slice);
    tcase_add_test(tc, test_dpos_fixed_order);
    tcase_add_test(tc, test_pos_epoch_processing);
    tcase_add_test(tc, test_dpos_two_stage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(suite());
}
