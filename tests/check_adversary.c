/*
 * check_adversary.c - [adversary NAME] groups and the adversaries of
 * sim/node/adversary.c.
 *
 * Scenario checks load text with tu_load and look for the error naming the
 * key; runs go through the real binary and read the adversaries table.
 * The selfish-mining validity test runs a reduced grid of
 * tests/validity.sh's points (shorter runs; the whole grid is `make
 * validate`) and compares the attacker's revenue share with Eyal and
 * Sirer's closed form, within 0.01; the double-spend test likewise
 * against the success rate of a private-branch double spend.
 */
#include <check.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "sim/scenario/scenario.h"
#include "tests/testutil.h"

#define POW_BASE                                                                                            \
    "[scenario]\nname = adv\nduration = 10h\n"                                                              \
    "[network]\nnodes = 10\ntopology = full-mesh\nprofile = uniform\nlatency = constant\n"                \
    "latency_mean = 10ms\n"                                                                                 \
    "[consensus]\nkind = pow\nblock_interval = 600s\nretarget_blocks = 0\n"

/* Loads text with overrides; returns the errors (g_free) or NULL when it loaded. */
static char *load_errors(const char *text, const char *set1, const char *set2)
{
    char *errors = NULL;
    scenario_t *sc = set2 ? tu_load(text, &errors, set1, set2, NULL)
                   : set1 ? tu_load(text, &errors, set1, NULL)
                          : tu_load(text, &errors, NULL);
    scenario_free(sc);
    return errors;
}

static void expect_error(const char *text, const char *set1, const char *set2, const char *needle)
{
    char *e = load_errors(text, set1, set2);
    ck_assert_msg(e != NULL, "expected an error containing \"%s\"", needle);
    ck_assert_msg(strstr(e, needle) != NULL, "error \"%s\" lacks \"%s\"", e, needle);
    g_free(e);
}

