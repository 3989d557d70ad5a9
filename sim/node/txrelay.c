/*
 * txrelay.c - the transaction workload and transaction gossip.
 *
 * Clients submit transfers at a Poisson rate, each from a random funded
 * account to a random node; a share of them (workload.invalid) is invalid on
 * purpose: a bad signature, a second spend of an already used nonce, or an
 * amount beyond the balance. Nodes admit transactions to their mempool
 * (core/mempool.h), counting every rejection by reason, and announce newly
 * admitted ones to their peers in batches: one announcement per link per
 * relay.tx_interval, so gossip costs grow with links x intervals rather than
 * links x transactions. A peer asks for the ones it does not know and gets
 * them in one message.
 *
 * Which transactions a node knows (has, or has asked for) is one bit per node
 * in the simulator's record of the transaction.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/node/txrelay.h"

#define TX_INV_ENTRY_BYTES 36u
#define MSG_HEADER_BYTES 24u

static bool known(const stx_t *t, uint32_t node)
{
    return t->known[node >> 3] >> (node & 7) & 1;
}

static void set_known(stx_t *t, uint32_t node)
{
    t->known[node >> 3] |= (uint8_t)(1u << (node & 7));
}

static stx_t *stx(proto_t *s, uint32_t i)
{
    return proto_tx(s, i);
}

/* Frees a transaction list message (one allocation). */
static void free_list_msg(const msg_t *m)
{
    g_free((void *)m);
}

static void run_submit(void *ctx, const ev_t *ev)
{
    txrelay_submit(ctx);
}

static void run_flush(void *ctx, const ev_t *ev)
{
    txrelay_flush(ctx, ev->d.a);
}

static void receive(void *ctx, uint32_t to, uint32_t from, uint32_t link, const msg_t *m)
{
    txrelay_receive(ctx, to, from, link, m);
}

void txrelay_init(proto_t *s)
{
    engine_on(s->eng, EV_TX_SUBMIT, run_submit, NULL, NULL, s);
    engine_on(s->eng, EV_TX_FLUSH, run_flush, NULL, NULL, s);
    net_on_kind(s->net, MSG_TX_INV, "tx-announce", receive, free_list_msg, s);
    net_on_kind(s->net, MSG_TX_GETDATA, "tx-request", receive, free_list_msg, s);
    net_on_kind(s->net, MSG_TX, "tx", receive, free_list_msg, s);
}

void txrelay_start(proto_t *s)
{
    const scenario_t *sc = s->sc;
    if (sc->workload.rate_per_s <= 0)
        return;
    uint64_t first = sc->workload.start_ns +
                     (uint64_t)llround(rng_exponential(&s->workload_rng, 1e9 / sc->workload.rate_per_s));
    engine_at(s->eng, first, EV_TX_SUBMIT, (ev_data_t){ 0 });
}

/* A message owning a list of k transaction numbers. */
static msg_t *list_msg(uint16_t kind, uint32_t k)
{
    msg_t *m = g_malloc(sizeof(msg_t) + sizeof(txlist_t) + sizeof(uint32_t) * k);
    txlist_t *l = (txlist_t *)(m + 1);
    l->n = 0;
    *m = (msg_t){ .kind = kind, .flags = MSG_F_OWNED, .obj = l };
    return m;
}

void txrelay_mark_known(proto_t *s, uint32_t node, const block_t *b)
{
    for (uint32_t i = 0; i < b->ntx; i++)
        if (b->txs[i]->sim_index)
            set_known(stx(s, b->txs[i]->sim_index), node);
}

/* True when a block the node has connected includes t: the transaction is
 * already confirmed there, which a client treats as known, not as invalid. */
static bool in_chain(proto_t *s, uint32_t node, const stx_t *t)
{
    for (uint32_t i = 0; i < t->nincluded; i++)
        if (proto_block(s, t->included[i])->st[node] == BS_CONNECTED)
            return true;
    return false;
}

