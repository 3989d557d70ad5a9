/*
 * check_tree.c - `chainsim tree`: the Graphviz source holds every stale
 * block of a run and the whole main chain (each block drawn, or counted in
 * a collapsed box whose heights cover it), every edge between drawn blocks,
 * and the partition and heal as notes; --around draws one fork's heights;
 * without dot the source is written and the command says how to render it;
 * a fake dot shows the image written through a temporary name and renamed,
 * and a failing one leaves any older image as it was; bad input exits 2.
 *
 * The run: scenarios/forks-demo.ini, smaller (60 nodes, 150 s: the
 * partition from 60 s to 120 s still forks the chain).
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "tests/testutil.h"

static char *dir, *db;

/* The run is shared by the tests, which run in child processes: its folder
 * is made here and removed by the parent's teardown (tu_tmpdir() folders
 * go when the first child exits). */
static void setup_run(void)
{
    dir = g_dir_make_tmp("chainsim-tree-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    db = g_build_filename(dir, "f.db", NULL);
    char *sc = tu_source("scenarios/forks-demo.ini");
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "run", sc, "--out", db, "--quiet", "--set", "network.nodes=60", "--set",
                         "scenario.duration=150s", NULL);
    ck_assert_msg(rc == 0, "%s%s", out, err);
    g_free(out);
    g_free(err);
    g_free(sc);
}

static void remove_tree(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        GDir *d = g_dir_open(path, 0, NULL);
        for (const char *n; d && (n = g_dir_read_name(d));) {
            char *p = g_build_filename(path, n, NULL);
            remove_tree(p);
            g_free(p);
        }
        if (d)
            g_dir_close(d);
    }
    g_remove(path);
}

static void teardown_run(void)
{
    remove_tree(dir);
    g_free(db);
    g_free(dir);
}

