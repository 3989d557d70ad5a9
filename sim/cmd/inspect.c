/*
 * inspect.c - see inspect.h. Reads the run's layers directly (sim_int.h):
 * a node's tip and final block (cnode_t), its mempool, the state version of
 * its tip. Only reads, apart from running events.
 */
#include <string.h>

#include "sim/cmd/inspect.h"
#include "sim/sim_int.h"

sim_status_t inspect_run_until(sim_t *s, uint64_t until_ns, const sim_opts_t *opts)
{
    engine_t *e = &s->eng;
    const uint64_t limit_ns = MIN(until_ns, s->sc->duration_ns);
    while (!e->failed) {
        if (opts && opts->stop && *opts->stop)
            return SIM_INTERRUPTED;
        if (!sim_step_until(s, limit_ns))
            break;
    }
    return e->failed ? SIM_FAILED : SIM_COMPLETE;
}

void inspect_observe(sim_t *s, const net_tap_t *tap, const proto_observer_t *obs)
{
    net_set_tap(&s->net, tap);
    s->proto.obs = obs;
}

uint32_t inspect_node_region_index(const sim_t *s, uint32_t node)
{
    return s->net.nodes[node].region;
}

const char *inspect_node_region(const sim_t *s, uint32_t node)
{
    return s->net.profile->region[s->net.nodes[node].region];
}

uint32_t inspect_regions(const sim_t *s)
{
    return s->net.profile->nregions;
}

const char *inspect_region_name(const sim_t *s, uint32_t r)
{
    return s->net.profile->region[r];
}

uint32_t inspect_links(const sim_t *s)
{
    return s->net.nlinks;
}

void inspect_link(const sim_t *s, uint32_t l, uint32_t *a, uint32_t *b)
{
    *a = s->net.links[l].a;
    *b = s->net.links[l].b;
}

const char *inspect_kind_name(const sim_t *s, uint16_t kind)
{
    return kind < NET_MAX_KINDS && s->net.kinds[kind].name ? s->net.kinds[kind].name : "?";
}

uint64_t inspect_now_ns(const sim_t *s)
{
    return s->eng.now_ns;
}

bool inspect_has_chain(const sim_t *s)
{
    return s->proto.blocks != NULL;
}

uint32_t inspect_nodes(const sim_t *s)
{
    return s->net.nnodes;
}

uint32_t inspect_accounts(const sim_t *s)
{
    return inspect_has_chain(s) ? s->sc->ledger.accounts : 0;
}

void inspect_account_addr(const sim_t *s, uint32_t i, addr_t *out)
{
    g_assert(i < inspect_accounts(s));
    *out = s->proto.accounts[i].addr;
}

static void block_of(const sblock_t *sb, inspect_block_t *out)
{
    const block_t *b = sb->b;
    out->index = b->index;
    hash_to_hex(&b->id, out->id_hex);
    out->height = b->h.height;
    out->producer = b->parent ? (int64_t)b->h.producer : -1;
    out->created_ns = b->h.time_ns;
}

void inspect_node(const sim_t *s, uint32_t node, inspect_view_t *v)
{
    g_assert(inspect_has_chain(s) && node < s->net.nnodes);
    const cnode_t *cn = &s->proto.cnodes[node];
    memset(v, 0, sizeof *v);
    v->node = node;
    v->up = s->net.nodes[node].up;
    block_of(cn->tip, &v->tip);
    block_of(cn->final, &v->final);
    v->mempool_txs = s->proto.txs->len > 1 ? mempool_count(cn->mp) : 0;
    const state_t *st = cn->tip->b->state;
    v->accounts = state_accounts(st);
    v->total_balance = state_total(st);
}

account_t inspect_account(const sim_t *s, uint32_t node, const addr_t *addr)
{
    g_assert(inspect_has_chain(s) && node < s->net.nnodes);
    return state_get(s->proto.cnodes[node].tip->b->state, addr);
}

void inspect_addr_label(const sim_t *s, const addr_t *addr, char *buf, size_t len)
{
    buf[0] = '\0';
    for (uint32_t i = 0; i < inspect_accounts(s); i++)
        if (addr_equal(&s->proto.accounts[i].addr, addr)) {
            snprintf(buf, len, "account %u", i);
            return;
        }
    if (!inspect_has_chain(s))
        return;
    for (uint32_t i = 0; i < s->net.nnodes; i++)
        if (addr_equal(&s->proto.cnodes[i].reward_addr, addr)) {
            snprintf(buf, len, "node %u reward", i);
            return;
        }
}

uint32_t inspect_largest(const sim_t *s, uint32_t node, uint32_t n, addr_t *out, account_t *acct)
{
    if (n == 0)
        return 0;
    const state_t *st = s->proto.cnodes[node].tip->b->state;
    const uint32_t na = inspect_accounts(s), total = na + s->net.nnodes;
    uint32_t filled = 0;
    /* insertion into the n best, in candidate order: ties keep the earlier */
    for (uint32_t c = 0; c < total; c++) {
        const addr_t *a = c < na ? &s->proto.accounts[c].addr : &s->proto.cnodes[c - na].reward_addr;
        account_t x = state_get(st, a);
        uint32_t pos = filled;
        while (pos > 0 && acct[pos - 1].balance < x.balance)
            pos--;
        if (pos >= n)
            continue;
        uint32_t last = filled < n ? filled : n - 1;
        for (uint32_t k = last; k > pos; k--) {
            out[k] = out[k - 1];
            acct[k] = acct[k - 1];
        }
        out[pos] = *a;
        acct[pos] = x;
        if (filled < n)
            filled++;
    }
    return filled;
}
