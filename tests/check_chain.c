/*
 * check_chain.c - the nodes' chain protocol inside the simulator: a reorg
 * restores balances, nonces and the mempool exactly; fork choice with the
 * first-seen tie-break; compact block reconstruction with and without
 * missing transactions; invalid transactions rejected and counted in a
 * whole run; determinism of a proof-of-work run.
 */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "tests/simutil.h"
#include "tests/testutil.h"

/* Three nodes in a full mesh; no mining happens by itself (1000 h blocks). */
static const char *base =
    "[scenario]\nduration = 1h\n"
    "[network]\nnodes = 3\nprofile = uniform\ntopology = full-mesh\nlatency = constant\nlatency_mean = 50ms\n"
    "[consensus]\nkind = pow\nblock_interval = 1000h\nretarget_blocks = 0\nconfirmations = 2\n"
    "[ledger]\naccounts = 10\nbalance = 1000000\n"
    "[relay]\nblock = %s\n";

typedef struct world {
    scenario_t *sc;
    sim_t *s;
} world_t;

static world_t make(const char *relay)
{
    char *text = g_strdup_printf(base, relay);
    char *errors = NULL;
    world_t w;
    w.sc = tu_load(text, &errors, NULL);
    ck_assert_msg(w.sc != NULL, "%s", errors ? errors : "");
    w.s = sim_new(w.sc, NULL);
    g_free(text);
    return w;
}

static void destroy(world_t *w)
{
    sim_free(w->s);
    scenario_free(w->sc);
}

static tx_t *txof(sim_t *s, uint32_t i)
{
    return ((stx_t *)g_ptr_array_index(s->proto.txs, i))->tx;
}

static char *pool_text(sim_t *s, uint32_t node)
{
    size_t n;
    tx_t **l = mempool_list(s->proto.cnodes[node].mp, &n);
    GString *g = g_string_new(NULL);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(g, "%u ", l[i]->sim_index);
    g_free(l);
    return g_string_free(g, FALSE);
}

