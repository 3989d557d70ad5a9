/*
 * tree.c - `chainsim tree`: the block tree of one run as a Graphviz graph.
 *
 * What is drawn (left to right, by height): every block of the chosen
 * heights, the final main chain filled blue, stale blocks red and dashed.
 * Each block says its index, height, producer, creation time, the nodes
 * whose tip it is at the end of the run ("tip of N", node_tips) and, for a
 * stale block, the nodes that reorganised away from it ("left by N",
 * reorgs.old_tip). A double border marks the finalized checkpoints (pos) or
 * the latest final block (pow, dpos) of the final main chain (block_marks),
 * a thick red border a block carrying slashing evidence, a dark red fill a
 * block made by an adversary (block_marks.adversary). The timed events of the run (faults) are notes hung on the main-
 * chain block that was the latest when they happened.
 *
 * Long runs stay readable: a run of three or more consecutive main-chain
 * blocks with nothing to show (no fork point, not on a fork's branch, no
 * mark, nobody's tip at the end, not the first or last block drawn) is one box "N blocks, heights
 * a-b". --from/--to choose heights; --around FORK the heights of one fork,
 * from two below its fork point to two above its highest branch.
 *
 * Output: FILE.dot always (written under a temporary name and renamed,
 * analysis/outfile.h); with FILE.svg or FILE.png, Graphviz's dot renders it
 * into a temporary file renamed once dot succeeded. dot is optional, like
 * gnuplot for plot: tree_find_dot() reads CHAINSIM_DOT, then PATH; without
 * it the .dot is written and the command says how to render it (exit 0).
 * The database is only read.
 */
#include "analysis/tree.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "analysis/cli.h"
#include "analysis/outfile.h"
#include "analysis/runinfo.h"

#define CMD "tree"
#define COLLAPSE_MIN 3 /* consecutive plain main-chain blocks drawn as one box */

static const cli_command_t tree_cli = {
    .name = CMD,
    .usage = "DB [--run ID] [--from HEIGHT] [--to HEIGHT | --around FORK] [--out FILE.svg|.png|.dot]",
    .about = "Draws the block tree of one run recorded in the results database DB: the final\n"
             "main chain and every stale branch, each block with its height, producer, time\n"
             "and the nodes whose tip it is at the end; finalized or final checkpoints and\n"
             "blocks with slashing evidence marked, the timed events (partitions, crashes...)\n"
             "as notes. Runs of main-chain blocks without forks are drawn as one box.\n",
    .operands = (const cli_operand_t[]){ { "DB", "the results database file", CLI_ONE }, { NULL, NULL, CLI_ONE } },
    .notes = "The Graphviz source FILE.dot is always written; with .svg or .png Graphviz's\n"
             "dot draws the image beside it (default plots/<scenario>-run<ID>/tree.svg).\n"
             "dot is looked up in PATH; CHAINSIM_DOT=PROGRAM overrides that and\n"
             "CHAINSIM_DOT= (empty) means no dot: the .dot file only, with the command that\n"
             "renders it. FORK is a fork number of `chainsim forks`. The database is only read.\n",
    .exits = "0 success (also without dot), 1 dot failed or a file cannot be written,\n"
             "2 bad usage, no such file, run, height or fork, or a database without the\n"
             "fork log\n",
};

typedef struct tree_opts {
    const char *path;
    int64_t run_id;
    int64_t from, to;   /* -1: not given */
    int64_t around;     /* 0: not given */
    const char *out;
} tree_opts_t;

typedef struct tblock {
    int64_t index, parent; /* parent -1 for genesis */
    int64_t height, producer; /* producer -1 for genesis */
    int64_t created_ns;
    bool main;
    int64_t ntx;
    int64_t tips, left, evidence;
    char *checkpoint, *adversary;
    uint32_t children; /* in the whole tree */
    bool fork_point;
    bool in_fork;  /* on a branch of a fork (fork_blocks): the part of the winner that competed */
    int64_t node; /* the dot node that draws it: its own index, or the first of its collapsed run */
    int64_t collapsed; /* > 0: the first block of a collapsed run of this many */
} tblock_t;

