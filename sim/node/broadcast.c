/*
 * broadcast.c - the network study workload: one node at a time creates a
 * message of a fixed size and every node floods it onward, so propagation
 * percentiles of the network model can be measured on their own.
 *
 * Relay modes:
 *   push      a node sends the whole message to every peer except the one it
 *             came from, as soon as it has it;
 *   announce  a node sends a small announcement to those peers; a peer that
 *             lacks the message asks the announcer for it (one request at a
 *             time; a request older than request_timeout may be repeated to
 *             the next announcer) and receives the whole message.
 * Per broadcast, each node's first arrival time is kept; percentiles are
 * computed over all nodes, so a message that never reaches 90 % of them has
 * no 90 % time.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/node/broadcast.h"
#include "sim/node/reach.h"
#include "sim/scenario/units.h"

static void run_start(void *ctx, const ev_t *ev)
{
    bcast_start(ctx, (uint32_t)ev->d.u);
}

static void receive(void *ctx, uint32_t to, uint32_t from, uint32_t link, const msg_t *m)
{
    bcast_receive(ctx, to, from, link, m);
}

void bcast_init(proto_t *s)
{
    const scenario_t *sc = s->sc;
    engine_on(s->eng, EV_BROADCAST, run_start, NULL, NULL, s);
    net_on_kind(s->net, MSG_BCAST_DATA, "broadcast", receive, NULL, s);
    net_on_kind(s->net, MSG_BCAST_INV, "announce", receive, NULL, s);
    net_on_kind(s->net, MSG_BCAST_GETDATA, "request", receive, NULL, s);
    s->bcasts = g_new0(bcast_t, sc->broadcast.count ? sc->broadcast.count : 1);
    for (uint32_t i = 0; i < sc->broadcast.count; i++) {
        uint64_t at_ns = sc->broadcast.start_ns + (uint64_t)i * sc->broadcast.interval_ns;
        if (at_ns > sc->duration_ns)
            break;
        engine_at(s->eng, at_ns, EV_BROADCAST, (ev_data_t){ .u = i });
    }
}

static void relay(proto_t *s, uint32_t node, uint32_t except, const bcast_t *b)
{
    const node_t *nd = &s->net->nodes[node];
    const msg_t *m = s->sc->broadcast.relay == RELAY_PUSH ? &b->data : &b->inv;
    for (uint32_t j = 0; j < nd->adj_len; j++) {
        uint32_t peer = s->net->adj_peer[nd->adj_off + j];
        if (peer != except)
            net_send(s->net, node, peer, s->net->adj_link[nd->adj_off + j], m);
    }
}

void bcast_start(proto_t *s, uint32_t index)
{
    const scenario_t *sc = s->sc;
    const uint32_t n = s->net->nnodes;
    bcast_t *b = &s->bcasts[index];
    s->nbcasts = index + 1;
    b->origin = sc->broadcast.origin >= 0 ? (uint32_t)sc->broadcast.origin
                                          : (uint32_t)rng_below(&s->workload_rng, n);
    b->created_ns = s->eng->now_ns;
    b->arrival_ns = g_new(uint64_t, n);
    b->requested_ns = g_new(uint64_t, n);
    for (uint32_t i = 0; i < n; i++)
        b->arrival_ns[i] = b->requested_ns[i] = UINT64_MAX;
    b->data = (msg_t){ .kind = MSG_BCAST_DATA, .size_bytes = (uint32_t)sc->broadcast.size_bytes,
                       .id = index, .obj = b };
    b->inv = (msg_t){ .kind = MSG_BCAST_INV, .size_bytes = (uint32_t)sc->broadcast.announce_bytes,
                      .id = index, .obj = b };
    b->req = (msg_t){ .kind = MSG_BCAST_GETDATA, .size_bytes = (uint32_t)sc->broadcast.announce_bytes,
                      .id = index, .obj = b };
    if (!s->net->nodes[b->origin].up)
        return; /* an offline origin: the message is never sent */
    b->arrival_ns[b->origin] = s->eng->now_ns;
    b->reached = 1;
    relay(s, b->origin, UINT32_MAX, b);
}

