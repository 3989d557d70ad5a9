/*
 * simblock.c - a recorded run's block propagation as SimBlock's event log,
 * for SimBlock's web visualiser.
 *
 * SimBlock writes output.json, one JSON array of events {"kind": K,
 * "content": {...}}, and static.json, the region names. The same kinds are
 * written here, times in whole milliseconds of simulated time:
 *   add-node     timestamp 0, node-id, region-id (every node)
 *   add-link     timestamp 0, begin-node-id, end-node-id (every link, from
 *                the end that opened it)
 *   flow-block   transmission-timestamp, reception-timestamp, begin-node-id,
 *                end-node-id, block-id: for every node that got a block
 *                from a peer, the transfer that completed it (its start at
 *                the sender and its arrival; with compact relay the compact
 *                block or the missing transactions, whichever came last)
 *   add-block    timestamp, node-id, block-id: a node's tip became the block
 *   simulation-end  timestamp
 * SimBlock numbers nodes from 1: node-id is chainsim's node id + 1; block-id
 * is the block_index of the results database (0 = genesis). Region names are
 * written as SimBlock writes its own (upper case, '_' for '-'). chainsim's
 * links do not change during a run (a partition drops messages, it does not
 * close links), so there is no remove-link.
 *
 * The run is replayed from its stored scenario with the network's tap and
 * the nodes' observer (sim/cmd/inspect.h); nothing is recorded. The two files are
 * written to temporary names and renamed once the whole replay succeeded.
 */
#include "sim/cmd/simblock.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "analysis/cli.h"
#include "analysis/outfile.h"
#include "analysis/stored.h"
#include "sim/cmd/inspect.h"
#include "sim/cmd/stop.h"

typedef struct flows {
    sim_t *sim;
    FILE *out;
    uint32_t cur_from;     /* the message being delivered: its sender ... */
    uint64_t cur_start_ns; /* ... and the start of its transfer */
    uint64_t flows;
} flows_t;

static uint64_t ms(uint64_t ns)
{
    return ns / 1000000u;
}

static void on_received(void *ctx, uint32_t to, uint32_t from, const msg_t *m, uint64_t start_ns)
{
    flows_t *f = ctx;
    (void)to;
    (void)m;
    f->cur_from = from;
    f->cur_start_ns = start_ns;
}

static void on_block_got(void *ctx, uint32_t node, uint32_t from, const sblock_t *sb)
{
    flows_t *f = ctx;
    if (from == UINT32_MAX)
        return; /* its producer */
    /* the message being delivered completed it; anything else (none today)
     * is written as a transfer of no duration rather than with a wrong start */
    const uint64_t start_ns = from == f->cur_from ? f->cur_start_ns : inspect_now_ns(f->sim);
    fprintf(f->out,
            ",\n{\"kind\":\"flow-block\",\"content\":{\"transmission-timestamp\":%" G_GUINT64_FORMAT
            ",\"reception-timestamp\":%" G_GUINT64_FORMAT ",\"begin-node-id\":%u,\"end-node-id\":%u,"
            "\"block-id\":%u}}",
            ms(start_ns), ms(inspect_now_ns(f->sim)), from + 1, node + 1, sb->b->index);
    f->flows++;
}

static void on_tip(void *ctx, uint32_t node, const sblock_t *old_tip, const sblock_t *new_tip, uint64_t fork_height,
                   uint32_t disconnected, uint32_t connected, uint64_t mempool_before, uint64_t mempool_after)
{
    flows_t *f = ctx;
    (void)old_tip, (void)fork_height, (void)disconnected, (void)connected, (void)mempool_before,
        (void)mempool_after;
    fprintf(f->out, ",\n{\"kind\":\"add-block\",\"content\":{\"timestamp\":%" G_GUINT64_FORMAT
            ",\"node-id\":%u,\"block-id\":%u}}", ms(inspect_now_ns(f->sim)), node + 1, new_tip->b->index);
}

/* SimBlock's spelling of a region name: NORTH_AMERICA for north-america. */
static char *region_text(const char *name)
{
    char *s = g_ascii_strup(name, -1);
    for (char *p = s; *p; p++)
        if (*p == '-' || *p == ' ')
            *p = '_';
    return s;
}

static bool write_static(const sim_t *sim, const char *path, char **err)
{
    GString *s = g_string_new("{\"region\":[");
    for (uint32_t r = 0; r < inspect_regions(sim); r++) {
        char *name = region_text(inspect_region_name(sim, r));
        g_string_append_printf(s, "%s{\"id\":%u,\"name\":\"%s\"}", r ? "," : "", r, name);
        g_free(name);
    }
    g_string_append(s, "]}\n");
    bool ok = outfile_write(path, s->str, s->len, err);
    g_string_free(s, TRUE);
    return ok;
}

