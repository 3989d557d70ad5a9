/*
 * proto.h - the protocol layer of a run: what every simulated node does.
 *
 * A proto_t holds each node's chain view, mempool and relay queues
 * (cnode_t), and the objects the nodes exchange, created once and shared by
 * pointer: blocks (sblock_t, with per-node arrival and status arrays),
 * transactions (stx_t) and the broadcasts of the network study (bcast_t).
 * The protocols are separate files that share this state:
 *   chain.c      block production, relay, validation, fork choice, finality;
 *   txrelay.c    the transaction workload and batched transaction gossip;
 *   broadcast.c  the network study (one message flooded to every node);
 *   proto.c      the layer's life cycle and its one node-level interface
 *                (a node restarting), registered with the network.
 * Calls point one way: chain -> txrelay -> (this state); broadcast and chain
 * use reach.c. The layer sends through the network (sim/net) and schedules
 * through the engine (sim/engine); neither calls back except through the
 * handlers registered here.
 *
 * Ownership: the layer owns blocks, transactions, attestations, broadcasts
 * and per-node state; engine, network, scenario and recorder are borrowed.
 */
#ifndef CHAINSIM_PROTO_H
#define CHAINSIM_PROTO_H

#include <glib.h>
#include <stdio.h>

#include "core/block.h"
#include "core/consensus.h"
#include "core/hash.h"
#include "core/ledger.h"
#include "core/mempool.h"
#include "sim/engine/engine.h"
#include "sim/engine/rng.h"
#include "sim/net/net.h"
#include "sim/record/record.h"
#include "sim/scenario/scenario.h"

/* Event kinds of the protocol layer (stable: they enter the digest). */
enum {
    EV_BROADCAST = 4, /* u = broadcast index */
    EV_MINE = 5,      /* a = node, c = mining generation (stale ones are ignored) */
    EV_CHECKED = 6,   /* a = node, b = peer it came from, p = sblock: validation done */
    EV_TX_SUBMIT = 7, /* the workload's next transaction */
    EV_TX_FLUSH = 8,  /* a = node: send batched transaction announcements */
    EV_SAMPLE = 9,    /* time series sample */
    EV_ATTEST = 10,   /* pos: u = slot whose attesters vote now */
    EV_ADVERSARY = 11, /* a = adversary, u = block index: a withheld block is released (adversary.c) */
};

/* Message kinds, registered with the network (stable: they enter the
 * digest and index the statistics). */
enum msg_kind {
    MSG_BCAST_DATA,
    MSG_BCAST_INV,
    MSG_BCAST_GETDATA,
    MSG_TX_INV,        /* owned; obj = txlist_t */
    MSG_TX_GETDATA,    /* owned; obj = txlist_t */
    MSG_TX,            /* owned; obj = txlist_t */
    MSG_BLOCK_INV,     /* shared; obj = sblock_t */
    MSG_BLOCK_GETDATA, /* shared; obj = sblock_t; asks for the full block */
    MSG_CMPCT_GETDATA, /* shared; obj = sblock_t; asks for the compact block */
    MSG_BLOCK,         /* shared; obj = sblock_t */
    MSG_CMPCT,         /* shared; obj = sblock_t */
    MSG_GETBLOCKTXN,   /* owned; obj = sblock_t; id = bytes asked for */
    MSG_BLOCKTXN,      /* owned; obj = sblock_t */
    MSG_ATT,           /* shared; obj = satt_t: a pos attestation, pushed to peers */
    MSG_KIND_COUNT
};
G_STATIC_ASSERT(MSG_KIND_COUNT <= NET_MAX_KINDS);

/* A request or reply: transaction numbers (indexes into proto.txs). */
typedef struct txlist {
    struct proto *s;
    uint32_t n;
    uint32_t min;   /* the lowest of them (txrelay.c: the gossip window) */
    uint8_t cls;    /* allocation size class (txrelay.c) */
    uint32_t idx[];
} txlist_t;

#define TXRELAY_POOL_CLASSES 22 /* free lists for blocks of 64 B .. 2 MiB (txrelay.c) */

/* Per-node block status (sblock.st). */
enum {
    BS_NONE = 0,
    BS_REQUESTED, /* asked a peer; arrival_ns holds the request time */
    BS_WAITING,   /* compact block received, missing transactions asked for */
    BS_ORPHAN,    /* received, parent not connected yet */
    BS_CHECKING,  /* being validated (CPU) */
    BS_CONNECTED, /* valid and in the node's tree */
    BS_INVALID,
};