static bool check_height(void *dest, const char *value, char **why)
{
    guint64 v;
    if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT64, &v, NULL)) {
        *why = g_strdup("expected a block height, a whole number from 0");
        return false;
    }
    *(int64_t *)dest = (int64_t)v;
    return true;
}

static bool check_fork(void *dest, const char *value, char **why)
{
    guint64 v;
    if (!g_ascii_string_to_unsigned(value, 10, 1, G_MAXINT64, &v, NULL)) {
        *why = g_strdup("expected a fork number (chainsim forks), a whole number from 1");
        return false;
    }
    *(int64_t *)dest = (int64_t)v;
    return true;
}

static int parse_args(int argc, char **argv, tree_opts_t *o)
{
    const cli_option_t opts[] = {
        { "run", 0, CLI_RUN_ID, &o->run_id, "ID", "the run (default: the latest, the largest run_id)", NULL, NULL },
        { "from", 0, CLI_CUSTOM, &o->from, "HEIGHT", "the lowest height drawn (default: genesis)", NULL,
          check_height },
        { "to", 0, CLI_CUSTOM, &o->to, "HEIGHT", "the highest height drawn (default: the highest block)", NULL,
          check_height },
        { "around", 0, CLI_CUSTOM, &o->around, "FORK",
          "only the heights of fork FORK, with two blocks of context\neach side (instead of --from and --to)",
          NULL, check_fork },
        { "out", 0, CLI_TEXT, &o->out, "FILE", "FILE.svg, FILE.png or FILE.dot (the .dot is always written)",
          NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&tree_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    o->path = operands[0];
    g_free(operands);
    if (o->around && (o->from >= 0 || o->to >= 0))
        return cli_usage_error(CMD, "--around takes the place of --from and --to; give either");
    if (o->from >= 0 && o->to >= 0 && o->from > o->to)
        return cli_usage_error(CMD, "--from %" G_GINT64_FORMAT " is above --to %" G_GINT64_FORMAT, o->from, o->to);
    if (o->out && !g_str_has_suffix(o->out, ".svg") && !g_str_has_suffix(o->out, ".png") &&
        !g_str_has_suffix(o->out, ".dot"))
        return cli_usage_error(CMD, "--out %s: expected a file name ending in .svg, .png or .dot", o->out);
    return CLI_GO_ON;
}

char *tree_find_dot(void)
{
    const char *env = g_getenv("CHAINSIM_DOT");
    if (env)
        return *env ? g_strdup(env) : NULL;
    return g_find_program_in_path("dot");
}

/* Prepares sql with ?1 = run_id. */
static int prepare(sqlite3 *db, const char *path, const char *sql, int64_t run_id, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return runinfo_db_error(CMD, db, path, "cannot read the database");
    sqlite3_bind_int64(*st, 1, run_id);
    return 0;
}

static int64_t col_or(sqlite3_stmt *st, int i, int64_t dflt)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, i);
}

/* Sets the heights drawn from the options, [*lo, *hi], and the highest
 * block's height *top_out. */
