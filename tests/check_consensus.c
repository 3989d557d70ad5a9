/*
 * check_consensus.c - proof of stake and delegated proof of stake inside the
 * simulator: finality with honest validators, finality stalling while more
 * than a third of the stake is offline and resuming when it returns, final
 * blocks never reverted, missed slots, and determinism of whole runs for
 * every engine.
 */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/consensus/dpos.h"
#include "core/consensus/pos.h"
#include "sim/sim_int.h"
#include "tests/testutil.h"

static sim_t *make(const char *text, scenario_t **sc)
{
    char *errors = NULL;
    *sc = tu_load(text, &errors, NULL);
    ck_assert_msg(*sc != NULL, "%s", errors ? errors : "");
    return sim_new(*sc, NULL);
}

/* Runs events up to time t_ns. */
static void run_until(sim_t *s, uint64_t t_ns)
{
    while (evq_len(s->eng.q) && evq_peek_time(s->eng.q) <= t_ns)
        sim_step(s);
}

/* Height of the latest final block in node's chain. */
static uint64_t final_height(sim_t *s, uint32_t node)
{
    return s->proto.cons->ops->final(s->proto.cons, s->proto.cnodes[node].tip->b)->h.height;
}

/* Every block a node ever saw final is on the chain of every node's tip:
 * nothing final was reverted. */
static void assert_final_never_reverted(sim_t *s)
{
    for (uint32_t node = 0; node < s->net.nnodes; node++) {
        const block_t *tip = s->proto.cnodes[node].tip->b;
        for (guint i = 0; i < s->proto.blocks->len; i++) {
            const sblock_t *sb = g_ptr_array_index(s->proto.blocks, i);
            if (sb->final_ns[node] == UINT64_MAX)
                continue;
            const block_t *b = tip;
            while (b && b->h.height > sb->b->h.height)
                b = b->parent;
            ck_assert_msg(b == sb->b, "node %u saw block %u final, then left it", node, sb->b->index);
        }
    }
}

static const char *pos_text =
    "[scenario]\nduration = 40m\n"
    "[network]\nnodes = 60\ntopology = random-regular\ndegree = 6\n"
    "[consensus]\nkind = pos\nblock_interval = 12s\nslots_per_epoch = 8\n"
    "[workload]\ntx_rate = 1/s\n"
    "%s";

START_TEST(test_pos_finality_honest_and_stalled)
{
    /* 24 of 60 equal validators (40 % > 1/3) are down from 10 to 20 min. */
    char *text = g_strdup_printf(pos_text, "[event outage]\nat = 10m\ntype = crash\nnodes = 0-23\n"
                                           "[event back]\nat = 20m\ntype = restart\nnodes = 0-23\n");
    scenario_t *sc;
    sim_t *s = make(text, &sc);
    const uint32_t watch = 59; /* always up */
    run_until(s, 10ull * 60 * 1000000000);
    uint64_t before = final_height(s, watch);
    ck_assert_msg(before >= 16, "honest validators finalize: height %" G_GUINT64_FORMAT, before);
    /* Let in-flight votes settle, then nothing more may be finalized. */
    run_until(s, 12ull * 60 * 1000000000);
    uint64_t settled = final_height(s, watch);
    run_until(s, 20ull * 60 * 1000000000);
    uint64_t during = final_height(s, watch);
    ck_assert_msg(during == settled, "finality went on without 2/3 of the stake: %" G_GUINT64_FORMAT
                  " -> %" G_GUINT64_FORMAT, settled, during);
    /* Blocks are still produced while finality stalls. */
    ck_assert_uint_gt(s->proto.cnodes[watch].tip->b->h.height, during + 8);
    run_until(s, 40ull * 60 * 1000000000);
    uint64_t after = final_height(s, watch);
    ck_assert_msg(after > during + 8, "finality resumes: %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, during,
                  after);
    assert_final_never_reverted(s);
    /* Offline proposers missed their slots. */
    const block_t *tip = s->proto.cnodes[watch].tip->b;
    ck_assert_uint_gt(tip->h.slot - tip->h.height, 0);
    ck_assert_uint_eq(pos_slashed_count(s->proto.cons, tip), 0);
    sim_free(s);
    scenario_free(sc);
    g_free(text);
}
END_TEST