START_TEST(parses_selfish)
{
    char *errors = NULL;
    scenario_t *sc = tu_load(POW_BASE "[adversary eve]\nkind = selfish\nnodes = 2-3\nhashpower = 0.3\n"
                             "gamma = 0.5\nstubborn = lead,trail\ntrail_depth = 2\nstart = 1h\n"
                             "[adversary bob]\nkind = selfish\ncount = 2\nhashpower = 10%\n",
                             &errors, "adversary.bob.gamma=network", NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_uint_eq(sc->nadversaries, 2);
    const adversary_spec_t *e = &sc->adversaries[0], *b = &sc->adversaries[1];
    ck_assert_str_eq(e->name, "eve");
    ck_assert_int_eq(e->kind, ADV_SELFISH);
    ck_assert_uint_eq(e->nnodes_ranges, 1);
    ck_assert_uint_eq(e->nodes[0].lo, 2);
    ck_assert_uint_eq(e->nodes[0].hi, 3);
    ck_assert_uint_eq(e->share_ppm, 300000);
    ck_assert_int_eq(e->gamma_ppm, 500000);
    ck_assert_uint_eq(e->stubborn, STUBBORN_LEAD | STUBBORN_TRAIL);
    ck_assert_uint_eq(e->trail_depth, 2);
    ck_assert_uint_eq(e->start_ns, 3600000000000ull);
    ck_assert_uint_eq(e->stop_ns, UINT64_MAX);
    ck_assert_uint_eq(b->count, 2);
    ck_assert_int_eq(b->gamma_ppm, -1);
    ck_assert_ptr_nonnull(strstr(sc->params, "adversary bob.gamma = network"));
    scenario_free(sc);
}
END_TEST

START_TEST(refuses_bad_adversaries)
{
    const char *eve = POW_BASE "[adversary eve]\nkind = selfish\nnodes = 0\nhashpower = 0.3\n";
    expect_error(eve, "consensus.kind=pos", NULL, "[adversary eve] kind = \"selfish\": an attack on proof of work");
    expect_error(eve, "adversary.eve.hashpower=1", NULL, "hashpower = \"1\": expected a share strictly between");
    expect_error(eve, "adversary.eve.hashpower=0", NULL, "hashpower = \"0\"");
    expect_error(eve, "adversary.eve.start=2h", "adversary.eve.stop=1h", "stop = \"1h\": not after start");
    expect_error(eve, "adversary.eve.nodes=0-9", NULL, "control 10 of the 10 nodes");
    expect_error(eve, "adversary.eve.count=3", NULL, "give either nodes or count");
    expect_error(eve, "adversary.eve.gamma=often", NULL, "gamma = \"often\"");
    expect_error(eve, "adversary.eve.stubborn=very", NULL, "stubborn = \"very\"");
    expect_error(eve, "adversary.eve.kind=sneaky", NULL, "unknown adversary kind");
    expect_error(eve, "adversary.eve.colour=red", NULL, "colour: unknown key for an adversary");
    expect_error(eve, "adversary.eve.victims=3", NULL, "victims: not used by adversaries of kind selfish");
    expect_error(eve, "adversary.bob.kind=selfish", "adversary.bob.hashpower=0.8", "shares add up to 1.1");
    expect_error(POW_BASE "[adversary eve]\nkind = selfish\nhashpower = 0.3\nnodes = 1\n"
                 "[adversary bob]\nkind = selfish\nhashpower = 0.3\nnodes = 1\n",
                 NULL, NULL, "node 1 belongs to another adversary too");
    expect_error(POW_BASE "[adversary eve]\nkind = selfish\n", NULL, NULL, "hashpower: missing");
    expect_error(POW_BASE "[adversary eve]\nhashpower = 0.3\n", NULL, NULL, "kind: missing");
    /* the file and line of the group */
    char *e = load_errors(eve, "adversary.eve.hashpower=2", NULL);
    ck_assert_ptr_nonnull(strstr(e, "--set adversary.eve.hashpower=2: [adversary eve] hashpower"));
    g_free(e);
    e = load_errors(POW_BASE "[adversary eve]\nkind = selfish\nnodes = 0\nhashpower = 3\n", NULL, NULL);
    ck_assert_msg(strstr(e, ":17: [adversary eve] hashpower") != NULL, "%s", e);
    g_free(e);
}
END_TEST

/* Eyal and Sirer's revenue share of a selfish miner. */
static double es_revenue(double a, double g)
{
    double r = (a * (1 - a) * (1 - a) * (4 * a + g * (1 - 2 * a)) - a * a * a) / (1 - a * (1 + (2 - a) * a));
    return r < 0 ? 0 : r;
}

static const char *const validity_ini =
    "[scenario]\nname = validity\nduration = 8000h\n"
    "[network]\nnodes = 3\ntopology = full-mesh\nprofile = uniform\nlatency = constant\nlatency_mean = 10ms\n"
    "[record]\ndetail = summary\nsample_interval = 1000h\n"
    "[relay]\npush = true\n"
    "[consensus]\nkind = pow\nblock_interval = 600s\nretarget_blocks = 0\n"
    "[adversary eve]\nkind = selfish\nnodes = 0\nhashpower = 0.3\n";

/* Runs the validity scenario at (alpha, gamma); returns the revenue share. */
static double run_selfish(const char *dir, const char *alpha, const char *gamma, char **digest)
{
    char *ini = tu_write(dir, "validity.ini", validity_ini);
    char *db = g_strdup_printf("%s/v-%s-%s-%d.db", dir, alpha, gamma, g_random_int());
    char *a = g_strdup_printf("adversary.eve.hashpower=%s", alpha);
    char *g = g_strdup_printf("adversary.eve.gamma=%s", gamma);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "run", ini, "--quiet", "--out", db, "--set", a, "--set", g, NULL);
    ck_assert_msg(rc == 0, "run failed: %s", err);
    if (digest)
        *digest = g_strdup(out);
    char *r = tu_db_text(db, "SELECT revenue_share FROM adversaries");
    double share = g_ascii_strtod(r, NULL);
    g_free(r);
    g_free(out);
    g_free(err);
    g_free(a);
    g_free(g);
    g_free(db);
    g_free(ini);
    return share;
}

/* Below and above the profitability threshold (1/3 for gamma 0, 1/4 for
 * gamma 0.5): the simulated share is within 0.01 of the closed form, and
 * on the right side of alpha. */