static int64_t q(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int64_t q(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    int64_t v = tu_db_int(db, sql);
    g_free(sql);
    return v;
}

static char *read_text(const char *path)
{
    char *c = NULL;
    ck_assert_msg(g_file_get_contents(path, &c, NULL, NULL), "%s", path);
    return c;
}

/* Main-chain blocks accounted for by the source: drawn one by one, or in
 * the collapsed boxes "N blocks\nheights A-B", whose heights must hold
 * exactly N main blocks. */
static int64_t main_blocks_in(const char *dot)
{
    int64_t n = 0;
    char **lines = g_strsplit(dot, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        long long idx, cnt, a, b;
        if (sscanf(lines[i], "  b%lld [label=\"%lld blocks\\nheights %lld-%lld", &idx, &cnt, &a, &b) == 4) {
            ck_assert_int_eq(cnt, b - a + 1);
            ck_assert_int_eq(q("SELECT count(*) FROM blocks WHERE main = 1 AND height BETWEEN %lld AND %lld", a, b), cnt);
            ck_assert_int_eq(q("SELECT height FROM blocks WHERE block_index = %lld", idx), a);
            n += cnt;
        } else if (sscanf(lines[i], "  b%lld [label=\"#", &idx) == 1 && strstr(lines[i], "#9fc5e8")) {
            ck_assert_int_eq(q("SELECT main FROM blocks WHERE block_index = %lld", idx), 1);
            n++;
        } else if (g_str_has_prefix(lines[i], "  b0 [label=\"genesis")) {
            n++;
        }
    }
    g_strfreev(lines);
    return n;
}

START_TEST(test_tree_holds_every_block)
{
    char *dot_path = g_build_filename(dir, "t.dot", NULL);
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "tree", db, "--out", dot_path, NULL), 0);
    ck_assert_msg(strstr(out, "wrote ") && strstr(out, "t.dot"), "%s", out);
    char *dot = read_text(dot_path);
    ck_assert_msg(g_str_has_prefix(dot, "// chainsim tree") && strstr(dot, "digraph blocktree {"), "%s", dot);
    ck_assert_msg(g_str_has_suffix(dot, "}\n"), "%s", dot);

    /* every stale block, drawn dashed, with the edge from its parent */
    int64_t stale = q("SELECT count(*) FROM blocks WHERE main = 0");
    ck_assert_int_gt(stale, 0);
    for (int64_t k = 0; k < stale; k++) {
        int64_t idx = q("SELECT block_index FROM blocks WHERE main = 0 ORDER BY block_index LIMIT 1 OFFSET %"
                        G_GINT64_FORMAT, k);
        int64_t h = q("SELECT height FROM blocks WHERE block_index = %" G_GINT64_FORMAT, idx);
        char *node = g_strdup_printf("  b%" G_GINT64_FORMAT " [label=\"#%" G_GINT64_FORMAT " h%" G_GINT64_FORMAT "\\n",
                                     idx, idx, h);
        char *line = strstr(dot, node);
        ck_assert_msg(line, "stale block %" G_GINT64_FORMAT " missing:\n%s", idx, dot);
        ck_assert_msg(strstr(line, "style=\"filled,dashed\"") < strchr(line, '\n'), "%s", line);
        char *edge = g_strdup_printf(" -> b%" G_GINT64_FORMAT " [style=dashed];\n", idx);
        ck_assert_msg(strstr(dot, edge), "no edge to %" G_GINT64_FORMAT, idx);
        g_free(edge);
        g_free(node);
    }
    /* the whole main chain */
    ck_assert_int_eq(main_blocks_in(dot), q("SELECT count(*) FROM blocks WHERE main = 1"));
    /* the final tip is drawn with the nodes on it */
    int64_t tip = q("SELECT block_index FROM blocks WHERE main = 1 ORDER BY height DESC LIMIT 1");
    char *tipof = g_strdup_printf("tip of %" G_GINT64_FORMAT, q("SELECT count(*) FROM node_tips WHERE tip_index = %"
                                                                G_GINT64_FORMAT, tip));
    ck_assert_msg(strstr(dot, tipof), "%s", dot);
    /* the timed events */
    ck_assert_msg(strstr(dot, "60.000 s  partition split") && strstr(dot, "120.000 s  heal heal"), "%s", dot);
    ck_assert_msg(strstr(dot, "\nfinal") || strstr(dot, "\\nfinal\""), "%s", dot);
    g_free(tipof);
    g_free(out);
    g_free(err);

    /* --around: the fork's heights only, two each side */
    ck_assert_int_eq(tu_chainsim(&out, &err, "tree", db, "--around", "1", "--out", dot_path, NULL), 0);
    char *lo = g_strdup_printf("heights %" G_GINT64_FORMAT " to",
                               MAX(0, q("SELECT fork_height FROM forks WHERE fork_id = 1") - 2));
    ck_assert_msg(strstr(out, lo), "%s", out);
    g_free(lo);
    g_free(out);
    g_free(err);
    g_free(dot);
    g_free(dot_path);
}
END_TEST

START_TEST(test_tree_without_dot)
{
    char *svg = g_build_filename(dir, "x", "t.svg", NULL);
    char *dot_path = g_build_filename(dir, "x", "t.dot", NULL);
    char *out = NULL, *err = NULL;
    g_setenv("CHAINSIM_DOT", "", TRUE);
    int rc = tu_chainsim(&out, &err, "tree", db, "--out", svg, NULL);
    g_unsetenv("CHAINSIM_DOT");
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert(g_file_test(dot_path, G_FILE_TEST_EXISTS));
    ck_assert(!g_file_test(svg, G_FILE_TEST_EXISTS));
    ck_assert_msg(strstr(err, "to draw it, install graphviz and run: dot -Tsvg"), "%s", err);
    g_free(out);
    g_free(err);
    g_free(svg);
    g_free(dot_path);
}
END_TEST

/* Names in folder d other than the expected ones: temporary files left. */
static int count_files(const char *d)
{
    GDir *g = g_dir_open(d, 0, NULL);
    ck_assert_ptr_nonnull(g);
    int n = 0;
    while (g_dir_read_name(g))
        n++;
    g_dir_close(g);
    return n;
}

