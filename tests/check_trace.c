/*
 * check_trace.c - replays that observe: `chainsim trace` (analysis/trace.c)
 * and `chainsim export --format simblock` (analysis/simblock.c).
 *
 * One recorded run of forks-demo at a reduced size with per-node arrivals:
 * a partition from 60 s to 120 s, so nodes on the losing side reorganise
 * after the heal.
 */
#include <glib.h>
#include <string.h>

#include "tests/testutil.h"

static char *dir, *db;

static void setup_run(void)
{
    dir = tu_tmpdir();
    db = g_build_filename(dir, "t.db", NULL);
    char *sc = tu_source("scenarios/forks-demo.ini"), *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "run", sc, "--out", db, "--quiet", "--set", "network.nodes=60", "--set",
                         "scenario.duration=150s", "--set", "record.detail=arrivals", NULL);
    ck_assert_msg(rc == 0, "%s%s", out, err);
    g_free(out);
    g_free(err);
    g_free(sc);
}

static void teardown_run(void)
{
    g_free(db);
    g_free(dir);
}

START_TEST(test_trace_shows_the_reorg)
{
    /* the deepest reorganisation of the run, as the reorgs table has it */
    int64_t node = tu_db_int(db, "SELECT node_id FROM reorgs ORDER BY depth DESC, seq LIMIT 1");
    int64_t at_ns = tu_db_int(db, "SELECT at_ns FROM reorgs ORDER BY depth DESC, seq LIMIT 1");
    int64_t depth = tu_db_int(db, "SELECT depth FROM reorgs ORDER BY depth DESC, seq LIMIT 1");
    int64_t fork_height = tu_db_int(db, "SELECT fork_height FROM reorgs ORDER BY depth DESC, seq LIMIT 1");
    int64_t old_tip = tu_db_int(db, "SELECT old_tip FROM reorgs ORDER BY depth DESC, seq LIMIT 1");
    int64_t new_tip = tu_db_int(db, "SELECT new_tip FROM reorgs ORDER BY depth DESC, seq LIMIT 1");
    ck_assert_int_ge(depth, 2);
    char *n = g_strdup_printf("%" G_GINT64_FORMAT, node);
    char *to = g_strdup_printf("%" G_GINT64_FORMAT "ns", at_ns);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "trace", db, "--node", n, "--from", "100s", "--to", to, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    char *want = g_strdup_printf("%14.6f s  tip   block %" G_GINT64_FORMAT " (height ", (double)at_ns / 1e9, old_tip);
    char *line = strstr(out, want);
    ck_assert_msg(line != NULL, "no '%s' in\n%s", want, out);
    char *rest = g_strdup_printf(") -> block %" G_GINT64_FORMAT " (height ", new_tip);
    ck_assert_msg(strstr(line, rest) != NULL, "%s", line);
    char *reorg = g_strdup_printf("reorg depth %" G_GINT64_FORMAT " above height %" G_GINT64_FORMAT, depth,
                                  fork_height);
    char *eol = strchr(line, '\n');
    ck_assert_ptr_nonnull(eol);
    *eol = '\0';
    ck_assert_msg(strstr(line, reorg) != NULL, "%s", line);
    /* messages, the heal and the checks are there too */
    *eol = '\n';
    ck_assert_msg(strstr(out, "event heal (heal): network whole again"), "%s", out);
    ck_assert_msg(strstr(out, ": valid\n"), "%s", out);
    ck_assert_msg(strstr(out, "recv  "), "%s", out);
    g_free(out);
    g_free(err);

    /* --no-messages leaves the message lines out, nothing else */
    rc = tu_chainsim(&out, &err, "trace", db, "--node", n, "--from", "100s", "--to", to, "--no-messages", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert(strstr(out, "recv  ") == NULL && strstr(out, "send  ") == NULL);
    ck_assert(strstr(out, reorg) != NULL);
    g_free(out);
    g_free(err);
    g_free(reorg);
    g_free(rest);
    g_free(want);
    g_free(to);
    g_free(n);
}
END_TEST

START_TEST(test_trace_bad_input)
{
    static const struct {
        const char *args[4], *says;
    } cases[] = {
        { { "--node", "60", NULL }, "has nodes 0 to 59" },
        { { "--node", "x", NULL }, "expected a node id" },
        { { "--from", "1s", NULL }, "--node N is required" },
        { { "--node", "1", "--to", "1000s" }, "past the end of run" },
        { { "--node", "1", "--run", "7" }, "7" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *out = NULL, *err = NULL;
        int rc = tu_chainsim(&out, &err, "trace", db, cases[i].args[0], cases[i].args[1], cases[i].args[2],
                             cases[i].args[3], NULL);
        ck_assert_msg(rc == 2, "case %zu: exit %d\n%s", i, rc, err);
        ck_assert_msg(strstr(err, cases[i].says), "case %zu: %s", i, err);
        g_free(out);
        g_free(err);
    }
}
END_TEST

START_TEST(test_simblock_export)
{
    char *path = g_build_filename(dir, "output.json", NULL), *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "export", db, "--format", "simblock", "--out", path, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    g_free(out);
    g_free(err);

    /* one entry per line, as the exporter writes them */
    char *log = NULL;
    ck_assert(g_file_get_contents(path, &log, NULL, NULL));
    ck_assert(g_str_has_prefix(log, "[\n") && g_str_has_suffix(log, "}\n]\n"));
    char **lines = g_strsplit(log, "\n", -1);
    int64_t nodes = 0, links = 0, flows = 0, ends = 0, wrong = 0;
    for (int i = 0; lines[i]; i++) {
        const char *l = lines[i];
        unsigned long long tx, rx;
        unsigned from, to, b;
        if (g_str_has_prefix(l, "{\"kind\":\"add-node\"")) {
            nodes++;
        } else if (g_str_has_prefix(l, "{\"kind\":\"add-link\"")) {
            links++;
        } else if (g_str_has_prefix(l, "{\"kind\":\"simulation-end\"")) {
            ends++;
        } else if (sscanf(l, "{\"kind\":\"flow-block\",\"content\":{\"transmission-timestamp\":%llu,"
                             "\"reception-timestamp\":%llu,\"begin-node-id\":%u,\"end-node-id\":%u,"
                             "\"block-id\":%u}}", &tx, &rx, &from, &to, &b) == 5) {
            flows++;
            /* reception is the node's arrival in the database, in ms; the
             * transfer began before it, at a peer of the receiver */
            from--, to--;
            char *sql = g_strdup_printf("SELECT arrival_ns / 1000000 FROM block_arrivals WHERE block_index = %u "
                                        "AND node_id = %u", b, to);
            char *peer = g_strdup_printf("SELECT count(*) FROM links WHERE (a = %u AND b = %u) OR (a = %u AND "
                                         "b = %u)", from, to, to, from);
            wrong += tu_db_int(db, sql) != (int64_t)rx || tx > rx || tu_db_int(db, peer) != 1;
            g_free(sql);
            g_free(peer);
        }
    }
    g_strfreev(lines);
    g_free(log);
    ck_assert_int_eq(nodes, 60);
    ck_assert_int_eq(links, tu_db_int(db, "SELECT count(*) FROM links"));
    ck_assert_int_eq(ends, 1);
    /* one flow per delivered block per node: every arrival but the producers' */
    ck_assert_int_eq(flows, tu_db_int(db, "SELECT count(*) FROM block_arrivals a JOIN blocks b USING (run_id, "
                                          "block_index) WHERE b.producer IS NOT NULL AND a.node_id != b.producer"));
    ck_assert_int_eq(wrong, 0);

    char *st = g_build_filename(dir, "static.json", NULL), *text = NULL;
    ck_assert(g_file_get_contents(st, &text, NULL, NULL));
    ck_assert_msg(g_str_has_prefix(text, "{\"region\":[{\"id\":0,\"name\":\"NORTH_AMERICA\"}"), "%s", text);
    g_free(text);
    g_free(st);

    /* without --out, or with a table: refused */
    ck_assert_int_eq(tu_chainsim(&out, &err, "export", db, "--format", "simblock", NULL), 2);
    ck_assert_msg(strstr(err, "needs --out FILE"), "%s", err);
    g_free(out);
    g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "export", db, "--format", "simblock", "--table", "runs", "--out", path,
                                 NULL), 2);
    g_free(out);
    g_free(err);
    g_free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, setup_run, teardown_run);
    tcase_add_test(tc, test_trace_shows_the_reorg);
    tcase_add_test(tc, test_trace_bad_input);
    tcase_add_test(tc, test_simblock_export);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