START_TEST(selfish_matches_eyal_sirer)
{
    static const struct {
        const char *alpha, *gamma;
        double a, g;
    } grid[] = {
        { "0.2", "0", 0.2, 0.0 },   /* below: R < alpha */
        { "0.4", "0", 0.4, 0.0 },   /* above */
        { "0.3", "0.5", 0.3, 0.5 }, /* above at gamma 0.5 */
        { "0.2", "0.5", 0.2, 0.5 }, /* below at gamma 0.5 */
    };
    char *dir = tu_tmpdir();
    for (size_t i = 0; i < G_N_ELEMENTS(grid); i++) {
        double sim = run_selfish(dir, grid[i].alpha, grid[i].gamma, NULL);
        double want = es_revenue(grid[i].a, grid[i].g);
        ck_assert_msg(fabs(sim - want) <= 0.01, "alpha %s gamma %s: simulated %.4f, Eyal-Sirer %.4f",
                      grid[i].alpha, grid[i].gamma, sim, want);
        ck_assert_msg((sim > grid[i].a) == (want > grid[i].a), "alpha %s gamma %s: %.4f on the wrong side",
                      grid[i].alpha, grid[i].gamma, sim);
    }
    g_free(dir);
}
END_TEST

/* gamma moves the share the way the closed form does: with gamma 1 the
 * attacker earns more than with gamma 0 (the runs differ only in the tie
 * draws). And the same run twice gives the same digest. */
START_TEST(selfish_gamma_and_determinism)
{
    char *dir = tu_tmpdir();
    char *d1 = NULL, *d2 = NULL;
    double lo = run_selfish(dir, "0.35", "0", &d1);
    double hi = run_selfish(dir, "0.35", "1", NULL);
    double again = run_selfish(dir, "0.35", "0", &d2);
    ck_assert_msg(hi > lo + 0.05, "gamma 1: %.4f, gamma 0: %.4f", hi, lo);
    ck_assert_str_eq(d1, d2);
    ck_assert(lo == again);
    g_free(d1);
    g_free(d2);
    g_free(dir);
}
END_TEST

/* The attacker's blocks reach honest nodes only once released: with
 * hashpower 0.45 and gamma 0 it holds blocks back, so it releases blocks
 * later than it makes them, and honest blocks go stale. */
START_TEST(selfish_holds_blocks_back)
{
    char *dir = tu_tmpdir();
    char *ini = tu_write(dir, "s.ini", POW_BASE "[adversary eve]\nkind = selfish\nnodes = 4\nhashpower = 0.45\n"
                                                "gamma = 0\n[record]\ndetail = arrivals\n");
    char *db = g_strdup_printf("%s/s.db", dir);
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "run", ini, "--quiet", "--out", db, "--set",
                                 "scenario.duration=200h", NULL), 0);
    /* some block of node 4 reached another node long after it was made */
    ck_assert_int_gt(tu_db_int(db, "SELECT count(*) FROM blocks b JOIN block_arrivals a USING (run_id, block_index) "
                                   "WHERE b.producer = 4 AND a.node_id != 4 AND a.arrival_ns - b.created_ns > 60e9"),
                     0);
    ck_assert_int_gt(tu_db_int(db, "SELECT honest_stale FROM adversaries"), 0);
    /* the fork log marks its blocks and names the cause */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM block_marks WHERE adversary = 'selfish eve'"),
                     tu_db_int(db, "SELECT count(*) FROM blocks WHERE producer = 4"));
    ck_assert_int_gt(tu_db_int(db, "SELECT count(*) FROM v_forks WHERE cause = 'adversary'"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT blocks_made FROM adversaries"),
                     tu_db_int(db, "SELECT count(*) FROM blocks WHERE producer = 4"));
    g_free(err);
    g_free(db);
    g_free(ini);
    g_free(dir);
}
END_TEST

/* Success rate of a double spend in this model (tests/validity.sh). */
static double ds_analytic(double q, int n)
{
    double p = 1 - q, r = 0, c = 1;
    for (int m = 0; m < 2000; m++) {
        if (m > 0)
            c = c * (m + n - 1) / m;
        int z = n - m;
        r += c * pow(p, n) * pow(q, m) * (z < 0 ? 1 : pow(q / p, z + 1));
    }
    return r;
}

