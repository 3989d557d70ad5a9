/*
 * fault.c - timed scenario events: partitions, heals, latency and loss
 * changes, crashes and restarts.
 *
 * Partition semantics: every node carries a group number (0 when the network
 * is whole). Messages between nodes of different groups are dropped, both
 * when sent and when they arrive (a message in flight when the partition
 * starts is lost); nothing is held for delivery after the heal. A heal puts
 * every node back in group 0. A new partition replaces the previous one.
 *
 * Latency and loss modifiers are set, not compounded: `scale` and `add` apply
 * to the profile's draw for the chosen region pairs until another latency
 * event sets them again (scale = 1, add = 0s restores the profile).
 *
 * A crashed node neither sends nor receives; transfers it had queued but not
 * begun are lost; its state is kept for its restart (as after a reboot with
 * its disk intact). Every applied event is recorded in the faults table.
 *
 * Node-level events (fork, send) are applied by the handler the node layer
 * registered with net_on_script(), at their place in the same time order.
 */
#include <stdio.h>
#include <string.h>

#include "sim/net/net.h"

static void run_fault(void *ctx, const ev_t *ev)
{
    fault_apply(ctx, ev->d.a);
}

static void run_restart(void *ctx, const ev_t *ev)
{
    fault_restart(ctx, ev->d.a);
}

void fault_schedule(net_t *net)
{
    engine_on(net->eng, EV_FAULT, run_fault, NULL, NULL, net);
    engine_on(net->eng, EV_RESTART, run_restart, NULL, NULL, net);
    for (uint32_t i = 0; i < net->sc->nfaults; i++)
        engine_at(net->eng, net->sc->faults[i].at_ns, EV_FAULT, (ev_data_t){ .a = i });
}

static void record(net_t *net, const fault_t *f, const char *kind, const char *detail, uint32_t affected)
{
    if (net->tap && net->tap->fault)
        net->tap->fault(net->tap->ctx, f, kind, detail);
    if (net->rec && !record_fault(net->rec, net->faults_applied, net->eng->now_ns, f->name, kind, detail, affected))
        engine_fail(net->eng, "%s", record_error(net->rec));
    net->faults_applied++;
}

static uint32_t partition(net_t *net, const fault_t *f, GString *detail)
{
    const uint32_t n = net->nnodes, rest = f->ngroups + 1;
    uint32_t *count = g_new0(uint32_t, rest + 1);
    for (uint32_t i = 0; i < n; i++)
        net->nodes[i].group = (uint16_t)rest;
    switch (f->by) {
    case PART_BY_IDS:
        for (uint32_t r = 0; r < f->nranges; r++)
            for (uint32_t i = f->ranges[r].lo; i <= f->ranges[r].hi; i++)
                net->nodes[i].group = (uint16_t)(f->group_of_range[r] + 1);
        break;
    case PART_BY_REGIONS:
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t g = 0; g < f->ngroups; g++)
                if (f->group_regions[g] & (1u << net->nodes[i].region))
                    net->nodes[i].group = (uint16_t)(g + 1);
        break;
    case PART_BY_FRACTION: {
        uint32_t *order = g_new(uint32_t, n);
        for (uint32_t i = 0; i < n; i++)
            order[i] = i;
        rng_shuffle_u32(&net->fault_rng, order, n);
        uint32_t at = 0;
        for (uint32_t g = 0; g < f->ngroups; g++) {
            uint64_t want = ((uint64_t)f->group_fraction_ppm[g] * n + 500000) / 1000000;
            for (uint64_t k = 0; k < want && at < n; k++)
                net->nodes[order[at++]].group = (uint16_t)(g + 1);
        }
        g_free(order);
        break;
    }
    }
    for (uint32_t i = 0; i < n; i++)
        count[net->nodes[i].group]++;
    uint32_t grouped = n - count[rest];
    g_string_append_printf(detail, "%u groups:", count[rest] ? rest : f->ngroups);
    for (uint32_t g = 1; g <= rest; g++)
        if (g < rest || count[rest])
            g_string_append_printf(detail, " %u", count[g]);
    g_string_append(detail, " nodes; messages between groups are dropped");
    g_free(count);
    return grouped;
}

/* Applies fn to the region pairs an event names: all, or a<->b both ways. */
static void region_pairs(net_t *net, const fault_t *f, void (*fn)(net_t *, int, int, const fault_t *))
{
    if (f->region_a < 0) {
        for (int a = 0; a < net->profile->nregions; a++)
            for (int b = 0; b < net->profile->nregions; b++)
                fn(net, a, b, f);
    } else {
        fn(net, f->region_a, f->region_b, f);
        fn(net, f->region_b, f->region_a, f);
    }
}