static int heights(sqlite3 *db, const tree_opts_t *o, int64_t *lo, int64_t *hi, int64_t *top_out)
{
    int64_t top = 0, v = 0;
    bool found = false;
    int status = runinfo_int(CMD, db, o->path, "SELECT max(height) FROM blocks WHERE run_id = ?1", o->run_id, &top,
                             &found);
    if (status)
        return status;
    if (!found) {
        fprintf(stderr, "chainsim %s: %s: run %" G_GINT64_FORMAT " has no blocks (no blockchain: consensus.kind = "
                "none)\n", CMD, o->path, o->run_id);
        return 2;
    }
    *lo = 0;
    *hi = top;
    *top_out = top;
    if (o->around) {
        if ((status = runinfo_int(CMD, db, o->path, "SELECT count(*) FROM forks WHERE run_id = ?1", o->run_id, &v,
                                  &found)))
            return status;
        char *sql = g_strdup_printf("SELECT fork_height FROM forks WHERE run_id = ?1 AND fork_id = %" G_GINT64_FORMAT,
                                    o->around);
        int64_t fh = 0;
        status = runinfo_int(CMD, db, o->path, sql, o->run_id, &fh, &found);
        g_free(sql);
        if (status)
            return status;
        if (!found) {
            fprintf(stderr, "chainsim %s: %s: run %" G_GINT64_FORMAT " has no fork %" G_GINT64_FORMAT
                    " (it has %" G_GINT64_FORMAT " fork%s; see chainsim forks)\n", CMD, o->path, o->run_id, o->around,
                    v, v == 1 ? "" : "s");
            return 2;
        }
        sql = g_strdup_printf("SELECT max(b.height) FROM fork_blocks f JOIN blocks b ON b.run_id = f.run_id AND "
                              "b.block_index = f.block_index WHERE f.run_id = ?1 AND f.fork_id = %" G_GINT64_FORMAT,
                              o->around);
        int64_t th = fh + 1;
        status = runinfo_int(CMD, db, o->path, sql, o->run_id, &th, &found);
        g_free(sql);
        if (status)
            return status;
        *lo = fh >= 2 ? fh - 2 : 0;
        *hi = MIN(top, th + 2);
        return 0;
    }
    if (o->from >= 0) {
        if (o->from > top) {
            fprintf(stderr, "chainsim %s: %s: --from %" G_GINT64_FORMAT ": run %" G_GINT64_FORMAT
                    " has no block that high (the highest is at height %" G_GINT64_FORMAT ")\n",
                    CMD, o->path, o->from, o->run_id, top);
            return 2;
        }
        *lo = o->from;
    }
    if (o->to >= 0)
        *hi = MIN(o->to, top);
    return 0;
}

/* Reads the blocks with heights in [lo, hi] and what is drawn of them. */
static int read_blocks(sqlite3 *db, const tree_opts_t *o, int64_t lo, int64_t hi, GArray *blocks,
                       GHashTable *by_index)
{
    sqlite3_stmt *st = NULL;
    int status = prepare(db, o->path,
                         "SELECT b.block_index, b.parent_index, b.height, b.producer, b.created_ns, b.main, "
                         "b.tx_count, "
                         "(SELECT count(*) FROM node_tips t WHERE t.run_id = b.run_id AND t.tip_index = b.block_index), "
                         "(SELECT count(DISTINCT g.node_id) FROM reorgs g WHERE g.run_id = b.run_id "
                         "  AND g.old_tip = b.block_index), "
                         "m.evidence, m.checkpoint, m.adversary, "
                         "(SELECT count(*) FROM blocks c WHERE c.run_id = b.run_id AND c.parent_index = b.block_index), "
                         "EXISTS (SELECT 1 FROM fork_blocks fb WHERE fb.run_id = b.run_id AND fb.block_index = b.block_index) "
                         "FROM blocks b LEFT JOIN block_marks m ON m.run_id = b.run_id AND m.block_index = b.block_index "
                         "WHERE b.run_id = ?1 AND b.height BETWEEN ?2 AND ?3 ORDER BY b.block_index",
                         o->run_id, &st);
    if (status)
        return status;
    sqlite3_bind_int64(st, 2, lo);
    sqlite3_bind_int64(st, 3, hi);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tblock_t b = { 0 };
        b.index = sqlite3_column_int64(st, 0);
        b.parent = col_or(st, 1, -1);
        b.height = sqlite3_column_int64(st, 2);
        b.producer = col_or(st, 3, -1);
        b.created_ns = sqlite3_column_int64(st, 4);
        b.main = sqlite3_column_int64(st, 5) != 0;
        b.ntx = sqlite3_column_int64(st, 6);
        b.tips = sqlite3_column_int64(st, 7);
        b.left = sqlite3_column_int64(st, 8);
        b.evidence = col_or(st, 9, 0);
        const unsigned char *t = sqlite3_column_text(st, 10);
        b.checkpoint = t ? g_strdup((const char *)t) : NULL;
        t = sqlite3_column_text(st, 11);
        b.adversary = t ? g_strdup((const char *)t) : NULL;
        b.children = (uint32_t)sqlite3_column_int64(st, 12);
        b.fork_point = b.children >= 2;
        b.in_fork = sqlite3_column_int64(st, 13) != 0;
        b.node = b.index;
        g_array_append_val(blocks, b);
    }
    if (rc != SQLITE_DONE)
        status = runinfo_db_error(CMD, db, o->path, "cannot read the table blocks");
    sqlite3_finalize(st);
    for (guint i = 0; i < blocks->len; i++) {
        tblock_t *b = &g_array_index(blocks, tblock_t, i);
        g_hash_table_insert(by_index, &b->index, b);
    }
    return status;
}