/* Double spends without a practical give-up: the share of successful
 * attempts is within 0.04 of the closed form (about 3 standard errors at
 * this length), and each attempt is recorded with its outcome. */
START_TEST(double_spend_matches_closed_form)
{
    static const struct {
        const char *q, *n;
        double qv;
        int nv;
    } grid[] = { { "0.2", "1", 0.2, 1 }, { "0.3", "3", 0.3, 3 } };
    char *dir = tu_tmpdir();
    char *ini = tu_write(dir, "ds.ini",
                         "[scenario]\nname = ds\nduration = 8000h\n"
                         "[network]\nnodes = 3\ntopology = full-mesh\nprofile = uniform\nlatency = constant\n"
                         "latency_mean = 10ms\n[record]\ndetail = summary\nsample_interval = 1000h\n"
                         "[relay]\npush = true\n[consensus]\nkind = pow\nblock_interval = 600s\nretarget_blocks = 0\n"
                         "[adversary mallory]\nkind = double-spend\nnodes = 0\nhashpower = 0.1\ngive_up = 25\n"
                         "attempts = 1000000\n");
    for (size_t i = 0; i < G_N_ELEMENTS(grid); i++) {
        char *db = g_strdup_printf("%s/ds%zu.db", dir, i);
        char *q = g_strdup_printf("adversary.mallory.hashpower=%s", grid[i].q);
        char *n = g_strdup_printf("adversary.mallory.confirmations=%s", grid[i].n);
        char *err = NULL;
        ck_assert_msg(tu_chainsim(NULL, &err, "run", ini, "--quiet", "--out", db, "--set", q, "--set", n, NULL) == 0,
                      "%s", err);
        int64_t tries = tu_db_int(db, "SELECT count(*) FROM double_spends WHERE outcome != 'open'");
        int64_t won = tu_db_int(db, "SELECT count(*) FROM double_spends WHERE outcome = 'success'");
        ck_assert_int_gt(tries, 500);
        double sim = (double)won / (double)tries, want = ds_analytic(grid[i].qv, grid[i].nv);
        ck_assert_msg(fabs(sim - want) <= 0.04, "q %s n %s: simulated %.4f, closed form %.4f", grid[i].q, grid[i].n,
                      sim, want);
        /* a success was accepted first, then ended; every attempt is a row */
        ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM double_spends WHERE outcome = 'success' AND "
                                       "(accepted_ns IS NULL OR end_ns < accepted_ns)"), 0);
        /* report --json gives the attempts and successes */
        char *json = NULL;
        ck_assert_int_eq(tu_chainsim(&json, NULL, "report", db, "--json", NULL), 0);
        char *want_a = g_strdup_printf("\"double_spend_attempts\": %" G_GINT64_FORMAT ",",
                                       tu_db_int(db, "SELECT count(*) FROM double_spends"));
        char *want_s = g_strdup_printf("\"double_spend_successes\": %" G_GINT64_FORMAT ",", won);
        ck_assert_msg(strstr(json, want_a) && strstr(json, want_s), "%s", json);
        ck_assert_ptr_nonnull(strstr(json, "\"adversary_revenue_share\": 0."));
        g_free(want_a);
        g_free(want_s);
        g_free(json);
        /* a lost attempt cost the attacker blocks, a won one none */
        ck_assert_int_gt(tu_db_int(db, "SELECT sum(blocks_lost) FROM double_spends WHERE outcome = 'gave-up'"), 0);
        ck_assert_int_eq(tu_db_int(db, "SELECT sum(blocks_lost) FROM double_spends WHERE outcome = 'success'"), 0);
        g_free(err);
        g_free(q);
        g_free(n);
        g_free(db);
    }
    g_free(ini);
    g_free(dir);
}
END_TEST

/* A sweep over the adversary's hash power (--grid adversary.NAME.key) and
 * its plot: the revenue share per value, with the line y = x. */
