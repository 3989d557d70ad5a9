/* simutil.c - helpers of the suites that drive the node layer by hand
 * (check_chain, check_forks): see simutil.h. */
#include "tests/simutil.h"

#include <check.h>

#include "sim/node/chain.h"
#include "sim/node/txrelay.h"

/* Registers a transaction with the simulator, as the workload does. */
uint32_t tu_add_tx(sim_t *s, uint32_t from, uint32_t to, uint64_t amount, uint64_t nonce)
{
    stx_t *t = g_new0(stx_t, 1);
    t->tx = tx_new_transfer(&s->proto.accounts[from], &s->proto.accounts[to].addr, amount, 10, nonce);
    t->account = from;
    return txrelay_register(&s->proto, t);
}

/* The block a node produces now on its tip, from its mempool. */
sblock_t *tu_mine(sim_t *s, uint32_t node)
{
    guint before = s->proto.blocks->len;
    chain_mine(&s->proto, node, s->proto.cnodes[node].mine_gen);
    ck_assert_uint_eq(s->proto.blocks->len, before + 1);
    return g_ptr_array_index(s->proto.blocks, before);
}

uint32_t tu_link_between(sim_t *s, uint32_t a, uint32_t b)
{
    for (uint32_t l = 0; l < s->net.nlinks; l++)
        if ((s->net.links[l].a == a && s->net.links[l].b == b) || (s->net.links[l].a == b && s->net.links[l].b == a))
            return l;
    ck_abort();
    return 0;
}

/* Hands node `to` the full block from `from` and processes events until the
 * node has checked it. Other deliveries in the queue are dropped first, so
 * the test decides what each node sees. */
void tu_give(sim_t *s, uint32_t to, uint32_t from, sblock_t *sb)
{
    ev_t ev;
    while (evq_len(s->eng.q) && evq_peek_time(s->eng.q) < s->sc->duration_ns) { /* discard pending relays */
        ck_assert(evq_pop(s->eng.q, &ev));
        s->eng.now_ns = ev.time_ns;
        if (ev.kind == EV_CHECKED)
            ck_abort_msg("a check was pending");
        engine_discard(&s->eng, &ev);
    }
    chain_receive(&s->proto, to, from, tu_link_between(s, to, from), &sb->m_full);
    while (sb->st[to] == BS_CHECKING || sb->st[to] == BS_ORPHAN) {
        ck_assert(evq_pop(s->eng.q, &ev));
        s->eng.now_ns = ev.time_ns;
        if (ev.kind == EV_CHECKED)
            chain_checked(&s->proto, ev.d.a, ev.d.b, ev.d.p);
        else
            engine_discard(&s->eng, &ev);
    }
    ck_assert_uint_eq(sb->st[to], BS_CONNECTED);
}