/* A main-chain block with nothing to show. */
static bool plain(const tblock_t *b)
{
    return b->main && !b->fork_point && !b->in_fork && !b->tips && !b->evidence && !b->checkpoint && !b->adversary;
}

/* Groups runs of COLLAPSE_MIN or more plain main-chain blocks (by height)
 * into one node, never the first or the last main block drawn. */
static void collapse(GArray *blocks)
{
    GPtrArray *main = g_ptr_array_new();
    for (guint i = 0; i < blocks->len; i++) {
        tblock_t *b = &g_array_index(blocks, tblock_t, i);
        if (b->main)
            g_ptr_array_add(main, b);
    }
    /* main-chain blocks come in height order: block indexes grow with height on one chain */
    for (guint i = 1; i + 1 < main->len;) {
        guint j = i;
        while (j + 1 < main->len && plain(g_ptr_array_index(main, j)))
            j++;
        if (j - i >= COLLAPSE_MIN) {
            tblock_t *first = g_ptr_array_index(main, i);
            first->collapsed = j - i;
            for (guint k = i; k < j; k++)
                ((tblock_t *)g_ptr_array_index(main, k))->node = first->index;
        }
        i = j > i ? j : i + 1;
    }
    g_ptr_array_free(main, TRUE);
}

static void write_block(FILE *f, const tblock_t *b, const GArray *blocks, guint pos)
{
    if (b->collapsed) {
        const tblock_t *last = b;
        for (guint k = pos; k < blocks->len; k++) {
            const tblock_t *x = &g_array_index(blocks, tblock_t, k);
            if (x->main && x->node == b->index)
                last = x;
        }
        fprintf(f,
                "  b%" G_GINT64_FORMAT " [label=\"%" G_GINT64_FORMAT " blocks\\nheights %" G_GINT64_FORMAT
                "-%" G_GINT64_FORMAT "\\n%.1f-%.1f s\", style=\"filled,rounded\", fillcolor=\"#dde8f3\"];\n",
                b->index, b->collapsed, b->height, last->height, (double)b->created_ns / 1e9,
                (double)last->created_ns / 1e9);
        return;
    }
    GString *label = g_string_new(NULL);
    if (b->parent < 0)
        g_string_append_printf(label, "genesis\\nheight 0");
    else
        g_string_append_printf(label, "#%" G_GINT64_FORMAT " h%" G_GINT64_FORMAT "\\nnode %" G_GINT64_FORMAT
                               "  %.3f s\\n%" G_GINT64_FORMAT " tx", b->index, b->height, b->producer,
                               (double)b->created_ns / 1e9, b->ntx);
    if (b->tips)
        g_string_append_printf(label, "\\ntip of %" G_GINT64_FORMAT, b->tips);
    if (b->left)
        g_string_append_printf(label, "\\nleft by %" G_GINT64_FORMAT, b->left);
    if (b->checkpoint)
        g_string_append_printf(label, "\\n%s", b->checkpoint);
    if (b->evidence)
        g_string_append_printf(label, "\\nslashing evidence x%" G_GINT64_FORMAT, b->evidence);
    if (b->adversary)
        g_string_append_printf(label, "\\nadversary: %s", b->adversary);
    fprintf(f, "  b%" G_GINT64_FORMAT " [label=\"%s\"", b->index, label->str);
    if (b->adversary)
        fputs(", style=filled, fillcolor=\"#990000\", fontcolor=white", f);
    else if (b->main)
        fputs(", style=filled, fillcolor=\"#9fc5e8\"", f);
    else
        fputs(", style=\"filled,dashed\", fillcolor=\"#f4cccc\"", f);
    if (b->checkpoint)
        fputs(", peripheries=2", f);
    if (b->evidence)
        fputs(", color=\"#cc0000\", penwidth=3", f);
    fputs("];\n", f);
    g_string_free(label, TRUE);
}

