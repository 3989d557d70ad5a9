/*
 * forks.c - `chainsim forks`: the fork log of one run, in time order.
 *
 * Every fact comes from the fork log (tables forks, fork_branches,
 * fork_blocks, fork_txs) and its views (v_forks, v_fork_branches, which
 * attribute the reorgs rows to forks); this file selects one run's rows and
 * formats them. It computes no figure.
 *
 * Text: one line per fork,
 *
 *   fork 2  74.453 s  height 12  partition  won #14..#22 (5 blocks by 91,76,189,71,+1; reached 200)
 *     lost #16..#20 (4 blocks by 55,101,53,13; reached 123, left by 123)  resolved 124.099 s
 *     123 reorgs at 123 nodes, deepest 4  txs 81 re-included, 0 dropped, 1 double-spent
 *
 * (shown wrapped here; it is one line): the fork's number, when it began,
 * the fork point's height, its cause, each branch (first..last block, its
 * producers, how many nodes received its first block and how many left it
 * in a reorg), how it ended (resolved at, open with the nodes still on a
 * losing branch, or abandoned), its reorgs and the fates of the losing
 * branches' transactions.
 *
 * JSON (--json): one object per line (JSON Lines), with every column of
 * v_forks (times as integer nanoseconds, *_ns) and the arrays "branches"
 * (each with its blocks) and "txs" (every transaction of a losing block
 * with its fate). NULL is null.
 *
 * The database is opened read-only: the command never writes.
 */
#include "analysis/forks.h"

#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "analysis/cli.h"
#include "analysis/resultsdb.h"
#include "analysis/runinfo.h"

#define CMD "forks"

static const cli_command_t forks_cli = {
    .name = CMD,
    .usage = "DB [--run ID] [--min-depth N] [--json]",
    .about = "Lists the forks of one run recorded in the results database DB, in the order\n"
             "they began: the fork point, its cause (race, partition, forced, equivocation,\n"
             "adversary), each branch's blocks and producers and how far it spread, which\n"
             "branch won and when the fork was resolved, the reorgs it caused and what\n"
             "became of the transactions of the losing blocks (re-included, dropped,\n"
             "double-spent).\n",
    .operands = (const cli_operand_t[]){ { "DB", "the results database file", CLI_ONE }, { NULL, NULL, CLI_ONE } },
    .notes = "Times are seconds of simulated time. The facts come from the fork log tables\n"
             "and the views v_forks and v_fork_branches (analysis/views.sql). The database is\n"
             "only read.\n",
    .exits = "0 success (also when the run has no fork), 1 SQLite error, 2 bad usage,\n"
             "no such file or run, or a database without the fork log\n",
};

typedef struct forks_opts {
    const char *path;
    int64_t run_id;
    uint64_t min_depth;
    bool json;
} forks_opts_t;

/* A nullable integer of a row. */
typedef struct cell {
    bool null;
    int64_t v;
} cell_t;

enum {
    F_ID, F_PARENT, F_HEIGHT, F_CREATED, F_BRANCHES, F_WINNER, F_DEPTH, F_STALE, F_OPEN, F_DECIDED, F_RESOLVED,
    F_REORGS, F_REORG_NODES, F_REORG_DEPTH, F_REINCLUDED, F_DROPPED, F_DOUBLE, F_NINT
};

/* Integer columns of v_forks, in the order of the enum, with their JSON keys. */
static const char *const fork_cols[F_NINT] = {
    "fork_id", "parent_index", "fork_height", "created_ns", "branches", "winner", "depth", "stale_blocks",
    "open_nodes", "decided_ns", "resolved_ns", "reorgs", "reorg_nodes", "reorg_max_depth", "txs_reincluded",
    "txs_dropped", "txs_double_spent",
};

typedef struct fork_row {
    cell_t c[F_NINT];
    char *cause;
    char *status;
} fork_row_t;

enum {
    B_FORK, B_BRANCH, B_WON, B_ROOT, B_TIP, B_BLOCKS, B_LENGTH, B_REACHED, B_R10, B_R50, B_R90, B_R100,
    B_TIP_NODES, B_LEFT, B_NINT
};

