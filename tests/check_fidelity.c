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

static Suite *suite(void)
{
    Suite *s = suite_create("fidelity");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_max_blocks_ends_run_with_workload);
    tcase_add_test(tc, test_supply_recorded);
    tcase_add_test(tc, test_broken_supply_fails_run);
    tcase_add_test(tc, test_outdegree_2015_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(suite());
}