/* The simulator's record of a block: which nodes have it and when. */
typedef struct sblock {
    block_t *b;
    uint64_t *arrival_ns; /* per node; UINT64_MAX = not received */
    uint64_t *final_ns;   /* per node: when the node first saw it final; UINT64_MAX = never */
    uint8_t *st;          /* per node: BS_* */
    uint32_t *mp_hints;   /* per transaction of the block: mempool lookup hints (mempool_contains_hint) */
    uint32_t *tx_index;   /* per transaction of the block: its number (tx sim_index; 0 = none) */
    GPtrArray *children;  /* sblock_t *, in creation order; not owned */
    msg_t m_inv, m_getfull, m_getcmpct, m_full, m_cmpct;
    uint32_t reached;
    int8_t cons_ok;       /* memo of the consensus check: -1 not yet, 0 bad, 1 good */
    int64_t sp_key;       /* pos: slot << 32 | producer */
    struct sblock *twin;  /* pos: another block for the same slot by the same producer */
    const char *cons_why;
    bool main;
} sblock_t;

#define STX_CHUNK 4096u

/* The simulator's record of a submitted transaction. */
typedef struct stx {
    tx_t *tx;
    uint32_t mp_hint;     /* the mempools' lookup hint (mempool_add_hint) */
    uint32_t size_bytes;  /* tx->size_bytes, beside the rest of the record */
    uint32_t origin;
    uint32_t account;
    uint8_t intent;       /* enum tx_intent */
    uint8_t nincluded;
    uint32_t included[2]; /* the first blocks (indexes) that included it */
    uint64_t submitted_ns;
} stx_t;

enum tx_intent {
    INTENT_VALID, INTENT_BAD_SIG, INTENT_DOUBLE_SPEND, INTENT_OVERSPEND,
    INTENT_STAKE, INTENT_UNSTAKE, INTENT_VOTE, INTENT_COUNT
};

/* A pos attestation: created once by its validator, shared by all. */
typedef struct satt satt_t;

/* Per-node chain state (consensus.kind != none). Fields ordered by size, so
 * the record has no holes (a million nodes have a million of them). */
typedef struct cnode {
    sblock_t *tip;
    sblock_t *final;      /* the latest final block of the node's chain */
    mempool_t *mp;
    uint64_t cpu_busy_until_ns;
    ev_handle_t mine_ev;
    uint64_t mine_key;    /* consensus schedule_key the pending production was drawn for */
    uint64_t hashrate;
    GArray *pending;      /* uint32_t pairs (tx index, peer it came from) to announce; NULL until needed */
    struct pos_ghost *ghost;  /* pos: the node's LMD-GHOST view */
    GPtrArray *att_pending;   /* pos: satt_t * seen and not yet in the node's chain */
    GArray *evidence;         /* pos: pos_evidence_t the node detected, not yet in its chain */
    addr_t reward_addr;
    uint32_t mine_gen;
    uint32_t pending_min; /* the lowest tx index in pending, when not empty */
    bool mine_drawn;      /* a production time is drawn (possibly beyond the run, or never) */
    bool flush_scheduled;
} cnode_t;

/* One broadcast of the network study workload. */
typedef struct bcast {
    msg_t data, inv, req;
    uint32_t origin;
    uint64_t created_ns;
    uint64_t *arrival_ns;  /* per node; UINT64_MAX = not yet */
    uint64_t *requested_ns; /* per node: when it last asked for the message; UINT64_MAX = never */
    uint32_t reached;
} bcast_t;

/* An optional observer of what nodes do with blocks, for tools that replay a
 * run (a trace of one node, an export of block flows); NULL in a normal run.
 * Every function may be NULL; observers read, they never change the run. */
typedef struct proto_observer {
    void *ctx;
    /* node has block sb whole, from peer `from` (UINT32_MAX: it made it) */
    void (*block_got)(void *ctx, uint32_t node, uint32_t from, const sblock_t *sb);
    /* node checked sb: why is NULL when valid, else the reason it is invalid */
    void (*block_checked)(void *ctx, uint32_t node, const sblock_t *sb, const char *why);
    /* node's tip moved from old_tip to new_tip: `disconnected` blocks left
     * its chain above the common ancestor at fork_height, `connected` joined
     * it; its mempool held mempool_before transactions and holds
     * mempool_after (returned transactions in, included ones out) */
    void (*tip_switched)(void *ctx, uint32_t node, const sblock_t *old_tip, const sblock_t *new_tip,
                         uint64_t fork_height, uint32_t disconnected, uint32_t connected, uint64_t mempool_before,
                         uint64_t mempool_after);
} proto_observer_t;

struct proto;

/* A node policy other than the honest one, for the nodes an adversary
 * controls (sim/node/adversary.c registers it before chain_init). chain.c
 * calls it at the few points where a policy may differ; every block still
 * goes through the same building, validation and fork choice code. NULL =
 * every node honest. */