void txrelay_admit(proto_t *s, uint32_t node, uint32_t ti, uint32_t from)
{
    stx_t *t = stx(s, ti);
    cnode_t *cn = &s->cnodes[node];
    set_known(t, node);
    uint64_t start = cn->cpu_busy_until_ns > s->eng->now_ns ? cn->cpu_busy_until_ns : s->eng->now_ns;
    cn->cpu_busy_until_ns = start + s->sc->cpu.verify_sig_ns;
    tx_t *evicted = NULL;
    mp_result_t r = mempool_add(cn->mp, t->tx, cn->tip->b->state, s->eng->now_ns, &evicted);
    if (evicted)
        tx_unref(evicted);
    if (r != MP_ADDED) {
        if (r != MP_DUPLICATE && !(r == MP_NONCE_LOW && in_chain(s, node, t)))
            s->tx_rejects[r]++;
        return;
    }
    uint32_t pair[2] = { ti, from };
    g_array_append_vals(cn->pending, pair, 2);
    if (!cn->flush_scheduled) {
        cn->flush_scheduled = true;
        engine_at(s->eng, s->eng->now_ns + s->sc->relay.tx_interval_ns, EV_TX_FLUSH, (ev_data_t){ .a = node });
    }
}

void txrelay_flush(proto_t *s, uint32_t node)
{
    cnode_t *cn = &s->cnodes[node];
    const node_t *nd = &s->net->nodes[node];
    cn->flush_scheduled = false;
    const uint32_t *p = (const uint32_t *)cn->pending->data;
    const uint32_t npending = cn->pending->len / 2;
    if (nd->up) {
        for (uint32_t j = 0; j < nd->adj_len; j++) {
            uint32_t peer = s->net->adj_peer[nd->adj_off + j];
            msg_t *m = list_msg(MSG_TX_INV, npending);
            txlist_t *l = m->obj;
            for (uint32_t i = 0; i < npending; i++)
                if (p[2 * i + 1] != peer)
                    l->idx[l->n++] = p[2 * i];
            if (l->n == 0) {
                g_free(m);
                continue;
            }
            m->size_bytes = MSG_HEADER_BYTES + TX_INV_ENTRY_BYTES * l->n;
            net_send(s->net, node, peer, s->net->adj_link[nd->adj_off + j], m);
        }
    }
    g_array_set_size(cn->pending, 0);
}

void txrelay_receive(proto_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m)
{
    const txlist_t *l = m->obj;
    switch (m->kind) {
    case MSG_TX_INV: {
        msg_t *req = list_msg(MSG_TX_GETDATA, l->n);
        txlist_t *rl = req->obj;
        for (uint32_t i = 0; i < l->n; i++) {
            stx_t *t = stx(s, l->idx[i]);
            if (!known(t, to)) {
                set_known(t, to);
                rl->idx[rl->n++] = l->idx[i];
            }
        }
        if (rl->n == 0) {
            g_free(req);
            break;
        }
        req->size_bytes = MSG_HEADER_BYTES + TX_INV_ENTRY_BYTES * rl->n;
        net_send(s->net, to, from, link, req);
        break;
    }
    case MSG_TX_GETDATA: {
        msg_t *data = list_msg(MSG_TX, l->n);
        txlist_t *dl = data->obj;
        uint64_t bytes = MSG_HEADER_BYTES;
        for (uint32_t i = 0; i < l->n; i++) {
            dl->idx[dl->n++] = l->idx[i];
            bytes += stx(s, l->idx[i])->tx->size_bytes;
        }
        data->size_bytes = (uint32_t)MIN(bytes, UINT32_MAX);
        net_send(s->net, to, from, link, data);
        break;
    }
    case MSG_TX:
        for (uint32_t i = 0; i < l->n; i++)
            txrelay_admit(s, to, l->idx[i], from);
        break;
    default:
        g_assert_not_reached();
    }
}