/* Escapes text for a double-quoted dot string (g_free). */
static char *dot_escape(const char *text)
{
    GString *s = g_string_new(NULL);
    for (const char *p = text; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(s, '\\');
        if (*p == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

/* Writes the fault notes: each hung on the latest main-chain block drawn
 * that was created at or before it; events before the first block drawn,
 * or at or after end_ns (the creation of the first main-chain block above
 * the heights drawn), are left out. */
static int write_faults(FILE *f, sqlite3 *db, const tree_opts_t *o, const GArray *blocks, int64_t end_ns)
{
    sqlite3_stmt *st = NULL;
    int status = prepare(db, o->path, "SELECT seq, at_ns, name, kind, detail FROM faults WHERE run_id = ?1 ORDER BY seq",
                         o->run_id, &st);
    if (status)
        return status;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 1);
        const tblock_t *anchor = NULL;
        for (guint i = 0; i < blocks->len; i++) {
            const tblock_t *b = &g_array_index(blocks, tblock_t, i);
            if (b->main && b->created_ns <= at && (!anchor || b->height > anchor->height))
                anchor = b;
        }
        if (!anchor || at >= end_ns)
            continue;
        char *name = dot_escape((const char *)sqlite3_column_text(st, 2));
        char *kind = dot_escape((const char *)sqlite3_column_text(st, 3));
        char *detail = dot_escape((const char *)sqlite3_column_text(st, 4));
        fprintf(f, "  f%" G_GINT64_FORMAT " [shape=note, style=filled, fillcolor=\"#fff2cc\", fontsize=9, "
                "label=\"%.3f s  %s %s\\n%s\"];\n", seq, (double)at / 1e9, kind, name, detail);
        fprintf(f, "  b%" G_GINT64_FORMAT " -> f%" G_GINT64_FORMAT " [style=dotted, arrowhead=none];\n", anchor->node,
                seq);
        g_free(name);
        g_free(kind);
        g_free(detail);
    }
    if (rc != SQLITE_DONE)
        status = runinfo_db_error(CMD, db, o->path, "cannot read the table faults");
    sqlite3_finalize(st);
    return status;
}

/* Writes the whole graph to f. */
static int write_dot(FILE *f, sqlite3 *db, const tree_opts_t *o, const runinfo_t *ri, int64_t lo, int64_t hi,
                     int64_t end_ns, GArray *blocks, GHashTable *by_index)
{
    char *title = dot_escape(ri->scenario_name ? ri->scenario_name : "");
    fprintf(f,
            "// chainsim tree: run %" G_GINT64_FORMAT " of %s, heights %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT "\n"
            "// Render with: dot -Tsvg FILE.dot -o FILE.svg\n"
            "digraph blocktree {\n"
            "  rankdir=LR;\n"
            "  labelloc=t;\n"
            "  label=\"%s, run %" G_GINT64_FORMAT " (seed %" G_GUINT64_FORMAT "), heights %" G_GINT64_FORMAT
            "-%" G_GINT64_FORMAT ": main chain blue, stale blocks red and dashed;\\l"
            "double border: finalized or final checkpoint; red border: slashing evidence;\\l"
            "tip of N: nodes whose tip it is at the end; left by N: nodes that reorganised away from it\\l\";\n"
            "  fontname=\"Helvetica\"; fontsize=11;\n"
            "  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n"
            "  edge [arrowsize=0.6];\n",
            o->run_id, title, lo, hi, title, o->run_id, ri->seed, lo, hi);
    g_free(title);
    for (guint i = 0; i < blocks->len; i++) {
        const tblock_t *b = &g_array_index(blocks, tblock_t, i);
        if (b->node == b->index)
            write_block(f, b, blocks, i);
    }
    for (guint i = 0; i < blocks->len; i++) {
        const tblock_t *b = &g_array_index(blocks, tblock_t, i);
        const tblock_t *p = b->parent >= 0 ? g_hash_table_lookup(by_index, &b->parent) : NULL;
        if (!p || p->node == b->node)
            continue;
        fprintf(f, "  b%" G_GINT64_FORMAT " -> b%" G_GINT64_FORMAT "%s;\n", p->node, b->node,
                b->main ? " [penwidth=2]" : " [style=dashed]");
    }
    int status = write_faults(f, db, o, blocks, end_ns);
    fputs("}\n", f);
    return status;
}

/* Runs dot on dot_path to draw image (-Tformat) through a temporary file
 * renamed when dot succeeded. */
static int render(const char *dot, const char *dot_path, const char *image, const char *const *inputs)
{
    char *err = NULL;
    int status = 0;
    outfile_t *file = NULL;
    if (!outfile_check(image, inputs, &err)) {
        fprintf(stderr, "chainsim %s: %s\n", CMD, err);
        g_free(err);
        return 2;
    }
    if (!(file = outfile_open(image, &err))) {
        fprintf(stderr, "chainsim %s: %s\n", CMD, err);
        g_free(err);
        return 1;
    }
    char *dir = g_path_get_dirname(image);
    char *temp = g_build_filename(dir, outfile_temp_name(file), NULL);
    char *format = g_strdup_printf("-T%s", strrchr(image, '.') + 1);
    char *argv[] = { (char *)dot, format, (char *)dot_path, "-o", temp, NULL };
    char *dot_err = NULL;
    int wait_status = 0;
    GError *gerr = NULL;
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                      &dot_err, &wait_status, &gerr)) {
        fprintf(stderr, "chainsim %s: cannot run dot (%s): %s\n", CMD, dot, gerr->message);
        g_error_free(gerr);
        status = 1;
    } else if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
        fprintf(stderr, "chainsim %s: dot (%s) failed on %s:\n%s", CMD, dot, dot_path, dot_err ? dot_err : "");
        status = 1;
    } else {
        GStatBuf sb;
        if (g_stat(temp, &sb) != 0 || sb.st_size == 0) {
            fprintf(stderr, "chainsim %s: dot (%s) drew nothing into %s\n", CMD, dot, image);
            status = 1;
        } else {
            bool ok = outfile_commit(file, &err);
            file = NULL;
            if (!ok) {
                fprintf(stderr, "chainsim %s: %s\n", CMD, err);
                status = 1;
            }
        }
    }
    outfile_abort(file);
    g_free(err);
    g_free(dot_err);
    g_free(format);
    g_free(temp);
    g_free(dir);
    return status;
}