START_TEST(sweep_and_plot_revenue_share)
{
    char *dir = tu_tmpdir();
    char *ini = tu_write(dir, "sw.ini", POW_BASE "[adversary eve]\nkind = selfish\nnodes = 0\nhashpower = 0.3\n"
                                              "[record]\ndetail = summary\n");
    char *db = g_strdup_printf("%s/sw.db", dir), *plots = g_strdup_printf("%s/plots", dir);
    char *err = NULL;
    ck_assert_msg(tu_chainsim(NULL, &err, "sweep", ini, "--grid", "adversary.eve.hashpower=0.2,0.4", "--seeds", "1..1",
                              "--set", "scenario.duration=100h", "--out", db, NULL) == 0, "%s", err);
    g_free(err);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(DISTINCT value) FROM run_params WHERE key = 'adversary eve.hashpower'"),
                     2);
    g_setenv("CHAINSIM_GNUPLOT", "", TRUE);
    char *out = NULL;
    ck_assert_int_eq(tu_chainsim(&out, NULL, "plot", db, "--x", "adversary.eve.hashpower", "--y",
                                 "adversary_revenue_share", "--out", plots, NULL), 0);
    ck_assert_msg(strstr(out, "0.2 ") && strstr(out, "0.4 "), "%s", out);
    char *gp = g_strdup_printf("%s/adversary_revenue_share_vs_adversary.eve.hashpower.gp", plots), *text = NULL;
    ck_assert(g_file_get_contents(gp, &text, NULL, NULL));
    ck_assert_ptr_nonnull(strstr(text, ", x with lines"));
    g_free(text);
    g_free(gp);
    g_free(out);
    g_free(plots);
    g_free(db);
    g_free(ini);
    g_free(dir);
}
END_TEST

/* withhold: blocks held back forever never reach an honest node and never
 * enter the final main chain; held back a minute they arrive late. */
START_TEST(withhold_holds_blocks)
{
    char *dir = tu_tmpdir();
    char *ini = tu_write(dir, "w.ini", POW_BASE "[adversary w]\nkind = withhold\nnodes = 2\nhashpower = 0.3\n"
                                             "[record]\ndetail = arrivals\n");
    char *db = g_strdup_printf("%s/w.db", dir), *db2 = g_strdup_printf("%s/w2.db", dir);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", ini, "--quiet", "--out", db, "--set", "scenario.duration=20h",
                                 NULL), 0);
    ck_assert_int_gt(tu_db_int(db, "SELECT blocks_made FROM adversaries"), 10);
    ck_assert_int_eq(tu_db_int(db, "SELECT blocks_main FROM adversaries"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM blocks b JOIN block_arrivals a USING (run_id, block_index) "
                                   "WHERE b.producer = 2 AND a.node_id != 2"), 0);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", ini, "--quiet", "--out", db2, "--set", "scenario.duration=20h",
                                 "--set", "adversary.w.delay=60s", NULL), 0);
    ck_assert_int_gt(tu_db_int(db2, "SELECT count(*) FROM blocks b JOIN block_arrivals a USING (run_id, block_index) "
                                    "WHERE b.producer = 2 AND a.node_id != 2"), 0);
    ck_assert_int_eq(tu_db_int(db2, "SELECT count(*) FROM blocks b JOIN block_arrivals a USING (run_id, block_index) "
                                    "WHERE b.producer = 2 AND a.node_id != 2 AND a.arrival_ns - b.created_ns < 60e9"),
                     0);
    g_free(db2);
    g_free(db);
    g_free(ini);
    g_free(dir);
}
END_TEST

static Suite *adversary_suite(void)
{
    Suite *s = suite_create("adversary");
    TCase *tc = tcase_create("scenario");
    tcase_add_test(tc, parses_selfish);
    tcase_add_test(tc, refuses_bad_adversaries);
    suite_add_tcase(s, tc);
    tc = tcase_create("selfish");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, selfish_matches_eyal_sirer);
    tcase_add_test(tc, selfish_gamma_and_determinism);
    tcase_add_test(tc, selfish_holds_blocks_back);
    tcase_add_test(tc, sweep_and_plot_revenue_share);
    tcase_add_test(tc, withhold_holds_blocks);
    suite_add_tcase(s, tc);
    tc = tcase_create("double-spend");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, double_spend_matches_closed_form);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(adversary_suite());
}
