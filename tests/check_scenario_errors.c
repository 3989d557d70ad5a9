/*
 * check_scenario_errors.c - what `chainsim check` tells a user about a
 * scenario file with several mistakes: every value error in one round, and
 * an unknown region answered with the profile's regions.
 */
#include <glib.h>
#include <string.h>

#include "tests/testutil.h"

#define ck_assert_contains(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "missing <%s> in:\n%s", (needle), (hay))

/* Four bad values in four groups: one `check` names all four. */
START_TEST(test_check_reports_every_value_error)
{
    char *dir = tu_tmpdir();
    char *ini = tu_write(dir, "bad.ini",
                         "[scenario]\nname = x\nduration = 5q\n[network]\nnodes = abc\n"
                         "[consensus]\nkind = pow\nblock_interval = -3s\n[workload]\ntx_rate = 10\n");
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "check", ini, NULL), 2);
    ck_assert_contains(err, ":3: [scenario] duration = \"5q\"");
    ck_assert_contains(err, ":5: [network] nodes = \"abc\"");
    ck_assert_contains(err, ":8: [consensus] block_interval = \"-3s\"");
    ck_assert_contains(err, ":10: [workload] tx_rate = \"10\"");
    g_free(out);
    g_free(err);
    g_free(ini);
    g_free(dir);
}
END_TEST

/* A region name that the profile does not have: the message lists the
 * ones it has. */
START_TEST(test_unknown_region_lists_regions)
{
    char *errors = NULL;
    scenario_t *sc = tu_load("[network]\nnodes = 50\nprofile = bitcoin-2019\n"
                             "[event split]\nat = 10s\ntype = partition\nby = regions\ngroups = europa\n",
                             &errors, NULL);
    ck_assert_ptr_null(sc);
    ck_assert_contains(errors, "\"europa\" is not a region of the bitcoin-2019 profile (its regions: north-america,"
                               " europe, south-america, asia-pacific, japan, australia)");
    g_free(errors);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scenario_errors");
    TCase *tc = tcase_create("messages");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_check_reports_every_value_error);
    tcase_add_test(tc, test_unknown_region_lists_regions);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