void txrelay_submit(proto_t *s)
{
    const scenario_t *sc = s->sc;
    if (sc->workload.stop_ns && s->eng->now_ns > sc->workload.stop_ns)
        return;
    rng_t *r = &s->workload_rng;
    const uint32_t na = sc->ledger.accounts;
    uint32_t a = (uint32_t)rng_below(r, na);
    uint32_t to = na > 1 ? (uint32_t)((a + 1 + rng_below(r, na - 1)) % na) : a;
    uint64_t amount = rng_range(r, sc->workload.amount_min, sc->workload.amount_max);
    uint64_t fee = rng_range(r, sc->workload.fee_min, sc->workload.fee_max);
    uint8_t intent = INTENT_VALID;
    if (sc->workload.invalid_ppm && rng_chance_ppm(r, sc->workload.invalid_ppm))
        intent = (uint8_t)(1 + rng_below(r, 3));
    if (intent == INTENT_DOUBLE_SPEND && s->client_nonce[a] == 0)
        intent = INTENT_OVERSPEND; /* nothing spent yet to spend twice */
    const consensus_kind_t kind = sc->consensus.kind;
    if (intent == INTENT_VALID && sc->workload.staking_ppm && (kind == CONS_POS || kind == CONS_DPOS) &&
        rng_chance_ppm(r, sc->workload.staking_ppm))
        intent = kind == CONS_DPOS ? INTENT_VOTE : s->client_bond[a] ? INTENT_UNSTAKE : INTENT_STAKE;
    const keypair_t *kp = &s->accounts[a];
    tx_t *tx;
    switch (intent) {
    case INTENT_STAKE: {
        uint32_t v = (uint32_t)rng_below(r, s->net->nnodes);
        uint64_t amt = sc->ledger.balance / 100 + 1;
        tx = tx_new_call(kp, TX_STAKE, v, amt, fee, s->client_nonce[a]++);
        s->client_bond[a] = amt;
        s->client_validator[a] = v;
        break;
    }
    case INTENT_UNSTAKE: {
        uint64_t amt = s->client_bond[a] / 2 + 1;
        tx = tx_new_call(kp, TX_UNSTAKE, s->client_validator[a], amt, fee, s->client_nonce[a]++);
        s->client_bond[a] = 0; /* the client stakes afresh next time */
        break;
    }
    case INTENT_VOTE:
        tx = tx_new_call(kp, TX_VOTE, (uint32_t)rng_below(r, s->net->nnodes), 0, fee, s->client_nonce[a]++);
        break;
    case INTENT_BAD_SIG: {
        tx_t *good = tx_new_transfer(kp, &s->accounts[to].addr, amount, fee, s->client_nonce[a]);
        uint8_t sig[SIG_BYTES];
        memcpy(sig, good->sig, SIG_BYTES);
        sig[0] ^= 0x5a;
        tx = tx_new_unchecked(kp->pk, &s->accounts[to].addr, amount, fee, s->client_nonce[a], sig);
        tx_unref(good);
        break;
    }
    case INTENT_DOUBLE_SPEND:
        /* the nonce of the account's previous transaction, to someone else */
        tx = tx_new_transfer(kp, &s->accounts[(to + 1) % na].addr, amount, fee, s->client_nonce[a] - 1);
        break;
    case INTENT_OVERSPEND:
        tx = tx_new_transfer(kp, &s->accounts[to].addr, sc->ledger.balance * 2 + amount, fee, s->client_nonce[a]);
        break;
    default:
        tx = tx_new_transfer(kp, &s->accounts[to].addr, amount, fee, s->client_nonce[a]++);
        break;
    }
    stx_t *t = g_new0(stx_t, 1);
    t->tx = tx;
    t->known = g_new0(uint8_t, (s->net->nnodes + 7) / 8);
    t->origin = (uint32_t)rng_below(r, s->net->nnodes);
    t->account = a;
    t->intent = intent;
    t->submitted_ns = s->eng->now_ns;
    tx->sim_index = s->txs->len;
    g_ptr_array_add(s->txs, t);
    if (s->net->nodes[t->origin].up)
        txrelay_admit(s, t->origin, tx->sim_index, UINT32_MAX);

    double gap_ns = rng_exponential(r, 1e9 / sc->workload.rate_per_s);
    uint64_t next = s->eng->now_ns + (uint64_t)llround(gap_ns);
    if (next <= sc->duration_ns && (!sc->workload.stop_ns || next <= sc->workload.stop_ns))
        engine_at(s->eng, next, EV_TX_SUBMIT, (ev_data_t){ 0 });
}