START_TEST(test_dpos_irreversibility_and_missed_slots)
{
    /* 21 producers of 30 candidates; 5 of the top are down for a while. */
    const char *text =
        "[scenario]\nduration = 6m\n"
        "[network]\nnodes = 30\ntopology = random-regular\ndegree = 6\n"
        "[consensus]\nkind = dpos\nblock_interval = 500ms\nproducers = 21\nblocks_per_turn = 12\n"
        "stake = exponential\n"
        "[workload]\ntx_rate = 5/s\n"
        "[event outage]\nat = 2m\ntype = crash\nnodes = 0-4\nduration = 2m\n";
    scenario_t *sc;
    sim_t *s = make(text, &sc);
    run_until(s, 2ull * 60 * 1000000000);
    uint64_t f1 = final_height(s, 29);
    ck_assert_uint_gt(f1, 50);
    run_until(s, 6ull * 60 * 1000000000);
    uint64_t f2 = final_height(s, 29);
    ck_assert_uint_gt(f2, f1 + 100); /* 16 of 21 up is still more than 2/3 */
    const block_t *tip = s->proto.cnodes[29].tip->b;
    uint64_t missed = tip->h.slot - tip->h.height;
    ck_assert_msg(missed > 0, "down producers' slots stay empty");
    assert_final_never_reverted(s);
    sim_free(s);
    scenario_free(sc);
}
END_TEST

/* Distinct producers of the main-chain blocks after `from_height`. */
static uint32_t distinct_producers(sim_t *s, uint32_t node, uint64_t from_height)
{
    GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (const block_t *b = s->proto.cnodes[node].tip->b; b && b->h.height > from_height; b = b->parent)
        g_hash_table_add(seen, GUINT_TO_POINTER(b->h.producer + 1));
    uint32_t n = g_hash_table_size(seen);
    g_hash_table_destroy(seen);
    return n;
}

/* Vote transactions change who is elected: producers outside the genesis
 * top 21 appear once votes have been cast for them. */
START_TEST(test_dpos_votes_elect_producers)
{
    const char *text =
        "[scenario]\nduration = 4m\n"
        "[network]\nnodes = 40\ntopology = random-regular\ndegree = 6\n"
        "[consensus]\nkind = dpos\nblock_interval = 500ms\nproducers = 21\nblocks_per_turn = 2\n"
        "stake = exponential\n"
        "[ledger]\naccounts = 200\n"
        "[workload]\ntx_rate = 20/s\nstaking = 50%\n";
    scenario_t *sc;
    sim_t *s = make(text, &sc);
    uint32_t n = 0;
    const uint32_t *genesis_top = dpos_schedule(s->proto.cons, 0, &n);
    ck_assert_uint_eq(n, 21);
    bool in_genesis[40] = { false };
    for (uint32_t i = 0; i < n; i++)
        in_genesis[genesis_top[i]] = true;
    run_until(s, 4ull * 60 * 1000000000);
    uint32_t newcomers = 0;
    const block_t *tip = s->proto.cnodes[39].tip->b;
    for (const block_t *b = tip; b && b->h.height + 84 > tip->h.height; b = b->parent)
        newcomers += b->parent && !in_genesis[b->h.producer];
    ck_assert_msg(newcomers > 0, "votes elected producers outside the genesis top 21");
    assert_final_never_reverted(s);
    sim_free(s);
    scenario_free(sc);
}
END_TEST

/* Only validators 0 and 1 have stake at genesis; stake transactions make
 * others proposers after the activation delay. */
START_TEST(test_pos_stake_makes_proposers)
{
    const char *text =
        "[scenario]\nduration = 12m\n"
        "[network]\nnodes = 30\ntopology = random-regular\ndegree = 6\n"
        "[consensus]\nkind = pos\nblock_interval = 6s\nslots_per_epoch = 8\nactivation_epochs = 1\n"
        "stake = 0.5,0.5\n"
        "[ledger]\naccounts = 200\nbalance = 1000000000000\n"
        "[workload]\ntx_rate = 10/s\nstaking = 50%\n";
    scenario_t *sc;
    sim_t *s = make(text, &sc);
    run_until(s, 40ull * 1000000000);
    ck_assert_uint_le(distinct_producers(s, 29, 0), 2);
    run_until(s, 12ull * 60 * 1000000000);
    const block_t *tip = s->proto.cnodes[29].tip->b;
    ck_assert_msg(distinct_producers(s, 29, tip->h.height - 40) > 5, "stake made more proposers: %u",
                  distinct_producers(s, 29, tip->h.height - 40));
    assert_final_never_reverted(s);
    sim_free(s);
    scenario_free(sc);
}
END_TEST

/* An equivocating proposer (a second block for its slot) and an
 * equivocating attester (a second vote for one target epoch) are detected by
 * the nodes that see both, the evidence is included in a block and the
 * offenders are slashed on the chain. */
