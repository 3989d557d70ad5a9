/*
 * script.c - the scenario's node-level timed events: forced forks and
 * scripted transactions.
 *
 * The network applies every [event] group in time order and hands the two
 * node-level types to script_apply (registered with net_on_script), so a
 * fork or a payment at the same instant as a partition happens in file
 * order, like any two events.
 *
 * fork: each listed node that is up produces a block at once on its own tip,
 * through the same block building and sealing as a mined block (pow only:
 * the scenario refuses it elsewhere). Nodes that share a tip thus make
 * competing blocks on one parent at one instant. A node whose block would
 * break consensus.min_block_txs or max_blocks makes none, and the faults
 * row says so.
 *
 * send: one transaction, signed by the sender account's key, is registered
 * like the workload's and submitted to the given node (if it is up; a
 * transaction given to a down node is recorded but never admitted, as for
 * the workload). Its nonce is the sender's next one (the workload's counter
 * moves on), the nonce of its previous transaction (a deliberate conflicting
 * spend; the next one when it has none) or a given number (the counter
 * moves past it when it is not lower). The faults row names the transaction
 * number, so it can be found in the txs table.
 */
#include "sim/node/script.h"

#include "sim/node/chain.h"
#include "sim/node/txrelay.h"

static uint32_t fork_blocks(proto_t *s, const fault_t *f, GString *d)
{
    uint32_t made = 0;
    for (uint32_t r = 0; r < f->nnodes_ranges; r++) {
        for (uint64_t n = f->nodes[r].lo; n <= f->nodes[r].hi; n++) {
            const uint32_t node = (uint32_t)n;
            const guint before = s->blocks->len;
            g_string_append_printf(d, "%snode %u: ", d->len ? "; " : "", node);
            if (!s->net->nodes[node].up) {
                g_string_append(d, "down, no block");
                continue;
            }
            chain_mine(s, node, s->cnodes[node].mine_gen);
            if (s->blocks->len == before) {
                g_string_append(d, "no block (consensus.min_block_txs or max_blocks)");
                continue;
            }
            const block_t *b = proto_block(s, before)->b;
            g_string_append_printf(d, "block %u at height %" G_GUINT64_FORMAT, b->index, b->h.height);
            made++;
        }
    }
    return made;
}

static uint32_t send_tx(proto_t *s, const fault_t *f, GString *d)
{
    const uint32_t a = f->send_from;
    uint64_t nonce = s->client_nonce[a];
    uint8_t intent = INTENT_VALID;
    switch (f->send_nonce_mode) {
    case SEND_NONCE_NEXT:
        s->client_nonce[a]++;
        break;
    case SEND_NONCE_REUSE:
        if (nonce > 0) {
            nonce--;
            intent = INTENT_DOUBLE_SPEND;
        } else {
            s->client_nonce[a]++; /* nothing spent yet: the next nonce */
        }
        break;
    case SEND_NONCE_GIVEN:
        nonce = f->send_nonce;
        if (nonce < s->client_nonce[a])
            intent = INTENT_DOUBLE_SPEND;
        else
            s->client_nonce[a] = nonce + 1;
        break;
    }
    stx_t *t = g_new0(stx_t, 1);
    t->tx = tx_new_transfer(&s->accounts[a], &s->accounts[f->send_to].addr, f->send_amount, f->send_fee, nonce);
    t->origin = f->send_node;
    t->account = a;
    t->intent = intent;
    t->submitted_ns = s->eng->now_ns;
    const uint32_t ti = txrelay_register(s, t); /* t is moved */
    const bool up = s->net->nodes[f->send_node].up;
    g_string_append_printf(d, "tx %u: account %u -> %u, amount %" G_GUINT64_FORMAT ", fee %" G_GUINT64_FORMAT
                           ", nonce %" G_GUINT64_FORMAT "%s, to node %u%s", ti, a, f->send_to, f->send_amount,
                           f->send_fee, nonce, intent == INTENT_DOUBLE_SPEND ? " (reused)" : "", f->send_node,
                           up ? "" : " (down: not admitted)");
    if (!up)
        return 0;
    txrelay_admit(s, f->send_node, ti, UINT32_MAX);
    return 1;
}

uint32_t script_apply(void *ctx, const fault_t *f, GString *detail)
{
    proto_t *s = ctx;
    switch (f->kind) {
    case FAULT_FORK:
        return fork_blocks(s, f, detail);
    case FAULT_SEND:
        return send_tx(s, f, detail);
    default:
        g_assert_not_reached();
    }
    return 0;
}
