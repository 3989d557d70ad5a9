/*
 * check_pow.c - the proof-of-work engine: difficulty retargeting converges
 * to the target interval, heaviest-work comparison, finality depth, and the
 * validation mode's real SHA-256d nonce search.
 */
#include <check.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>

#include "core/consensus/pow.h"
#include "core/hash.h"
#include "sim/engine/rng.h"

static addr_t zero_addr;

static block_t *genesis(uint64_t difficulty)
{
    block_t *g = block_new(NULL, 0, 0, &zero_addr, NULL, 0, 0);
    g->h.difficulty = difficulty;
    block_seal(g);
    return g;
}

/* A chain mined by one node owning all the hash power, which is `speed`
 * times what the genesis difficulty assumed. Returns the tip; blocks go to
 * `all` for freeing. */
static block_t *mine_chain(consensus_t *c, block_t *g, int n, GPtrArray *all, rng_t *r)
{
    block_t *tip = g;
    for (int i = 0; i < n; i++) {
        uint64_t t = c->ops->next_ns(c, 0, tip, tip->h.time_ns, rng_unit_open0(r));
        block_t *b = block_new(tip, t, 0, &zero_addr, NULL, 0, 0);
        c->ops->prepare(c, b);
        block_seal(b);
        const char *why = NULL;
        ck_assert_msg(c->ops->check(c, b, &why), "own block rejected: %s", why);
        g_ptr_array_add(all, b);
        tip = b;
    }
    return tip;
}

START_TEST(test_retarget_converges)
{
    hash_init();
    /* Difficulty set for 1e6 H/s at 10 s blocks; the miner does 4e6 H/s. */
    uint64_t rate[1] = { 4000000 };
    pow_cfg_t cfg = { .interval_ns = 10000000000ull, .total_hashrate = 1000000, .retarget_blocks = 50,
                      .retarget_clamp = 4, .confirmations = 6, .nnodes = 1, .hashrate = rate };
    consensus_t *c = pow_new(&cfg);
    block_t *g = genesis(pow_genesis_difficulty(&cfg));
    ck_assert_uint_eq(g->h.difficulty, 10000000);
    GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)block_free);
    rng_t r;
    rng_stream(&r, 3, RNG_TEST, 0);
    block_t *early = mine_chain(c, g, 50, all, &r);
    double early_mean_s = (double)early->h.time_ns / 50 / 1e9;
    ck_assert_msg(early_mean_s < 4.0, "before the first retarget blocks come 4x fast: %.2f s", early_mean_s);
    block_t *tip = mine_chain(c, early, 950, all, &r);
    /* Difficulty now reflects the real hash rate (4x), and blocks come every ~10 s. */
    double ratio = (double)tip->h.difficulty / (double)g->h.difficulty;
    ck_assert_msg(fabs(ratio - 4.0) < 0.8, "difficulty ratio %.2f, want about 4", ratio);
    const block_t *b = tip;
    for (int i = 0; i < 500; i++)
        b = b->parent;
    double late_mean_s = (double)(tip->h.time_ns - b->h.time_ns) / 500 / 1e9;
    ck_assert_msg(fabs(late_mean_s - 10.0) < 1.0, "mean interval %.2f s, want 10", late_mean_s);
    /* Difficulty changes only at retarget heights. */
    for (guint i = 1; i < all->len; i++) {
        const block_t *x = g_ptr_array_index(all, i);
        if (x->h.height % 50 != 0)
            ck_assert_uint_eq(x->h.difficulty, x->parent->h.difficulty);
    }
    /* A block claiming another difficulty is rejected. */
    block_t *bad = block_new(tip, tip->h.time_ns + 1, 0, &zero_addr, NULL, 0, 0);
    c->ops->prepare(c, bad);
    bad->h.difficulty += 1;
    block_seal(bad);
    const char *why = NULL;
    ck_assert(!c->ops->check(c, bad, &why));
    ck_assert_str_eq(why, "wrong difficulty");
    block_free(bad);
    g_ptr_array_free(all, TRUE);
    block_free(g);
    c->ops->destroy(c);
}
END_TEST