static void set_latency(net_t *net, int a, int b, const fault_t *f)
{
    net->lat_scale_ppm[a][b] = f->scale_ppm;
    net->lat_add_ns[a][b] = f->add_ns;
}

static void set_loss(net_t *net, int a, int b, const fault_t *f)
{
    net->loss_ppm[a][b] = f->loss_ppm;
}

static uint32_t nodes_in_regions(net_t *net, const fault_t *f)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < net->nnodes; i++)
        if (f->region_a < 0 || net->nodes[i].region == f->region_a || net->nodes[i].region == f->region_b)
            k++;
    return k;
}

static void crash_node(net_t *net, node_t *nd)
{
    nd->up = false;
    nd->epoch++;
    nd->crashed_at_ns = net->eng->now_ns;
    nd->up_busy_until_ns = net->eng->now_ns;
    for (uint32_t j = 0; net->link_busy_ns && j < nd->adj_len; j++) {
        uint32_t l = net->adj_link[nd->adj_off + j];
        net->link_busy_ns[2 * (size_t)l + (net->links[l].a == nd->id ? 0 : 1)] = net->eng->now_ns;
    }
}

/* Sets nodes of f up or down; returns how many changed. */
static uint32_t set_up(net_t *net, const fault_t *f, bool up)
{
    uint32_t changed = 0;
    for (uint32_t r = 0; r < f->nnodes_ranges; r++) {
        for (uint32_t i = f->nodes[r].lo; i <= f->nodes[r].hi; i++) {
            node_t *nd = &net->nodes[i];
            if (nd->up == up)
                continue;
            changed++;
            if (up) {
                nd->up = true;
                if (net->on_restart)
                    net->on_restart(net->on_restart_ctx, i);
            } else {
                crash_node(net, nd);
            }
        }
    }
    return changed;
}

static const char *pair_text(net_t *net, const fault_t *f, char *buf, size_t n)
{
    if (f->region_a < 0)
        snprintf(buf, n, "all links");
    else
        snprintf(buf, n, "links between %s and %s", net->profile->region[f->region_a],
                 net->profile->region[f->region_b]);
    return buf;
}

void fault_apply(net_t *net, uint32_t index)
{
    const fault_t *f = &net->sc->faults[index];
    GString *d = g_string_new(NULL);
    char pairs[96];
    uint32_t affected = 0;
    switch (f->kind) {
    case FAULT_PARTITION:
        affected = partition(net, f, d);
        break;
    case FAULT_HEAL:
        for (uint32_t i = 0; i < net->nnodes; i++) {
            affected += net->nodes[i].group != 0;
            net->nodes[i].group = 0;
        }
        g_string_append(d, "network whole again");
        break;
    case FAULT_LATENCY:
        region_pairs(net, f, set_latency);
        affected = nodes_in_regions(net, f);
        g_string_printf(d, "latency x%.3f + %.3f ms on %s", (double)f->scale_ppm / 1e6, (double)f->add_ns / 1e6,
                        pair_text(net, f, pairs, sizeof pairs));
        break;
    case FAULT_LOSS:
        region_pairs(net, f, set_loss);
        affected = nodes_in_regions(net, f);
        g_string_printf(d, "loss %.4f%% on %s", (double)f->loss_ppm / 1e4, pair_text(net, f, pairs, sizeof pairs));
        break;
    case FAULT_CRASH:
        affected = set_up(net, f, false);
        g_string_printf(d, "%u nodes down", affected);
        if (f->down_ns) {
            engine_at(net->eng, net->eng->now_ns + f->down_ns, EV_RESTART, (ev_data_t){ .a = index });
            g_string_append_printf(d, ", restart after %.3f s", (double)f->down_ns / 1e9);
        }
        break;
    case FAULT_RESTART:
        affected = set_up(net, f, true);
        g_string_printf(d, "%u nodes up", affected);
        break;
    case FAULT_FORK:
    case FAULT_SEND:
        g_assert(net->on_script);
        affected = net->on_script(net->on_script_ctx, f, d);
        break;
    }
    record(net, f, scenario_fault_kind_name(f->kind), d->str, affected);
    g_string_free(d, TRUE);
}

void fault_restart(net_t *net, uint32_t index)
{
    const fault_t *f = &net->sc->faults[index];
    char d[64];
    uint32_t affected = set_up(net, f, true);
    snprintf(d, sizeof d, "%u nodes up (end of crash)", affected);
    record(net, f, "restart", d, affected);
}