int simblock_export(const char *db_path, int64_t run_id, const char *out_path)
{
    runinfo_t ri = { 0 };
    scenario_t *sc = NULL;
    sim_t *sim = NULL;
    outfile_t *file = NULL;
    char *err = NULL, *static_path = NULL;
    int rc;
    const char *inputs[] = { db_path, NULL };
    if (!outfile_check(out_path, inputs, &err)) {
        fprintf(stderr, "chainsim export: --out %s\n", err);
        rc = CLI_BADINPUT;
        goto done;
    }
    char *dir = g_path_get_dirname(out_path);
    static_path = g_build_filename(dir, "static.json", NULL);
    g_free(dir);
    if (strcmp(static_path, out_path) == 0) {
        fprintf(stderr, "chainsim export: --out %s: static.json is written beside the event log; name the log "
                "otherwise (e.g. output.json)\n", out_path);
        rc = CLI_BADINPUT;
        goto done;
    }
    if ((rc = stored_load("export", db_path, &run_id, &ri, &sc)) != CLI_GO_ON)
        goto done;
    if (sc->consensus.kind == CONS_NONE) {
        fprintf(stderr, "chainsim export: %s: run %" G_GINT64_FORMAT " has no blocks (consensus.kind = none): "
                "nothing for SimBlock's visualiser to show\n", db_path, run_id);
        rc = CLI_BADINPUT;
        goto done;
    }
    if (!(file = outfile_open(out_path, &err))) {
        fprintf(stderr, "chainsim export: %s\n", err);
        rc = CLI_RUNTIME;
        goto done;
    }
    flows_t f = { .out = outfile_stream(file), .cur_from = UINT32_MAX };
    const net_tap_t tap = { .ctx = &f, .received = on_received };
    const proto_observer_t obs = { .ctx = &f, .block_got = on_block_got, .tip_switched = on_tip };
    sim = sim_new(sc, NULL);
    f.sim = sim;
    inspect_observe(sim, &tap, &obs);
    fprintf(f.out, "[");
    for (uint32_t i = 0; i < inspect_nodes(sim); i++)
        fprintf(f.out, "%s{\"kind\":\"add-node\",\"content\":{\"timestamp\":0,\"node-id\":%u,\"region-id\":%u}}",
                i ? ",\n" : "\n", i + 1, inspect_node_region_index(sim, i));
    for (uint32_t l = 0; l < inspect_links(sim); l++) {
        uint32_t a, b;
        inspect_link(sim, l, &a, &b);
        fprintf(f.out, ",\n{\"kind\":\"add-link\",\"content\":{\"timestamp\":0,\"begin-node-id\":%u,"
                "\"end-node-id\":%u}}", a + 1, b + 1);
    }
    const sim_opts_t o = { .stop = stop_catch() };
    sim_status_t st = inspect_run_until(sim, UINT64_MAX, &o);
    if (st == SIM_INTERRUPTED) {
        fprintf(stderr, "chainsim export: interrupted; nothing was written\n");
        rc = CLI_INTERRUPTED;
        goto done;
    }
    if (st != SIM_COMPLETE) {
        fprintf(stderr, "chainsim export: the replay failed: %s\n", sim_error(sim));
        rc = CLI_RUNTIME;
        goto done;
    }
    fprintf(f.out, ",\n{\"kind\":\"simulation-end\",\"content\":{\"timestamp\":%" G_GUINT64_FORMAT "}}\n]\n",
            ms(inspect_now_ns(sim)));
    if (!write_static(sim, static_path, &err)) {
        fprintf(stderr, "chainsim export: %s\n", err);
        rc = CLI_RUNTIME;
        goto done;
    }
    bool committed = outfile_commit(file, &err);
    file = NULL;
    if (!committed) {
        fprintf(stderr, "chainsim export: %s\n", err);
        rc = CLI_RUNTIME;
        goto done;
    }
    printf("wrote %s (%" G_GUINT64_FORMAT " block transfers) and %s\n", out_path, f.flows, static_path);
    rc = CLI_OK;
done:
    if (file)
        outfile_abort(file);
    sim_free(sim);
    scenario_free(sc);
    runinfo_clear(&ri);
    g_free(static_path);
    g_free(err);
    return rc;
}