START_TEST(test_clamp)
{
    hash_init();
    uint64_t rate[1] = { 1000000000 }; /* 1000x faster than assumed */
    pow_cfg_t cfg = { .interval_ns = 10000000000ull, .total_hashrate = 1000000, .retarget_blocks = 10,
                      .retarget_clamp = 4, .confirmations = 1, .nnodes = 1, .hashrate = rate };
    consensus_t *c = pow_new(&cfg);
    block_t *g = genesis(pow_genesis_difficulty(&cfg));
    GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)block_free);
    rng_t r;
    rng_stream(&r, 4, RNG_TEST, 0);
    block_t *tip = mine_chain(c, g, 10, all, &r);
    ck_assert_uint_eq(tip->h.difficulty, 4 * g->h.difficulty); /* one step is at most x4 */
    g_ptr_array_free(all, TRUE);
    block_free(g);
    c->ops->destroy(c);
}
END_TEST

START_TEST(test_compare_and_final)
{
    hash_init();
    uint64_t rate[2] = { 1000, 1000 };
    pow_cfg_t cfg = { .interval_ns = 1000000000ull, .total_hashrate = 2000, .retarget_blocks = 0,
                      .retarget_clamp = 4, .confirmations = 3, .nnodes = 2, .hashrate = rate };
    consensus_t *c = pow_new(&cfg);
    block_t *g = genesis(pow_genesis_difficulty(&cfg));
    GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)block_free);
    rng_t r;
    rng_stream(&r, 5, RNG_TEST, 0);
    block_t *a = mine_chain(c, g, 5, all, &r);
    block_t *b = mine_chain(c, g, 4, all, &r);
    ck_assert_int_gt(c->ops->compare(c, a, b), 0);
    ck_assert_int_lt(c->ops->compare(c, b, a), 0);
    ck_assert_int_eq(c->ops->compare(c, a, a), 0);
    const block_t *f = c->ops->final(c, a);
    ck_assert_uint_eq(f->h.height, 3); /* 3 blocks, itself included, from the tip at 5 */
    ck_assert_ptr_eq(c->ops->final(c, g), g);
    /* A node without hash power never produces. */
    uint64_t none[2] = { 0, 1000 };
    pow_cfg_t cfg2 = cfg;
    cfg2.hashrate = none;
    consensus_t *c2 = pow_new(&cfg2);
    ck_assert_uint_eq(c2->ops->next_ns(c2, 0, g, 0, 0.5), UINT64_MAX);
    ck_assert_uint_ne(c2->ops->next_ns(c2, 1, g, 0, 0.5), UINT64_MAX);
    c2->ops->destroy(c2);
    g_ptr_array_free(all, TRUE);
    block_free(g);
    c->ops->destroy(c);
}
END_TEST

START_TEST(test_real_nonce_search)
{
    hash_init();
    uint64_t rate[1] = { 1000 };
    pow_cfg_t cfg = { .interval_ns = 1000000000ull, .total_hashrate = 1000, .retarget_blocks = 0,
                      .retarget_clamp = 4, .confirmations = 1, .real_bits = 12, .nnodes = 1, .hashrate = rate };
    consensus_t *c = pow_new(&cfg);
    block_t *g = genesis(pow_genesis_difficulty(&cfg));
    int rejected = 0;
    for (int i = 0; i < 8; i++) {
        block_t *b = block_new(g, 1000 + (uint64_t)i, 0, &zero_addr, NULL, 0, 0);
        c->ops->prepare(c, b);
        block_seal(b);
        ck_assert_uint_ge(pow_hash_zero_bits(b), 12);
        const char *why = NULL;
        ck_assert(c->ops->check(c, b, &why));
        /* Any other nonce almost surely fails the target (1 in 4096 passes). */
        b->h.nonce += 1;
        block_seal(b);
        if (!c->ops->check(c, b, &why)) {
            rejected++;
            ck_assert_str_eq(why, "proof of work does not meet the target");
        }
        block_free(b);
    }
    ck_assert_int_ge(rejected, 7);
    block_free(g);
    c->ops->destroy(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pow");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_retarget_converges);
    tcase_add_test(tc, test_clamp);
    tcase_add_test(tc, test_compare_and_final);
    tcase_add_test(tc, test_real_nonce_search);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
