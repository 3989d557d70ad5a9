/*
 * check_script.c - the scenario's node-level events (sim/node/script.c):
 * forced forks ([event] type = fork) and scripted transactions
 * (type = send), their rows in the results database and their bad input.
 *
 * One run of a 20-node full mesh with long block intervals: a payment at
 * 100 s, a conflicting payment (nonce = reuse) half a second later at a
 * different node, a payment with a given nonce, one to a crashed node, and a
 * forced fork of nodes 3 and 17 at 300 s.
 */
#include <glib.h>
#include <string.h>

#include "tests/testutil.h"

static const char *scenario =
    "[scenario]\nduration = 20m\n"
    "[network]\nnodes = 20\nprofile = uniform\ntopology = full-mesh\nlatency = constant\nlatency_mean = 50ms\n"
    "[consensus]\nkind = pow\nblock_interval = 120s\n"
    "[ledger]\naccounts = 10\nbalance = 1000000\n"
    "[event pay]\nat = 100s\ntype = send\nnode = 2\nfrom = 3\nto = 4\namount = 500\nfee = 77\n"
    "[event pay-again]\nat = 100.5s\ntype = send\nnode = 9\nfrom = 3\nto = 5\namount = 600\nnonce = reuse\n"
    "[event later]\nat = 110s\ntype = send\nnode = 1\nfrom = 6\nto = 7\namount = 5\nnonce = 4\n"
    "[event down]\nat = 50s\ntype = crash\nnodes = 11\n"
    "[event lost]\nat = 120s\ntype = send\nnode = 11\nfrom = 8\nto = 7\namount = 5\n"
    "[event split]\nat = 300s\ntype = fork\nnodes = 3,17\n";

static char *dir, *db, *digest;

static char *run_once(const char *out_db)
{
    char *sc = tu_write(dir, "script.ini", scenario), *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "run", sc, "--out", out_db, "--quiet", NULL);
    ck_assert_msg(rc == 0, "run: exit %d\n%s", rc, err);
    char *d = g_strdup(out);
    g_free(out);
    g_free(err);
    g_free(sc);
    return d;
}

static void setup_run(void)
{
    dir = tu_tmpdir();
    db = g_build_filename(dir, "script.db", NULL);
    digest = run_once(db);
}

static void teardown_run(void)
{
    g_free(digest);
    g_free(db);
    g_free(dir);
}

START_TEST(test_send_records_the_transactions)
{
    /* each send is recorded as an event naming its transaction number */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM faults WHERE kind = 'send'"), 4);
    char *d = tu_db_text(db, "SELECT detail FROM faults WHERE name = 'pay'");
    ck_assert_str_eq(d, "tx 1: account 3 -> 4, amount 500, fee 77, nonce 0, to node 2");
    g_free(d);

    /* the transactions are in the txs table as submitted */
    d = tu_db_dump(db, "SELECT tx_index, sender, nonce, amount, fee, origin, intent, submitted_ns FROM txs "
                       "ORDER BY tx_index");
    ck_assert_str_eq(d, "1|3|0|500|77|2|valid|100000000000\n"
                        "2|3|0|600|1000|9|double-spend|100500000000\n"
                        "3|6|4|5|1000|1|valid|110000000000\n"
                        "4|8|0|5|1000|11|valid|120000000000\n");
    g_free(d);
}
END_TEST

START_TEST(test_conflicting_spend_resolved_once)
{
    /* the two spends of account 3's nonce 0: exactly one is on the main chain */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM txs WHERE sender = 3 AND nonce = 0 "
                                   "AND main_block IS NOT NULL"), 1);
    /* the first payment reached every node before the second was sent: it wins */
    ck_assert_int_eq(tu_db_int(db, "SELECT main_block IS NOT NULL FROM txs WHERE tx_index = 1"), 1);
    /* nonce 4 of account 6 has a gap below it: never included */
    ck_assert_int_eq(tu_db_int(db, "SELECT main_block IS NULL FROM txs WHERE tx_index = 3"), 1);
    /* a transaction given to a crashed node is recorded and goes nowhere */
    char *d = tu_db_text(db, "SELECT detail FROM faults WHERE name = 'lost'");
    ck_assert_str_eq(d, "tx 4: account 8 -> 7, amount 5, fee 1000, nonce 0, to node 11 (down: not admitted)");
    g_free(d);
    ck_assert_int_eq(tu_db_int(db, "SELECT nodes_affected FROM faults WHERE name = 'lost'"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT included_ns IS NULL FROM txs WHERE tx_index = 4"), 1);
}
END_TEST

START_TEST(test_forced_fork)
{
    /* nodes 3 and 17 each made a block at 300 s, on the same parent */
    char *d = tu_db_dump(db, "SELECT producer FROM blocks WHERE created_ns = 300000000000 ORDER BY producer");
    ck_assert_str_eq(d, "3\n17\n");
    g_free(d);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(DISTINCT parent_index) FROM blocks "
                                   "WHERE created_ns = 300000000000"), 1);
    ck_assert_int_eq(tu_db_int(db, "SELECT nodes_affected FROM faults WHERE name = 'split'"), 2);
    /* the fork log has it, with its cause */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM v_forks WHERE cause = 'forced' "
                                   "AND created_ns = 300000000000 AND status = 'resolved'"), 1);
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "forks", db, NULL), 0);
    ck_assert_msg(strstr(out, " forced ") != NULL, "%s", out);
    g_free(out);
    g_free(err);
}
END_TEST