typedef struct chain_policy {
    /* pow, at set-up: adjusts the per-node hash rates w[] (hashes per
     * second, total `total`) before the engine is made. */
    void (*weights)(struct proto *s, uint64_t *w, uint64_t total);
    /* Whether node relays sb now (false: it holds the block back). */
    bool (*relays)(struct proto *s, uint32_t node, const sblock_t *sb);
    /* After node connected sb: true when the policy chose the node's tip
     * itself (the heaviest-chain rule is then not applied). */
    bool (*fork_choice)(struct proto *s, uint32_t node, sblock_t *sb);
    /* sb has the same work as node's tip: true to switch to sb (the
     * honest rule keeps the first seen). */
    bool (*tie)(struct proto *s, uint32_t node, sblock_t *sb, sblock_t *tip);
    /* Whether sb was ever published (false: an adversary still holds it);
     * the final main chain is made of published blocks only. */
    bool (*published)(const struct proto *s, const sblock_t *sb);
    /* "kind NAME" of the adversary that made sb, or NULL (honest). */
    const char *(*maker)(const struct proto *s, const sblock_t *sb);
} chain_policy_t;

typedef struct proto {
    const proto_observer_t *obs; /* NULL but in replays that observe */
    engine_t *eng;
    net_t *net;
    const scenario_t *sc;
    record_t *rec;

    rng_t workload_rng;
    bcast_t *bcasts;
    uint32_t nbcasts; /* created so far */

    /* ledger and consensus (consensus.kind != none) */
    consensus_t *cons;
    cnode_t *cnodes;
    mempool_shared_t *mp_shared; /* the transactions of every node's mempool, kept once */
    GPtrArray *blocks;   /* sblock_t *, by block index; owned */
    GPtrArray *txs;      /* stx_t *, by tx index (0 unused), pointing into tx_chunks */
    stx_t **tx_chunks;   /* the records, STX_CHUNK each, in index order (neighbours in memory) */
    uint32_t tx_nchunks;
    uint64_t *known;     /* per node, a ring of known_words words: which transactions it knows (txrelay.c) */
    uint32_t known_words; /* a power of two */
    uint32_t known_base; /* transactions below it are out of gossip (a multiple of 64) */
    uint32_t *hold;      /* per word of 64 tx indexes: gossip holders whose lowest index is in it */
    uint32_t hold_len;
    void *tr_free[TXRELAY_POOL_CLASSES]; /* txrelay.c: free blocks by size class */
    uint32_t *peer_count; /* scratch of txrelay_flush, per node; zero between flushes */
    keypair_t *accounts; /* ledger.accounts key pairs */
    keypair_t *node_keys; /* pos, dpos: each node's validator / producer key */
    uint64_t *client_nonce;
    uint64_t *client_bond;      /* pos: what each account has staked (client's view) */
    uint32_t *client_validator; /* pos: to which validator */
    addr_t *blacklist;   /* sorted */
    size_t nblacklist;
    rng_t chain_rng;     /* compact block failures */
    uint64_t tx_rejects[MP_RESULT_COUNT];
    uint64_t build_drops[TXERR_COUNT];
    GHashTable *block_rejects; /* reason (static string) -> count */
    GHashTable *block_by_id;   /* hash32_t * -> sblock_t *, lookups only */
    GPtrArray *atts;           /* pos: satt_t *, owned */
    GHashTable *by_slot_producer; /* pos: (slot << 32 | producer) -> first sblock_t *, lookups only */
    GHashTable *att_by_target;    /* pos: (epoch << 32 | validator) -> first satt_t *, lookups only */
    uint32_t nreorgs;
    uint64_t reorg_max_depth;

    const chain_policy_t *policy; /* NULL: no adversary */
    struct adversaries *adv;      /* sim/node/adversary.c; NULL without [adversary] groups */
    uint8_t *compact_cap;    /* per node: 1 = compact relay (relay.compact_nodes); NULL = every node */
    uint32_t checks_pending; /* EV_CHECKED events queued (chain.c: the run's end after max_blocks) */
} proto_t;

/* Block number `index` of the run. */
static inline sblock_t *proto_block(const proto_t *s, uint32_t index)
{
    return g_ptr_array_index(s->blocks, index);
}

/* Transaction number `index` of the run. */
static inline stx_t *proto_tx(const proto_t *s, uint32_t index)
{
    return g_ptr_array_index(s->txs, index);
}

/* Sets up every protocol of the scenario over eng and net: registers the
 * layer's event and message kinds and its node interface, schedules the
 * workloads. Release with proto_clear() after the engine is cleared. */
void proto_init(proto_t *s, engine_t *eng, net_t *net, const scenario_t *sc, record_t *rec);
void proto_clear(proto_t *s);

/* The node-level interface: node `node` came back up after a crash. */
void proto_node_restarted(void *ctx, uint32_t node);

/* End of run: appends the final state to the trace; writes the layer's
 * tables (false on a write error); prints its summary. */
void proto_trace_final(proto_t *s);
bool proto_record(proto_t *s);
void proto_print_summary(const proto_t *s, FILE *out);

#endif
