/*
 * trace.c - `chainsim trace`: one node's story in a recorded run.
 *
 * The run is replayed from its stored scenario (analysis/stored.h) with the
 * network's tap and the nodes' observer set (sim/cmd/inspect.h); every happening
 * that concerns the node within [--from, --to] is printed as it occurs, so
 * the lines are in simulated-time order: messages it sent (and what became
 * of them) and received, blocks it completed or made, each check's verdict,
 * tip switches with the blocks disconnected and connected and the mempool's
 * size before and after, and the scenario events that hit it. The replay
 * stops after --to. Nothing is recorded: the database is only read.
 */
#include "sim/cmd/trace.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "analysis/cli.h"
#include "analysis/stored.h"
#include "sim/cmd/inspect.h"
#include "sim/cmd/stop.h"
#include "sim/scenario/units.h"

typedef struct trace {
    sim_t *sim;
    uint32_t node;
    uint64_t from_ns, to_ns;
    uint64_t lines;
    bool messages;
} trace_t;

static bool now_in(const trace_t *t)
{
    const uint64_t now = inspect_now_ns(t->sim);
    return now >= t->from_ns && now <= t->to_ns;
}

static void line(trace_t *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void line(trace_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%14.6f s  ", (double)inspect_now_ns(t->sim) / 1e9);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    t->lines++;
}

/* "block 12 (height 5, by node 3)" for messages that carry a block. */
static void what(const trace_t *t, const msg_t *m, char *buf, size_t len)
{
    switch (m->kind) {
    case MSG_BLOCK_INV: case MSG_BLOCK_GETDATA: case MSG_CMPCT_GETDATA: case MSG_BLOCK: case MSG_CMPCT:
    case MSG_GETBLOCKTXN: case MSG_BLOCKTXN: {
        const block_t *b = ((const sblock_t *)m->obj)->b;
        snprintf(buf, len, "block %u (height %" G_GUINT64_FORMAT ")", b->index, b->h.height);
        break;
    }
    default:
        snprintf(buf, len, "#%" G_GUINT64_FORMAT, m->id);
        break;
    }
    (void)t;
}

static void on_sent(void *ctx, uint32_t from, uint32_t to, const msg_t *m, net_send_outcome_t outcome,
                    uint64_t start_ns, uint64_t arrive_ns)
{
    trace_t *t = ctx;
    if (from != t->node || !t->messages || !now_in(t))
        return;
    char obj[64];
    what(t, m, obj, sizeof obj);
    const char *kind = inspect_kind_name(t->sim, m->kind);
    if (outcome == NET_DROPPED_PARTITION)
        line(t, "send  %-14s to   %-6u %s, %u B: dropped (partitioned)", kind, to, obj, m->size_bytes);
    else if (outcome == NET_LOST)
        line(t, "send  %-14s to   %-6u %s, %u B: lost", kind, to, obj, m->size_bytes);
    else
        line(t, "send  %-14s to   %-6u %s, %u B: transfer from %.6f s, arrives %.6f s", kind, to, obj,
             m->size_bytes, (double)start_ns / 1e9, (double)arrive_ns / 1e9);
}

static void on_received(void *ctx, uint32_t to, uint32_t from, const msg_t *m, uint64_t start_ns)
{
    trace_t *t = ctx;
    if (to != t->node || !t->messages || !now_in(t))
        return;
    char obj[64];
    what(t, m, obj, sizeof obj);
    line(t, "recv  %-14s from %-6u %s, %u B (sent from %.6f s)", inspect_kind_name(t->sim, m->kind), from, obj,
         m->size_bytes, (double)start_ns / 1e9);
}

static bool in_ranges(const fault_t *f, uint32_t node)
{
    for (uint32_t i = 0; i < f->nnodes_ranges; i++)
        if (node >= f->nodes[i].lo && node <= f->nodes[i].hi)
            return true;
    return false;
}

static void on_fault(void *ctx, const fault_t *f, const char *kind, const char *detail)
{
    trace_t *t = ctx;
    if (!now_in(t))
        return;
    switch (f->kind) {
    case FAULT_CRASH: case FAULT_RESTART: case FAULT_FORK:
        if (in_ranges(f, t->node))
            line(t, "event %s (%s): this node; %s", f->name, kind, detail);
        break;
    case FAULT_SEND:
        if (f->send_node == t->node)
            line(t, "event %s (send): %s", f->name, detail);
        break;
    default:
        line(t, "event %s (%s): %s", f->name, kind, detail);
        break;
    }
}

static void on_block_got(void *ctx, uint32_t node, uint32_t from, const sblock_t *sb)
{
    trace_t *t = ctx;
    if (node != t->node || !now_in(t))
        return;
    const block_t *b = sb->b;
    if (from == UINT32_MAX)
        line(t, "made  block %u at height %" G_GUINT64_FORMAT " on block %u, %u transactions, %" G_GUINT64_FORMAT
             " B", b->index, b->h.height, b->parent ? b->parent->index : 0, b->ntx, b->size_bytes);
    else
        line(t, "got   block %u at height %" G_GUINT64_FORMAT " by node %u from %u, %u transactions", b->index,
             b->h.height, b->h.producer, from, b->ntx);
}

static void on_block_checked(void *ctx, uint32_t node, const sblock_t *sb, const char *why)
{
    trace_t *t = ctx;
    if (node != t->node || !now_in(t))
        return;
    if (why)
        line(t, "check block %u: invalid (%s)", sb->b->index, why);
    else
        line(t, "check block %u: valid", sb->b->index);
}

static void on_tip(void *ctx, uint32_t node, const sblock_t *old_tip, const sblock_t *new_tip, uint64_t fork_height,
                   uint32_t disconnected, uint32_t connected, uint64_t mempool_before, uint64_t mempool_after)
{
    trace_t *t = ctx;
    if (node != t->node || !now_in(t))
        return;
    if (disconnected)
        line(t, "tip   block %u (height %" G_GUINT64_FORMAT ") -> block %u (height %" G_GUINT64_FORMAT "): reorg "
             "depth %u above height %" G_GUINT64_FORMAT ", %u blocks connected; mempool %" G_GUINT64_FORMAT
             " -> %" G_GUINT64_FORMAT, old_tip->b->index, old_tip->b->h.height, new_tip->b->index,
             new_tip->b->h.height, disconnected, fork_height, connected, mempool_before, mempool_after);
    else
        line(t, "tip   block %u (height %" G_GUINT64_FORMAT ") -> block %u (height %" G_GUINT64_FORMAT "): extends "
             "by %u; mempool %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, old_tip->b->index,
             old_tip->b->h.height, new_tip->b->index, new_tip->b->h.height, connected, mempool_before,
             mempool_after);
}

static const cli_command_t trace_cli = {
    .name = "trace",
    .usage = "DB [--run ID] --node N [--from TIME] [--to TIME] [--no-messages]",
    .about = "Prints, in simulated-time order, what node N saw and did in a recorded run:\n"
             "messages it sent (and whether they were dropped or lost) and received, blocks\n"
             "it completed or made, each block check's verdict and reason, tip switches\n"
             "with the depth of the reorganisation and the mempool's size before and after,\n"
             "and the scenario events that hit it (network-wide ones included). The run is\n"
             "replayed from the scenario stored in DB; nothing is recorded.\n",
    .operands = (const cli_operand_t[]){ { "DB", "the results database file", CLI_ONE }, { NULL, NULL, CLI_ONE } },
    .notes = "Times are simulated seconds. Block numbers are the block_index of the\n"
             "database's blocks table; a reorganisation line matches a row of its reorgs\n"
             "table (node_id, at_ns, depth, fork_height). --no-messages leaves out the\n"
             "message lines (transaction gossip makes many).\n",
    .exits = "0 success, 1 the replay failed, 2 bad usage, no such file or run, a node that\n"
             "does not exist, a time past the run's end or --from after --to, 130 interrupted\n",
};

int trace_main(int argc, char **argv)
{
    uint64_t node64 = UINT64_MAX, from_ns = 0, to_ns = UINT64_MAX;
    int64_t run_id = 0;
    gboolean no_messages = FALSE;
    const cli_option_t opts[] = {
        { "run", 0, CLI_RUN_ID, &run_id, "ID", "the run (default: the latest, the largest run_id)", NULL, NULL },
        { "node", 0, CLI_CUSTOM, &node64, "N", "the node; required", NULL, stored_check_node },
        { "from", 0, CLI_CUSTOM, &from_ns, "TIME", "from this simulated time (default 0)", NULL, stored_check_time },
        { "to", 0, CLI_CUSTOM, &to_ns, "TIME", "up to this simulated time (default: the end)", NULL,
          stored_check_time },
        { "no-messages", 0, CLI_FLAG, &no_messages, NULL, "leave out messages sent and received", NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&trace_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    const char *path = operands[0];
    g_free(operands);
    runinfo_t ri;
    scenario_t *sc = NULL;
    sim_t *sim = NULL;
    if ((rc = stored_load("trace", path, &run_id, &ri, &sc)) != CLI_GO_ON)
        goto done;
    rc = CLI_BADINPUT;
    if (node64 == UINT64_MAX) {
        fprintf(stderr, "chainsim trace: --node N is required\nTry 'chainsim trace --help'.\n");
        goto done;
    }
    if (node64 >= sc->net.nodes) {
        fprintf(stderr, "chainsim trace: --node %" G_GUINT64_FORMAT ": run %" G_GINT64_FORMAT " has nodes 0 to %u\n",
                node64, run_id, sc->net.nodes - 1);
        goto done;
    }
    const uint64_t end_ns = ri.has_end ? ri.sim_end_ns : sc->duration_ns;
    if (from_ns > end_ns || (to_ns != UINT64_MAX && to_ns > end_ns)) {
        char e[32];
        fprintf(stderr, "chainsim trace: --%s: past the end of run %" G_GINT64_FORMAT " (%s)\n",
                from_ns > end_ns ? "from" : "to", run_id, units_human_ns(end_ns, e, sizeof e));
        goto done;
    }
    if (to_ns == UINT64_MAX)
        to_ns = end_ns;
    if (from_ns > to_ns) {
        fprintf(stderr, "chainsim trace: --from is after --to\n");
        goto done;
    }
    trace_t t = { .node = (uint32_t)node64, .from_ns = from_ns, .to_ns = to_ns, .messages = !no_messages };
    const net_tap_t tap = { .ctx = &t, .sent = on_sent, .received = on_received, .fault = on_fault };
    const proto_observer_t obs = { .ctx = &t, .block_got = on_block_got, .block_checked = on_block_checked,
                                   .tip_switched = on_tip };
    printf("node %u of run %" G_GINT64_FORMAT " (%s, seed %" G_GUINT64_FORMAT "), %.6f s to %.6f s\n", t.node,
           run_id, sc->name, sc->seed, (double)from_ns / 1e9, (double)to_ns / 1e9);
    sim = sim_new(sc, NULL);
    t.sim = sim;
    inspect_observe(sim, &tap, &obs);
    printf("region %s\n", inspect_node_region(sim, t.node));
    sim_opts_t o = { .stop = stop_catch() };
    sim_status_t st = inspect_run_until(sim, to_ns, &o);
    fflush(stdout);
    if (st == SIM_INTERRUPTED) {
        fprintf(stderr, "chainsim trace: interrupted\n");
        rc = CLI_INTERRUPTED;
    } else if (st == SIM_FAILED) {
        fprintf(stderr, "chainsim trace: the replay failed: %s\n", sim_error(sim));
        rc = CLI_RUNTIME;
    } else {
        printf("%" G_GUINT64_FORMAT " lines\n", t.lines);
        rc = CLI_OK;
    }
done:
    sim_free(sim);
    scenario_free(sc);
    runinfo_clear(&ri);
    return rc;
}