START_TEST(test_tree_with_fake_dot)
{
    char *sub = g_build_filename(dir, "img", NULL);
    ck_assert_int_eq(g_mkdir_with_parents(sub, 0755), 0);
    /* copies its input to the -o file: the image is the source */
    char *fake = tu_write(dir, "fake-dot", "#!/bin/sh\nin=$2; out=$4; cp \"$in\" \"$out\"\n");
    char *bad = tu_write(dir, "bad-dot", "#!/bin/sh\necho 'syntax error' >&2; exit 3\n");
    ck_assert_int_eq(g_chmod(fake, 0755), 0);
    ck_assert_int_eq(g_chmod(bad, 0755), 0);
    char *png = g_build_filename(sub, "t.png", NULL), *dot_path = g_build_filename(sub, "t.dot", NULL);
    char *out = NULL, *err = NULL;
    g_setenv("CHAINSIM_DOT", fake, TRUE);
    int rc = tu_chainsim(&out, &err, "tree", db, "--out", png, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    char *image = read_text(png), *source = read_text(dot_path);
    ck_assert_str_eq(image, source);
    ck_assert_int_eq(count_files(sub), 2); /* no temporary file left */
    g_free(out);
    g_free(err);
    /* a failing dot: exit 1, the older image untouched, nothing left behind */
    g_setenv("CHAINSIM_DOT", bad, TRUE);
    rc = tu_chainsim(&out, &err, "tree", db, "--out", png, "--around", "1", NULL);
    g_unsetenv("CHAINSIM_DOT");
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(err, "syntax error"), "%s", err);
    char *image2 = read_text(png);
    ck_assert_str_eq(image2, image);
    ck_assert_int_eq(count_files(sub), 2);
    g_free(out);
    g_free(err);
    g_free(image);
    g_free(image2);
    g_free(source);
    g_free(png);
    g_free(dot_path);
    g_free(fake);
    g_free(bad);
    g_free(sub);
}
END_TEST

START_TEST(test_tree_bad_input)
{
    char *out = NULL, *err = NULL;
    char *t = g_build_filename(dir, "b.dot", NULL);
    struct {
        const char *args[6];
        const char *says;
    } cases[] = {
        { { "--around", "1", "--to", "5" }, "--around takes the place of --from and --to" },
        { { "--out", "x.pdf" }, "expected a file name ending in .svg, .png or .dot" },
        { { "--around", "999", "--out", NULL }, "has no fork 999" },
        { { "--from", "99999", "--out", NULL }, "has no block that high" },
        { { "--from", "9", "--to", "3" }, "--from 9 is above --to 3" },
        { { "--from", "-1" }, "--from" },
        { { "--run", "5", "--out", NULL }, "no run 5" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *args[8] = { 0 };
        int n = 0;
        for (int k = 0; k < 6 && cases[i].args[k]; k++)
            args[n++] = (char *)cases[i].args[k];
        if (n && strcmp(args[n - 1], "--out") == 0)
            args[n++] = t;
        int rc = tu_chainsim(&out, &err, "tree", db, args[0], args[1], args[2], args[3], args[4], args[5], NULL);
        ck_assert_msg(rc == 2, "case %zu: exit %d\n%s", i, rc, err);
        ck_assert_msg(strstr(err, cases[i].says), "case %zu: %s", i, err);
        g_free(out);
        g_free(err);
    }
    ck_assert(!g_file_test(t, G_FILE_TEST_EXISTS));
    g_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tree");
    TCase *tc = tcase_create("tree");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, setup_run, teardown_run);
    tcase_add_test(tc, test_tree_holds_every_block);
    tcase_add_test(tc, test_tree_without_dot);
    tcase_add_test(tc, test_tree_with_fake_dot);
    tcase_add_test(tc, test_tree_bad_input);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