void bcast_receive(proto_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m)
{
    bcast_t *b = m->obj;
    switch (m->kind) {
    case MSG_BCAST_DATA:
        if (b->arrival_ns[to] != UINT64_MAX)
            return;
        b->arrival_ns[to] = s->eng->now_ns;
        b->reached++;
        relay(s, to, from, b);
        break;
    case MSG_BCAST_INV:
        if (b->arrival_ns[to] != UINT64_MAX)
            return;
        if (b->requested_ns[to] != UINT64_MAX &&
            s->eng->now_ns - b->requested_ns[to] < s->sc->broadcast.request_timeout_ns)
            return;
        b->requested_ns[to] = s->eng->now_ns;
        net_send(s->net, to, from, link, &b->req);
        break;
    case MSG_BCAST_GETDATA:
        if (b->arrival_ns[to] != UINT64_MAX)
            net_send(s->net, to, from, link, &b->data);
        break;
    default:
        g_assert_not_reached();
    }
}

uint64_t bcast_reach_ns(const proto_t *s, const bcast_t *b, uint32_t frac_ppm)
{
    return reach_ns(b->arrival_ns, s->net->nnodes, b->reached, b->created_ns, frac_ppm);
}

bool bcast_record(proto_t *s)
{
    const detail_t detail = s->sc->record.detail;
    if (!s->rec || detail == DETAIL_SUMMARY)
        return true;
    for (uint32_t i = 0; i < s->nbcasts; i++) {
        const bcast_t *b = &s->bcasts[i];
        if (!record_broadcast(s->rec, i, b->origin, b->created_ns, b->data.size_bytes, b->reached,
                              bcast_reach_ns(s, b, 500000), bcast_reach_ns(s, b, 900000),
                              bcast_reach_ns(s, b, 1000000)))
            return false;
        if (detail == DETAIL_ARRIVALS)
            for (uint32_t n = 0; n < s->net->nnodes; n++)
                if (b->arrival_ns[n] != UINT64_MAX && !record_arrival(s->rec, i, n, b->arrival_ns[n]))
                    return false;
    }
    return true;
}

void bcast_trace_final(proto_t *s)
{
    for (uint32_t i = 0; i < s->nbcasts; i++)
        engine_trace_u64(s->eng, (uint64_t)s->bcasts[i].reached << 32 | i);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Median over broadcasts of the time to reach frac_ppm of the nodes;
 * *count gets how many broadcasts reached it. */
static uint64_t median_reach(const proto_t *s, uint32_t frac_ppm, uint32_t *count)
{
    uint64_t *v = g_new(uint64_t, s->nbcasts ? s->nbcasts : 1);
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->nbcasts; i++) {
        uint64_t t = bcast_reach_ns(s, &s->bcasts[i], frac_ppm);
        if (t != UINT64_MAX)
            v[k++] = t;
    }
    *count = k;
    uint64_t m = UINT64_MAX;
    if (k) {
        qsort(v, k, sizeof *v, cmp_u64);
        m = v[(k - 1) / 2];
    }
    g_free(v);
    return m;
}

void bcast_print_summary(const proto_t *s, FILE *out)
{
    if (!s->nbcasts)
        return;
    uint32_t all = 0;
    for (uint32_t i = 0; i < s->nbcasts; i++)
        all += s->bcasts[i].reached == s->net->nnodes;
    fprintf(out, "broadcasts: %u of %" G_GUINT64_FORMAT " B, %u reached every node\n", s->nbcasts,
            s->sc->broadcast.size_bytes, all);
    fprintf(out, "propagation, median over broadcasts of the time to reach:\n");
    static const uint32_t fr[] = { 500000, 900000, 1000000 };
    for (int i = 0; i < 3; i++) {
        uint32_t k;
        char buf[32];
        uint64_t t = median_reach(s, fr[i], &k);
        fprintf(out, "  %3u%% of nodes  %s  (%u broadcasts got there)\n", fr[i] / 10000,
                t == UINT64_MAX ? "never" : units_human_ns(t, buf, sizeof buf), k);
    }
}

void bcast_free(proto_t *s)
{
    for (uint32_t i = 0; i < s->nbcasts; i++) {
        g_free(s->bcasts[i].arrival_ns);
        g_free(s->bcasts[i].requested_ns);
    }
    g_free(s->bcasts);
}