START_TEST(test_block_txs)
{
    /* every transaction of every block, in order, at any detail level */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM block_txs"),
                     tu_db_int(db, "SELECT sum(tx_count) FROM blocks"));
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM blocks b WHERE tx_count != "
                                   "(SELECT count(*) FROM block_txs x WHERE x.run_id = b.run_id AND "
                                   "x.block_index = b.block_index AND x.position < b.tx_count)"), 0);
    /* the scripted payment sits in the main-chain block txs names, under its id */
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM block_txs x JOIN txs t ON t.run_id = x.run_id AND "
                                   "t.tx_index = x.tx_index AND t.tx_id = x.tx_id "
                                   "WHERE t.tx_index = 1 AND x.block_index = t.main_block"), 1);
    /* and with record.detail = summary (no txs table rows) the table is still written */
    char *sdb = g_build_filename(dir, "summary.db", NULL);
    char *sc = tu_write(dir, "summary.ini", scenario), *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "run", sc, "--out", sdb, "--quiet", "--set", "record.detail=summary", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(tu_db_int(sdb, "SELECT count(*) FROM txs"), 0);
    ck_assert_int_gt(tu_db_int(sdb, "SELECT count(*) FROM block_txs WHERE tx_index = 1"), 0);
    g_free(out);
    g_free(err);
    g_free(sc);
    g_free(sdb);
}
END_TEST

START_TEST(test_deterministic)
{
    char *db2 = g_build_filename(dir, "again.db", NULL);
    char *d2 = run_once(db2);
    ck_assert_str_eq(digest, d2);
    g_free(d2);
    g_free(db2);
}
END_TEST

START_TEST(test_bad_events)
{
    static const struct {
        const char *extra, *says;
    } cases[] = {
        { "[event f]\nat = 1s\ntype = fork\nnodes = 20\n", "nodes" },
        { "[event s]\nat = 1s\ntype = send\nnode = 1\nfrom = 10\nto = 1\namount = 5\n",
          "from = \"10\": out of range; expected a number below [ledger] accounts (10)" },
        { "[event s]\nat = 1s\ntype = send\nnode = 20\nfrom = 1\nto = 2\namount = 5\n",
          "expected a number below [network] nodes (20)" },
        { "[event s]\nat = 1s\ntype = send\nnode = 1\nfrom = 1\nto = 2\namount = -5\n", "whole number" },
        { "[event s]\nat = 1s\ntype = send\nnode = 1\nfrom = 1\nto = 2\namount = 5\nnonce = again\n",
          "expected next, reuse or a whole number" },
        { "[event s]\nat = 1s\ntype = send\nnode = 1\nfrom = 1\namount = 5\n", "to: missing" },
        { "[event s]\nat = 1s\ntype = send\nnode = 1\nfrom = 1\nto = 2\namount = 5\nnodes = 3\n",
          "not used by events of type send" },
        { "[event s]\nat = 1s\ntype = send\nnode = 1\nfrom = 1\nto = 2\namount = 5\nsender = 3\n",
          "known keys: at, type, by, groups, between, scale, add, loss, nodes, duration, node, from, to, "
          "amount, fee, nonce" },
    };
    char *d = tu_tmpdir();
    const char *base = "[scenario]\nduration = 1h\n[network]\nnodes = 20\n[consensus]\nkind = pow\n"
                       "[ledger]\naccounts = 10\n";
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *text = g_strconcat(base, cases[i].extra, NULL);
        char *sc = tu_write(d, "bad.ini", text), *out = NULL, *err = NULL;
        int rc = tu_chainsim(&out, &err, "check", sc, NULL);
        ck_assert_msg(rc == 2, "case %zu: exit %d\n%s", i, rc, err);
        ck_assert_msg(strstr(err, cases[i].says), "case %zu: %s", i, err);
        g_free(out);
        g_free(err);
        g_free(sc);
        g_free(text);
    }
    /* a forced fork under pos is refused, naming the reason */
    char *sc = tu_write(d, "pos.ini", "[scenario]\nduration = 1h\n[network]\nnodes = 20\n[consensus]\nkind = pos\n"
                                      "[event f]\nat = 1s\ntype = fork\nnodes = 1,2\n");
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "check", sc, NULL), 2);
    ck_assert_msg(strstr(err, "a forced fork needs [consensus] kind = pow"), "%s", err);
    g_free(out);
    g_free(err);
    g_free(sc);
    g_free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("script");
    TCase *tc = tcase_create("script");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, setup_run, teardown_run);
    tcase_add_test(tc, test_send_records_the_transactions);
    tcase_add_test(tc, test_conflicting_spend_resolved_once);
    tcase_add_test(tc, test_forced_fork);
    tcase_add_test(tc, test_block_txs);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_bad_events);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