static const char *const branch_cols[B_NINT] = {
    "fork_id", "branch", "won", "root_index", "tip_index", "blocks", "length", "reached", "reach10_ns",
    "reach50_ns", "reach90_ns", "reach100_ns", "tip_nodes", "left_nodes",
};

typedef struct branch_row {
    cell_t c[B_NINT];
    char *producers; /* "1,2,3" */
} branch_row_t;

static bool check_depth(void *dest, const char *value, char **why)
{
    guint64 v;
    if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT64, &v, NULL)) {
        *why = g_strdup("expected a whole number of blocks, 0 or more");
        return false;
    }
    *(uint64_t *)dest = v;
    return true;
}

static int parse_args(int argc, char **argv, forks_opts_t *o)
{
    const cli_option_t opts[] = {
        { "run", 0, CLI_RUN_ID, &o->run_id, "ID", "the run (default: the latest, the largest run_id)", NULL, NULL },
        { "min-depth", 0, CLI_CUSTOM, &o->min_depth, "N",
          "only forks whose longest losing branch has N blocks or more", NULL, check_depth },
        { "json", 0, CLI_FLAG, &o->json, NULL, "one JSON object per fork, one a line, instead of text", NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&forks_cli, opts, argc, argv, &operands);
    if (rc == CLI_GO_ON) {
        o->path = operands[0];
        g_free(operands);
    }
    return rc;
}

static cell_t cell_of(sqlite3_stmt *st, int i)
{
    cell_t c = { sqlite3_column_type(st, i) == SQLITE_NULL, 0 };
    if (!c.null)
        c.v = sqlite3_column_int64(st, i);
    return c;
}

static char *text_of(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return g_strdup(t ? (const char *)t : "");
}

static void free_fork(gpointer p)
{
    fork_row_t *f = p;
    g_free(f->cause);
    g_free(f->status);
}

static void free_branch(gpointer p)
{
    g_free(((branch_row_t *)p)->producers);
}

/* Reads the forks of the run (depth >= min_depth) into forks (fork_row_t)
 * and all its branches into branches (branch_row_t), both by fork_id. */
static int read_rows(sqlite3 *db, const forks_opts_t *o, GArray *forks, GArray *branches)
{
    GString *sql = g_string_new("SELECT ");
    for (int i = 0; i < F_NINT; i++)
        g_string_append_printf(sql, "%s, ", fork_cols[i]);
    g_string_append(sql, "cause, status FROM v_forks WHERE run_id = ?1 AND depth >= ?2 ORDER BY fork_id");
    sqlite3_stmt *st = NULL;
    int status = 0, rc;
    if (sqlite3_prepare_v2(db, sql->str, -1, &st, NULL) != SQLITE_OK) {
        status = runinfo_db_error(CMD, db, o->path, "cannot read the view v_forks");
        goto done;
    }
    sqlite3_bind_int64(st, 1, o->run_id);
    sqlite3_bind_int64(st, 2, (int64_t)o->min_depth);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fork_row_t f;
        for (int i = 0; i < F_NINT; i++)
            f.c[i] = cell_of(st, i);
        f.cause = text_of(st, F_NINT);
        f.status = text_of(st, F_NINT + 1);
        g_array_append_val(forks, f);
    }
    if (rc != SQLITE_DONE) {
        status = runinfo_db_error(CMD, db, o->path, "cannot read the view v_forks");
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;

    g_string_assign(sql, "SELECT ");
    for (int i = 0; i < B_NINT; i++)
        g_string_append_printf(sql, "%s%s, ", i == B_LEFT ? "v." : "b.", branch_cols[i]);
    g_string_append(sql, "v.producers FROM fork_branches b JOIN v_fork_branches v "
                         "ON v.run_id = b.run_id AND v.fork_id = b.fork_id AND v.branch = b.branch "
                         "WHERE b.run_id = ?1 ORDER BY b.fork_id, b.branch");
    if (sqlite3_prepare_v2(db, sql->str, -1, &st, NULL) != SQLITE_OK) {
        status = runinfo_db_error(CMD, db, o->path, "cannot read the view v_fork_branches");
        goto done;
    }
    sqlite3_bind_int64(st, 1, o->run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        branch_row_t b;
        for (int i = 0; i < B_NINT; i++)
            b.c[i] = cell_of(st, i);
        b.producers = text_of(st, B_NINT);
        g_array_append_val(branches, b);
    }
    if (rc != SQLITE_DONE)
        status = runinfo_db_error(CMD, db, o->path, "cannot read the view v_fork_branches");
done:
    sqlite3_finalize(st);
    g_string_free(sql, TRUE);
    return status;
}

static void seconds(GString *s, int64_t ns)
{
    g_string_append_printf(s, "%.3f s", (double)ns / 1e9);
}

/* "by 1,2,3,+2" from "1,2,3,4,5": at most four producers shown. */
static void producers_text(GString *s, const char *list)
{
    char **p = g_strsplit(list, ",", -1);
    guint n = g_strv_length(p);
    g_string_append(s, "by ");
    for (guint i = 0; i < n && i < 4; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "", p[i]);
    if (n > 4)
        g_string_append_printf(s, ",+%u", n - 4);
    g_strfreev(p);
}

static void branch_text(GString *s, const branch_row_t *b)
{
    g_string_append_printf(s, "%s #%" G_GINT64_FORMAT, b->c[B_WON].v ? "won" : "lost", b->c[B_ROOT].v);
    if (b->c[B_TIP].v != b->c[B_ROOT].v)
        g_string_append_printf(s, "..#%" G_GINT64_FORMAT, b->c[B_TIP].v);
    g_string_append(s, " (");
    if (b->c[B_BLOCKS].v != 1)
        g_string_append_printf(s, "%" G_GINT64_FORMAT " blocks ", b->c[B_BLOCKS].v);
    producers_text(s, b->producers);
    g_string_append_printf(s, "; reached %" G_GINT64_FORMAT, b->c[B_REACHED].v);
    if (b->c[B_LEFT].v)
        g_string_append_printf(s, ", left by %" G_GINT64_FORMAT, b->c[B_LEFT].v);
    if (!b->c[B_WON].v && b->c[B_TIP_NODES].v)
        g_string_append_printf(s, ", tip of %" G_GINT64_FORMAT " at the end", b->c[B_TIP_NODES].v);
    g_string_append(s, ")");
}

static void print_text(FILE *out, const fork_row_t *f, const branch_row_t *b, guint nb)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "fork %" G_GINT64_FORMAT "  ", f->c[F_ID].v);
    seconds(s, f->c[F_CREATED].v);
    g_string_append_printf(s, "  height %" G_GINT64_FORMAT "  %s ", f->c[F_HEIGHT].v, f->cause);
    for (guint i = 0; i < nb; i++) {
        g_string_append(s, " ");
        branch_text(s, &b[i]);
    }
    g_string_append(s, "  ");
    if (strcmp(f->status, "resolved") == 0 && !f->c[F_RESOLVED].null) {
        g_string_append(s, "resolved ");
        seconds(s, f->c[F_RESOLVED].v);
    } else if (strcmp(f->status, "open") == 0) {
        g_string_append_printf(s, "open (%" G_GINT64_FORMAT " node%s on a losing branch at the end)",
                               f->c[F_OPEN].v, f->c[F_OPEN].v == 1 ? "" : "s");
    } else {
        g_string_append(s, f->status);
    }
    int64_t nr = f->c[F_REORGS].v;
    g_string_append_printf(s, "  %" G_GINT64_FORMAT " reorg%s", nr, nr == 1 ? "" : "s");
    if (nr)
        g_string_append_printf(s, " at %" G_GINT64_FORMAT " node%s, deepest %" G_GINT64_FORMAT,
                               f->c[F_REORG_NODES].v, f->c[F_REORG_NODES].v == 1 ? "" : "s",
                               f->c[F_REORG_DEPTH].v);
    if (!f->c[F_WINNER].null)
        g_string_append_printf(s, "  txs %" G_GINT64_FORMAT " re-included, %" G_GINT64_FORMAT
                               " dropped, %" G_GINT64_FORMAT " double-spent",
                               f->c[F_REINCLUDED].v, f->c[F_DROPPED].v, f->c[F_DOUBLE].v);
    fprintf(out, "%s\n", s->str);
    g_string_free(s, TRUE);
}

