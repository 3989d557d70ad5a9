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

#include "sim/sim_int.h"

void bcast_schedule(sim_t *s)
{
    const scenario_t *sc = s->sc;
    s->bcasts = g_new0(bcast_t, sc->broadcast.count ? sc->broadcast.count : 1);
    for (uint32_t i = 0; i < sc->broadcast.count; i++) {
        uint64_t at_ns = sc->broadcast.start_ns + (uint64_t)i * sc->broadcast.interval_ns;
        if (at_ns > sc->duration_ns)
            break;
        evq_push(s->q, at_ns, EV_BROADCAST, (ev_data_t){ .u = i });
    }
}

static void relay(sim_t *s, uint32_t node, uint32_t except, const bcast_t *b)
{
    const node_t *nd = &s->nodes[node];
    const msg_t *m = s->sc->broadcast.relay == RELAY_PUSH ? &b->data : &b->inv;
    for (uint32_t j = 0; j < nd->adj_len; j++) {
        uint32_t peer = s->adj_peer[nd->adj_off + j];
        if (peer != except)
            net_send(s, node, peer, s->adj_link[nd->adj_off + j], m);
    }
}

void bcast_start(sim_t *s, uint32_t index)
{
    const scenario_t *sc = s->sc;
    const uint32_t n = s->nnodes;
    bcast_t *b = &s->bcasts[index];
    s->nbcasts = index + 1;
    b->origin = sc->broadcast.origin >= 0 ? (uint32_t)sc->broadcast.origin
                                          : (uint32_t)rng_below(&s->workload_rng, n);
    b->created_ns = s->now_ns;
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
    if (!s->nodes[b->origin].up)
        return; /* an offline origin: the message is never sent */
    b->arrival_ns[b->origin] = s->now_ns;
    b->reached = 1;
    relay(s, b->origin, UINT32_MAX, b);
}

void bcast_receive(sim_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m)
{
    bcast_t *b = m->obj;
    switch (m->kind) {
    case MSG_BCAST_DATA:
        if (b->arrival_ns[to] != UINT64_MAX)
            return;
        b->arrival_ns[to] = s->now_ns;
        b->reached++;
        relay(s, to, from, b);
        break;
    case MSG_BCAST_INV:
        if (b->arrival_ns[to] != UINT64_MAX)
            return;
        if (b->requested_ns[to] != UINT64_MAX &&
            s->now_ns - b->requested_ns[to] < s->sc->broadcast.request_timeout_ns)
            return;
        b->requested_ns[to] = s->now_ns;
        net_send(s, to, from, link, &b->req);
        break;
    case MSG_BCAST_GETDATA:
        if (b->arrival_ns[to] != UINT64_MAX)
            net_send(s, to, from, link, &b->data);
        break;
    default:
        g_assert_not_reached();
    }
}

uint64_t bcast_reach_ns(const sim_t *s, const bcast_t *b, uint32_t frac_ppm)
{
    return reach_ns(b->arrival_ns, s->nnodes, b->reached, b->created_ns, frac_ppm);
}

bool bcast_record(sim_t *s)
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
            for (uint32_t n = 0; n < s->nnodes; n++)
                if (b->arrival_ns[n] != UINT64_MAX && !record_arrival(s->rec, i, n, b->arrival_ns[n]))
                    return false;
    }
    return true;
}

void bcast_free(sim_t *s)
{
    for (uint32_t i = 0; i < s->nbcasts; i++) {
        g_free(s->bcasts[i].arrival_ns);
        g_free(s->bcasts[i].requested_ns);
    }
    g_free(s->bcasts);
}