START_TEST(test_pos_equivocation_slashed)
{
    const char *text =
        "[scenario]\nduration = 8m\n"
        "[network]\nnodes = 30\ntopology = random-regular\ndegree = 6\n"
        "[consensus]\nkind = pos\nblock_interval = 6s\nslots_per_epoch = 8\n"
        "[workload]\ntx_rate = 1/s\n";
    scenario_t *sc;
    sim_t *s = make(text, &sc);
    run_until(s, 2ull * 60 * 1000000000);
    const uint32_t watch = 29;
    sblock_t *b = s->proto.cnodes[watch].tip;
    const uint32_t liar = b->b->h.producer;
    /* The same proposer signs another block for the same slot. */
    block_t *twin = block_new(b->b->parent, b->b->h.time_ns, liar, &s->proto.cnodes[liar].reward_addr, NULL, 0, 1);
    s->proto.cons->ops->prepare(s->proto.cons, twin);
    pos_block_attach(s->proto.cons, twin, NULL, 0, NULL, 0);
    s->proto.cons->ops->sign(s->proto.cons, twin, &s->proto.node_keys[liar]);
    block_seal(twin);
    ck_assert(ledger_apply_block(twin, s->sc->consensus.reward));
    sblock_t *tsb = chain_inject(&s->proto, twin);
    const node_t *nd = &s->net.nodes[watch];
    chain_receive(&s->proto, watch, s->net.adj_peer[nd->adj_off], s->net.adj_link[nd->adj_off], &tsb->m_full);
    /* A validator votes twice for one target epoch. */
    pos_att_t other = *chain_attestation(&s->proto, s->proto.atts->len - 1);
    const uint32_t voter = other.validator;
    other.target.id = b->b->parent->id;
    other.head = b->b->parent->id;
    pos_att_sign(&other, &s->proto.node_keys[voter]);
    chain_inject_attestation(&s->proto, &other);
    run_until(s, 8ull * 60 * 1000000000);
    const block_t *tip = s->proto.cnodes[watch].tip->b;
    ck_assert_msg(pos_is_slashed(s->proto.cons, tip, liar), "the double proposer %u is slashed", liar);
    ck_assert_msg(pos_is_slashed(s->proto.cons, tip, voter), "the double voter %u is slashed", voter);
    ck_assert_uint_eq(pos_slashed_count(s->proto.cons, tip), liar == voter ? 1 : 2);
    sim_free(s);
    scenario_free(sc);
}
END_TEST

static char *digest(const char *scenario, const char *seed, const char *db)
{
    char *path = tu_source(scenario), *out = NULL;
    int rc = tu_chainsim(&out, NULL, "run", path, "--out", db, "--seed", seed, "--set", "network.nodes=60", "--set",
                         "scenario.duration=6m", "--set", "workload.tx_rate=2/s", "--set", "consensus.slots_per_epoch=8",
                         "--quiet", NULL);
    ck_assert_int_eq(rc, 0);
    const char *d = strstr(out, "digest: ");
    ck_assert_ptr_nonnull(d);
    char *hex = g_strndup(d + 8, 64);
    g_free(out);
    g_free(path);
    return hex;
}

START_TEST(test_engines_deterministic)
{
    static const char *const files[] = { "scenarios/compare-pow.ini", "scenarios/compare-pos.ini",
                                         "scenarios/compare-dpos.ini" };
    char *tmp = tu_tmpdir();
    char *db = g_build_filename(tmp, "c.db", NULL);
    char *first[3];
    for (int i = 0; i < 3; i++) {
        first[i] = digest(files[i], "3", db);
        char *again = digest(files[i], "3", db);
        char *other = digest(files[i], "4", db);
        ck_assert_str_eq(first[i], again);
        ck_assert_str_ne(first[i], other);
        g_free(again);
        g_free(other);
    }
    /* Same network and workload, different engines: different runs. */
    ck_assert_str_ne(first[0], first[1]);
    ck_assert_str_ne(first[1], first[2]);
    /* The engines recorded their figures; rows of one seed agree. */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(DISTINCT engine) FROM chain_summary"), 3);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM (SELECT engine, seed FROM chain_summary c JOIN runs r "
                                   "USING (run_id) GROUP BY engine, seed HAVING count(DISTINCT final_height) > 1)"),
                     0);
    ck_assert_int_gt(tu_db_int(db, "SELECT min(final_height) FROM chain_summary"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM chain_summary WHERE engine = 'pow' AND "
                                   "missed_slots IS NOT NULL"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM v_run_summary WHERE engine != 'pow' AND "
                                   "finality_latency_p50_s IS NULL"), 0);
    for (int i = 0; i < 3; i++)
        g_free(first[i]);
    g_free(db);
    g_free(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("consensus");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_pos_finality_honest_and_stalled);
    tcase_add_test(tc, test_dpos_irreversibility_and_missed_slots);
    tcase_add_test(tc, test_engines_deterministic);
    tcase_add_test(tc, test_dpos_votes_elect_producers);
    tcase_add_test(tc, test_pos_stake_makes_proposers);
    tcase_add_test(tc, test_pos_equivocation_slashed);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