static void json_cell(FILE *out, const char *key, cell_t c)
{
    fprintf(out, "\"%s\": ", key);
    if (c.null)
        fputs("null", out);
    else
        fprintf(out, "%" G_GINT64_FORMAT, c.v);
}

static void json_str(FILE *out, const char *key, const char *v)
{
    fprintf(out, "\"%s\": ", key);
    if (v)
        resultsdb_json_text(out, v, strlen(v));
    else
        fputs("null", out);
}

/* Prints one fork as a JSON object on one line; blocks_st and txs_st read
 * the fork's blocks and transactions (bound to the run; ?2 = fork). */
static int print_json(FILE *out, sqlite3 *db, const forks_opts_t *o, const fork_row_t *f, const branch_row_t *b,
                      guint nb, sqlite3_stmt *blocks_st, sqlite3_stmt *txs_st)
{
    fprintf(out, "{\"run_id\": %" G_GINT64_FORMAT ", ", o->run_id);
    for (int i = 0; i < F_NINT; i++) {
        if (i == F_BRANCHES)
            continue; /* the length of the array "branches" */
        json_cell(out, fork_cols[i], f->c[i]);
        fputs(", ", out);
    }
    json_str(out, "cause", f->cause);
    fputs(", ", out);
    json_str(out, "status", f->status);
    fputs(", \"branches\": [", out);
    int rc;
    for (guint i = 0; i < nb; i++) {
        fputs(i ? ", {" : "{", out);
        for (int k = B_BRANCH; k < B_NINT; k++) {
            if (k == B_WON)
                fprintf(out, "\"won\": %s", b[i].c[k].v ? "true" : "false");
            else
                json_cell(out, branch_cols[k], b[i].c[k]);
            fputs(", ", out);
        }
        fprintf(out, "\"producers\": [%s], \"block_indexes\": [", b[i].producers);
        sqlite3_reset(blocks_st);
        sqlite3_bind_int64(blocks_st, 2, f->c[F_ID].v);
        sqlite3_bind_int64(blocks_st, 3, b[i].c[B_BRANCH].v);
        for (int n = 0; (rc = sqlite3_step(blocks_st)) == SQLITE_ROW; n++)
            fprintf(out, "%s%" G_GINT64_FORMAT, n ? ", " : "", (gint64)sqlite3_column_int64(blocks_st, 0));
        if (rc != SQLITE_DONE)
            return runinfo_db_error(CMD, db, o->path, "cannot read the table fork_blocks");
        fputs("]}", out);
    }
    fputs("], \"txs\": [", out);
    sqlite3_reset(txs_st);
    sqlite3_bind_int64(txs_st, 2, f->c[F_ID].v);
    static const char *const tx_keys[] = { "block_index", "tx_id", "tx_index", "sender", "nonce", "fate",
                                           "main_block", "conflict_tx" };
    for (int n = 0; (rc = sqlite3_step(txs_st)) == SQLITE_ROW; n++) {
        fputs(n ? ", {" : "{", out);
        for (int k = 0; k < 8; k++) {
            if (k)
                fputs(", ", out);
            if (k == 1 || k == 5 || k == 7)
                json_str(out, tx_keys[k], (const char *)sqlite3_column_text(txs_st, k));
            else
                json_cell(out, tx_keys[k], cell_of(txs_st, k));
        }
        fputs("}", out);
    }
    if (rc != SQLITE_DONE)
        return runinfo_db_error(CMD, db, o->path, "cannot read the table fork_txs");
    fputs("]}\n", out);
    return 0;
}