static void free_block(gpointer p)
{
    tblock_t *b = p;
    g_free(b->checkpoint);
    g_free(b->adversary);
}

int tree_main(int argc, char **argv)
{
    tree_opts_t o = { .from = -1, .to = -1 };
    int status = parse_args(argc, argv, &o);
    if (status != CLI_GO_ON)
        return status;
    static const char *const needed[] = { "blocks", "faults", "reorgs", "node_tips", "block_marks", "forks",
                                          "fork_blocks", NULL };
    sqlite3 *db = NULL;
    runinfo_t ri = { 0 };
    GArray *blocks = g_array_new(FALSE, TRUE, sizeof(tblock_t));
    g_array_set_clear_func(blocks, free_block);
    GHashTable *by_index = g_hash_table_new(g_int64_hash, g_int64_equal);
    char *out = NULL, *dot_path = NULL, *err = NULL, *dot = NULL;
    outfile_t *file = NULL;
    int64_t lo = 0, hi = 0, top = 0, end_ns = INT64_MAX;
    if ((status = runinfo_open(CMD, o.path, &db)) || (status = runinfo_pick(CMD, db, o.path, &o.run_id)) ||
        (status = runinfo_require(CMD, db, o.path, needed, "fork log")) ||
        (status = runinfo_load(CMD, db, o.path, o.run_id, &ri)) || (status = heights(db, &o, &lo, &hi, &top)) ||
        (status = read_blocks(db, &o, lo, hi, blocks, by_index)))
        goto done;
    int64_t ntips = 0;
    bool found = false;
    if ((status = runinfo_int(CMD, db, o.path, "SELECT count(*) FROM node_tips WHERE run_id = ?1", o.run_id, &ntips,
                              &found)))
        goto done;
    if (ntips == 0) {
        fprintf(stderr, "chainsim %s: %s: run %" G_GINT64_FORMAT " has no fork log: it was recorded by an older\n"
                "chainsim or did not complete; record it again (chainsim replay reruns it)\n", CMD, o.path, o.run_id);
        status = 2;
        goto done;
    }
    if (hi < top) {
        char *sql = g_strdup_printf("SELECT created_ns FROM blocks WHERE run_id = ?1 AND main = 1 AND height = %"
                                    G_GINT64_FORMAT, hi + 1);
        status = runinfo_int(CMD, db, o.path, sql, o.run_id, &end_ns, &found);
        g_free(sql);
        if (status)
            goto done;
    }
    collapse(blocks);

    out = o.out ? g_strdup(o.out) : g_strdup_printf("plots/%s-run%" G_GINT64_FORMAT "/tree.svg", ri.scenario_name,
                                                     o.run_id);
    dot_path = g_strdup_printf("%.*s.dot", (int)(strlen(out) - 4), out);
    const char *const inputs[] = { o.path, NULL };
    char *dir = g_path_get_dirname(out);
    if (g_mkdir_with_parents(dir, 0777) != 0) {
        fprintf(stderr, "chainsim %s: cannot create the folder %s: %s\n", CMD, dir, g_strerror(errno));
        g_free(dir);
        status = 1;
        goto done;
    }
    g_free(dir);
    if (!outfile_check(dot_path, inputs, &err)) {
        fprintf(stderr, "chainsim %s: %s\n", CMD, err);
        status = 2;
        goto done;
    }
    if (!(file = outfile_open(dot_path, &err))) {
        fprintf(stderr, "chainsim %s: %s\n", CMD, err);
        status = 1;
        goto done;
    }
    if ((status = write_dot(outfile_stream(file), db, &o, &ri, lo, hi, end_ns, blocks, by_index)))
        goto done;
    bool ok = outfile_commit(file, &err);
    file = NULL;
    if (!ok) {
        fprintf(stderr, "chainsim %s: %s\n", CMD, err);
        status = 1;
        goto done;
    }
    printf("wrote %s (%u blocks, heights %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")\n", dot_path, blocks->len, lo,
           hi);
    if (!g_str_has_suffix(out, ".dot")) {
        dot = tree_find_dot();
        if (!dot) {
            char *q_dot = g_shell_quote(dot_path), *q_out = g_shell_quote(out);
            fprintf(stderr,
                    "chainsim %s: %s: wrote the Graphviz source only, no image;\n"
                    "to draw it, install graphviz and run: dot -T%s %s -o %s\n",
                    CMD, g_getenv("CHAINSIM_DOT") ? "CHAINSIM_DOT is empty (no dot)"
                                                  : "Graphviz's dot is not installed (not found in PATH)",
                    strrchr(out, '.') + 1, q_dot, q_out);
            g_free(q_dot);
            g_free(q_out);
        } else if (!(status = render(dot, dot_path, out, inputs))) {
            printf("wrote %s\n", out);
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chainsim %s: cannot write to standard output\n", CMD);
        status = 1;
    }
done:
    outfile_abort(file);
    g_free(err);
    g_free(out);
    g_free(dot_path);
    g_free(dot);
    g_array_free(blocks, TRUE);
    g_hash_table_destroy(by_index);
    runinfo_clear(&ri);
    sqlite3_close(db);
    return status;
}