static char *balances(sim_t *s, const state_t *st)
{
    GString *g = g_string_new(NULL);
    for (uint32_t a = 0; a < s->sc->ledger.accounts; a++) {
        account_t acct = state_get(st, &s->proto.accounts[a].addr);
        g_string_append_printf(g, "%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " ", acct.balance, acct.nonce);
    }
    return g_string_free(g, FALSE);
}

START_TEST(test_reorg_restores_state_and_mempool)
{
    world_t w = make("full");
    sim_t *s = w.s;
    uint32_t t1 = tu_add_tx(s, 0, 1, 100, 0), t2 = tu_add_tx(s, 1, 2, 200, 0), t3 = tu_add_tx(s, 2, 3, 300, 0);
    uint32_t t4 = tu_add_tx(s, 0, 4, 400, 0); /* spends account 0's nonce 0 again: conflicts with t1 */
    uint32_t t5 = tu_add_tx(s, 3, 5, 500, 0);
    txrelay_admit(&s->proto, 0, t1, UINT32_MAX);
    txrelay_admit(&s->proto, 0, t2, UINT32_MAX);
    txrelay_admit(&s->proto, 0, t3, UINT32_MAX);
    txrelay_admit(&s->proto, 1, t4, UINT32_MAX);
    txrelay_admit(&s->proto, 1, t2, UINT32_MAX);
    ck_assert_uint_eq(mempool_count(s->proto.cnodes[0].mp), 3);

    sblock_t *a = tu_mine(s, 0); /* t1 t2 t3 */
    ck_assert_uint_eq(a->b->ntx, 3);
    txrelay_admit(&s->proto, 0, t5, UINT32_MAX);
    char *pool_at_a = pool_text(s, 0);
    char *bal_at_a = balances(s, s->proto.cnodes[0].tip->b->state);
    char *only_t5 = g_strdup_printf("%u ", t5);
    ck_assert_str_eq(pool_at_a, only_t5);
    g_free(only_t5);

    sblock_t *b = tu_mine(s, 1);  /* t4 t2 */
    sblock_t *b2 = tu_mine(s, 1); /* empty */
    ck_assert_uint_eq(b->b->ntx, 2);
    ck_assert_uint_eq(b2->b->ntx, 0);

    /* Node 0 learns of the heavier branch B-B2 and switches to it. */
    tu_give(s, 0, 1, b);
    ck_assert_ptr_eq(s->proto.cnodes[0].tip, a); /* equal work: keeps A, seen first */
    tu_give(s, 0, 1, b2);
    ck_assert_ptr_eq(s->proto.cnodes[0].tip, b2);
    ck_assert_uint_eq(s->proto.nreorgs, 1);
    ck_assert_uint_eq(s->proto.reorg_max_depth, 1);
    /* t1 conflicts with t4 (now in the chain): gone; t3 is back; t5 stays. */
    char *pool_at_b2 = pool_text(s, 0);
    char *want = g_strdup_printf("%u %u ", t3, t5);
    char *want_alt = g_strdup_printf("%u %u ", t5, t3); /* pool order is by fee rate, then id */
    ck_assert_msg(!strcmp(pool_at_b2, want) || !strcmp(pool_at_b2, want_alt), "pool %s", pool_at_b2);
    const state_t *st = s->proto.cnodes[0].tip->b->state;
    account_t a0 = state_get(st, &s->proto.accounts[0].addr), a4 = state_get(st, &s->proto.accounts[4].addr);
    ck_assert_uint_eq(a0.nonce, 1);
    ck_assert_uint_eq(a0.balance, 1000000 - 400 - 10);
    ck_assert_uint_eq(a4.balance, 1000000 + 400);
    ck_assert_uint_eq(state_get(st, &s->proto.accounts[2].addr).nonce, 0); /* t3 undone */

    /* Back to the A branch, now longer: everything as it was at A. */
    tu_give(s, 2, 0, a);
    sblock_t *a2 = tu_mine(s, 2), *a3 = tu_mine(s, 2);
    tu_give(s, 0, 2, a2);
    ck_assert_ptr_eq(s->proto.cnodes[0].tip, b2); /* equal work again */
    tu_give(s, 0, 2, a3);
    ck_assert_ptr_eq(s->proto.cnodes[0].tip, a3);
    ck_assert_uint_eq(s->proto.nreorgs, 2);
    ck_assert_uint_eq(s->proto.reorg_max_depth, 2);
    char *pool_back = pool_text(s, 0);
    ck_assert_str_eq(pool_back, pool_at_a);
    char *bal_back = balances(s, s->proto.cnodes[0].tip->b->state);
    ck_assert_str_eq(bal_back, bal_at_a); /* accounts untouched by A2, A3 (rewards go to node addresses) */
    g_free(pool_at_a); g_free(bal_at_a); g_free(pool_at_b2); g_free(want); g_free(want_alt);
    g_free(pool_back); g_free(bal_back);
    destroy(&w);
}
END_TEST

START_TEST(test_first_seen_tie_break)
{
    world_t w = make("full");
    sim_t *s = w.s;
    sblock_t *a = tu_mine(s, 0), *b = tu_mine(s, 1);
    ck_assert_uint_eq(a->b->work, b->b->work);
    tu_give(s, 2, 0, a);
    tu_give(s, 2, 1, b);
    ck_assert_ptr_eq(s->proto.cnodes[2].tip, a);
    ck_assert_uint_eq(s->proto.nreorgs, 0);
    /* The other order at node 0: it holds A, its own; B does not replace it. */
    tu_give(s, 0, 1, b);
    ck_assert_ptr_eq(s->proto.cnodes[0].tip, a);
    /* Heavier wins whatever the order. */
    sblock_t *b2 = tu_mine(s, 1);
    tu_give(s, 2, 1, b2);
    ck_assert_ptr_eq(s->proto.cnodes[2].tip, b2);
    destroy(&w);
}
END_TEST

/* Delivers everything in the queue (no mining happens). */
static void drain(sim_t *s)
{
    while (evq_len(s->eng.q) && evq_peek_time(s->eng.q) < s->sc->duration_ns)
        sim_step(s);
}

START_TEST(test_compact_reconstruction)
{
    world_t w = make("compact");
    sim_t *s = w.s;
    uint32_t t1 = tu_add_tx(s, 0, 1, 100, 0), t2 = tu_add_tx(s, 1, 2, 200, 0), t3 = tu_add_tx(s, 2, 3, 300, 0);
    /* Node 1 has every transaction, node 2 lacks t3. */
    uint32_t all[] = { t1, t2, t3 };
    for (int i = 0; i < 3; i++) {
        txrelay_admit(&s->proto, 0, all[i], UINT32_MAX);
        txrelay_admit(&s->proto, 1, all[i], UINT32_MAX);
    }
    txrelay_admit(&s->proto, 2, t1, UINT32_MAX);
    txrelay_admit(&s->proto, 2, t2, UINT32_MAX);
    /* Forget the announcements so that only the block travels. */
    for (uint32_t i = 0; i < 3; i++)
        g_array_set_size(s->proto.cnodes[i].pending, 0);
    ev_t ev;
    while (evq_len(s->eng.q) && evq_peek_time(s->eng.q) < s->sc->duration_ns) {
        evq_pop(s->eng.q, &ev);
        s->eng.now_ns = ev.time_ns;
        engine_discard(&s->eng, &ev);
    }
    sblock_t *a = tu_mine(s, 0);
    ck_assert_uint_eq(a->b->ntx, 3);
    drain(s);
    ck_assert_uint_eq(a->st[1], BS_CONNECTED);
    ck_assert_uint_eq(a->st[2], BS_CONNECTED);
    const msg_stats_t *st = s->net.stats;
    ck_assert_uint_eq(st[MSG_CMPCT].delivered, 2);
    ck_assert_uint_eq(st[MSG_BLOCK].sent, 0);
    /* Only node 2 asked for a missing transaction, and got exactly t3's bytes. */
    ck_assert_uint_eq(st[MSG_GETBLOCKTXN].sent, 1);
    ck_assert_uint_eq(st[MSG_BLOCKTXN].delivered, 1);
    ck_assert_uint_eq(st[MSG_BLOCKTXN].bytes_sent, 40 + txof(s, t3)->size_bytes);
    /* The compact block is much smaller than the block. */
    ck_assert_uint_lt(a->m_cmpct.size_bytes, a->m_full.size_bytes);
    ck_assert_ptr_eq(s->proto.cnodes[2].tip, a);
    destroy(&w);
}
END_TEST

static char *run(const char *scenario, const char *db, const char *seed, char **out)
{
    char *sc = tu_source(scenario);
    int rc = tu_chainsim(out, NULL, "run", sc, "--out", db, "--seed", seed, "--set", "network.nodes=120", "--set",
                         "scenario.duration=90s", "--set", "workload.invalid=10%", "--quiet", NULL);
    ck_assert_int_eq(rc, 0);
    g_free(sc);
    const char *d = strstr(*out, "digest: ");
    ck_assert_ptr_nonnull(d);
    return g_strndup(d + 8, 64);
}

START_TEST(test_pow_run_rejects_invalid_and_is_deterministic)
{
    char *tmp = tu_tmpdir();
    char *db1 = g_build_filename(tmp, "1.db", NULL), *db2 = g_build_filename(tmp, "2.db", NULL);
    char *o1, *o2;
    char *d1 = run("scenarios/quickstart.ini", db1, "5", &o1);
    char *d2 = run("scenarios/quickstart.ini", db2, "5", &o2);
    ck_assert_str_eq(d1, d2);
    const char *q = "SELECT block_index, block_id, parent_index, height, producer, created_ns, tx_count, main, "
                    "reached, t50_ns FROM blocks ORDER BY block_index";
    char *b1 = tu_db_dump(db1, q), *b2 = tu_db_dump(db2, q);
    ck_assert_str_eq(b1, b2);
    char *x1 = tu_db_dump(db1, "SELECT * FROM txs ORDER BY tx_index");
    char *x2 = tu_db_dump(db2, "SELECT * FROM txs ORDER BY tx_index");
    ck_assert_str_eq(x1, x2);
    /* Blocks were produced and forks happened at a 3 s interval. */
    ck_assert_int_gt(tu_db_int(db1, "SELECT count(*) FROM blocks WHERE main = 1"), 10);
    /* No invalid transaction ever made it into a main-chain block. */
    ck_assert_int_gt(tu_db_int(db1, "SELECT count(*) FROM txs WHERE intent != 'valid'"), 10);
    ck_assert_int_eq(tu_db_int(db1, "SELECT count(*) FROM txs WHERE intent != 'valid' AND main_block IS NOT NULL "
                                    "AND intent != 'double-spend'"), 0);
    /* A double spend and its original are never both on the main chain. */
    ck_assert_int_eq(tu_db_int(db1, "SELECT count(*) FROM txs a JOIN txs b ON a.sender = b.sender AND "
                                    "a.nonce = b.nonce AND a.tx_index < b.tx_index "
                                    "WHERE a.main_block IS NOT NULL AND b.main_block IS NOT NULL"), 0);
    /* Rejections were counted by reason. */
    ck_assert_int_gt(tu_db_int(db1, "SELECT count FROM rejections WHERE reason = 'signature'"), 0);
    ck_assert_int_gt(tu_db_int(db1, "SELECT count FROM rejections WHERE reason = 'balance'"), 0);
    ck_assert_int_gt(tu_db_int(db1, "SELECT sum(count) FROM rejections WHERE reason IN "
                                    "('double_spend', 'nonce_low')"), 0);
    /* Valid transactions get confirmed, each at most once on the main chain. */
    ck_assert_int_gt(tu_db_int(db1, "SELECT count(*) FROM txs WHERE confirmed_ns IS NOT NULL"), 100);
    ck_assert_int_eq(tu_db_int(db1, "SELECT count(*) FROM txs WHERE confirmed_ns < submitted_ns"), 0);
    /* The main chain is one chain: every main block's parent is main. */
    ck_assert_int_eq(tu_db_int(db1, "SELECT count(*) FROM blocks c JOIN blocks p ON c.parent_index = p.block_index "
                                    "WHERE c.main = 1 AND p.main = 0"), 0);
    char *o3;
    char *db3 = g_build_filename(tmp, "3.db", NULL);
    char *d3 = run("scenarios/quickstart.ini", db3, "6", &o3);
    g_free(db3);
    ck_assert_str_ne(d1, d3);
    g_free(o1); g_free(o2); g_free(o3); g_free(d1); g_free(d2); g_free(d3);
    g_free(b1); g_free(b2); g_free(x1); g_free(x2);
    g_free(db1); g_free(db2); g_free(tmp);
}
END_TEST

/* The block production rate matches the target: the network of miners is a
 * Poisson process of rate 1 / interval, whatever the tip changes. */
START_TEST(test_block_rate)
{
    char *errors = NULL;
    scenario_t *sc = tu_load("[scenario]\nduration = 30m\n[network]\nnodes = 100\n"
                             "[consensus]\nkind = pow\nblock_interval = 3s\nretarget_blocks = 0\n", &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors ? errors : "");
    sim_t *s = sim_new(sc, NULL);
    sim_opts_t opts = { 0 };
    ck_assert_int_eq(sim_run(s, &opts), SIM_COMPLETE);
    double produced = s->proto.blocks->len - 1, want = 1800.0 / 3.0;
    ck_assert_msg(produced > want * 0.85 && produced < want * 1.15, "%.0f blocks in 30 min, want about %.0f",
                  produced, want);
    sim_free(s);
    scenario_free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chain");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_reorg_restores_state_and_mempool);
    tcase_add_test(tc, test_first_seen_tie_break);
    tcase_add_test(tc, test_compact_reconstruction);
    tcase_add_test(tc, test_block_rate);
    tcase_add_test(tc, test_pow_run_rejects_invalid_and_is_deterministic);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