/* Checks that the run has a fork log: its tables exist and, for a run with
 * consensus, node_tips has its rows (it has one per node in every run
 * recorded with the log). Sets *no_chain for a run without consensus. */
static int check_log(sqlite3 *db, const forks_opts_t *o, bool *no_chain)
{
    static const char *const needed[] = { "forks", "fork_branches", "fork_blocks", "fork_txs", "node_tips",
                                          "v_forks", "v_fork_branches", NULL };
    int status = runinfo_require(CMD, db, o->path, needed, "fork log");
    if (status)
        return status;
    runinfo_t ri;
    if ((status = runinfo_load(CMD, db, o->path, o->run_id, &ri)))
        return status;
    *no_chain = strcmp(ri.consensus, "none") == 0;
    runinfo_clear(&ri);
    if (*no_chain)
        return 0;
    int64_t n = 0;
    bool found = false;
    if ((status = runinfo_int(CMD, db, o->path, "SELECT count(*) FROM node_tips WHERE run_id = ?1", o->run_id, &n,
                              &found)))
        return status;
    if (n == 0) {
        fprintf(stderr,
                "chainsim %s: %s: run %" G_GINT64_FORMAT " has no fork log: it was recorded by an older chainsim\n"
                "or did not complete; record it again (chainsim replay reruns it)\n",
                CMD, o->path, o->run_id);
        return 2;
    }
    return 0;
}

