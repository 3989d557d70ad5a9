/*
 * check_quickstart.c - the quick start's output, as the README quotes it.
 *
 * Runs `chainsim run scenarios/quickstart.ini` (what `make demo` runs) and
 * compares its standard output with tests/golden/quickstart-output.txt,
 * which the README quotes, so that the quoted sample cannot go stale: a
 * change of the simulation that changes any figure of the quick start
 * (links, events, blocks, reorgs, transactions, the digest) fails here and
 * the golden file (and the README's copy) must be renewed with it. Two lines
 * depend on the machine or the command line and are compared in a
 * normalised form: the wall-clock line ("wall ...") and the results file
 * ("results: results/quickstart.db (run 1)").
 *
 * To renew the file after an intended change:
 *   build/chainsim run scenarios/quickstart.ini --out /tmp/q.db \
 *     | sed -e 's|^wall .*|wall ...|' -e 's|^results: .* (run 1)$|results: results/quickstart.db (run 1)|' \
 *     > tests/golden/quickstart-output.txt
 */
#include <glib.h>
#include <string.h>

#include "tests/testutil.h"

/* out with the machine-dependent lines normalised (g_free). */
static char *normalise(const char *out)
{
    char **lines = g_strsplit(out, "\n", -1);
    GString *s = g_string_new(NULL);
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "wall "))
            g_string_append(s, "wall ...");
        else if (g_str_has_prefix(*l, "results: ") && g_str_has_suffix(*l, " (run 1)"))
            g_string_append(s, "results: results/quickstart.db (run 1)");
        else
            g_string_append(s, *l);
        if (l[1])
            g_string_append_c(s, '\n');
    }
    g_strfreev(lines);
    return g_string_free(s, FALSE);
}

START_TEST(test_quickstart_output)
{
    char *dir = tu_tmpdir();
    char *db = g_build_filename(dir, "quickstart.db", NULL);
    char *ini = tu_source("scenarios/quickstart.ini");
    char *golden_path = tu_source("tests/golden/quickstart-output.txt");
    char *golden = NULL;
    ck_assert_msg(g_file_get_contents(golden_path, &golden, NULL, NULL), "cannot read %s", golden_path);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "run", ini, "--out", db, NULL);
    ck_assert_msg(rc == 0, "run: exit %d\n%s", rc, err);
    char *got = normalise(out);
    ck_assert_msg(strcmp(got, golden) == 0,
                  "the quick start's output differs from %s (quoted by the README); if the change is intended,"
                  " renew the file (see tests/check_quickstart.c) and the README's copy.\n--- got:\n%s--- want:\n%s",
                  golden_path, got, golden);
    g_free(got);
    g_free(out);
    g_free(err);
    g_free(golden);
    g_free(golden_path);
    g_free(ini);
    g_free(db);
    g_free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("quickstart");
    TCase *tc = tcase_create("output");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_quickstart_output);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