int forks_main(int argc, char **argv)
{
    forks_opts_t o = { 0 };
    int status = parse_args(argc, argv, &o);
    if (status != CLI_GO_ON)
        return status;
    sqlite3 *db = NULL;
    sqlite3_stmt *blocks_st = NULL, *txs_st = NULL;
    GArray *forks = g_array_new(FALSE, FALSE, sizeof(fork_row_t));
    GArray *branches = g_array_new(FALSE, FALSE, sizeof(branch_row_t));
    g_array_set_clear_func(forks, free_fork);
    g_array_set_clear_func(branches, free_branch);
    bool no_chain = false;
    if ((status = runinfo_open(CMD, o.path, &db)) || (status = runinfo_pick(CMD, db, o.path, &o.run_id)) ||
        (status = check_log(db, &o, &no_chain)))
        goto done;
    if (no_chain) {
        if (!o.json)
            printf("run %" G_GINT64_FORMAT " has no blockchain (consensus.kind = none): no forks\n", o.run_id);
        goto flush;
    }
    if ((status = read_rows(db, &o, forks, branches)))
        goto done;
    if (o.json &&
        (sqlite3_prepare_v2(db,
                            "SELECT block_index FROM fork_blocks WHERE run_id = ?1 AND fork_id = ?2 AND branch = ?3 "
                            "ORDER BY block_index",
                            -1, &blocks_st, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(db,
                            "SELECT block_index, tx_id, tx_index, sender, nonce, fate, main_block, conflict_tx "
                            "FROM fork_txs WHERE run_id = ?1 AND fork_id = ?2 ORDER BY block_index, tx_index, tx_id",
                            -1, &txs_st, NULL) != SQLITE_OK)) {
        status = runinfo_db_error(CMD, db, o.path, "cannot read the fork log");
        goto done;
    }
    if (o.json) {
        sqlite3_bind_int64(blocks_st, 1, o.run_id);
        sqlite3_bind_int64(txs_st, 1, o.run_id);
    }
    guint k = 0;
    for (guint i = 0; i < forks->len; i++) {
        const fork_row_t *f = &g_array_index(forks, fork_row_t, i);
        while (k < branches->len && g_array_index(branches, branch_row_t, k).c[B_FORK].v < f->c[F_ID].v)
            k++;
        guint first = k, nb = 0;
        while (k + nb < branches->len && g_array_index(branches, branch_row_t, k + nb).c[B_FORK].v == f->c[F_ID].v)
            nb++;
        const branch_row_t *b = nb ? &g_array_index(branches, branch_row_t, first) : NULL;
        if (o.json) {
            if ((status = print_json(stdout, db, &o, f, b, nb, blocks_st, txs_st)))
                goto done;
        } else {
            print_text(stdout, f, b, nb);
        }
    }
    if (!o.json && forks->len == 0)
        printf("run %" G_GINT64_FORMAT ": no fork%s\n", o.run_id,
               o.min_depth ? " that deep (see --min-depth)" : "");
flush:
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chainsim %s: cannot write to standard output\n", CMD);
        status = 1;
    }
done:
    sqlite3_finalize(blocks_st);
    sqlite3_finalize(txs_st);
    g_array_free(forks, TRUE);
    g_array_free(branches, TRUE);
    sqlite3_close(db);
    return status;
}
