/*
 * sim_int.h - the layout of a run, shared by the modules of sim/ (engine,
 * network, faults, workloads) and by white-box tests. Not for core/.
 *
 * Ownership: the sim owns the queue, nodes, links, adjacency, message objects
 * (in `msgs`) and workload state; the scenario and recorder are borrowed.
 */
#ifndef CHAINSIM_SIM_INT_H
#define CHAINSIM_SIM_INT_H

#include <glib.h>

#include "core/block.h"
#include "core/consensus.h"
#include "core/hash.h"
#include "core/ledger.h"
#include "core/mempool.h"
#include "sim/engine/evq.h"
#include "sim/engine/rng.h"
#include "sim/sim.h"

/* Event kinds. Stable: they enter the digest. */
enum ev_kind {
    EV_DELIVER = 1,   /* a = to, b = link, c = sender epoch, e = from, u = transfer start ns, p = msg */
    EV_FAULT = 2,     /* a = index into scenario faults */
    EV_RESTART = 3,   /* a = index of the crash fault whose nodes restart */
    EV_BROADCAST = 4, /* u = broadcast index */
    EV_MINE = 5,      /* a = node, c = mining generation (stale ones are ignored) */
    EV_CHECKED = 6,   /* a = node, b = peer it came from, p = sblock: validation done */
    EV_TX_SUBMIT = 7, /* the workload's next transaction */
    EV_TX_FLUSH = 8,  /* a = node: send batched transaction announcements */
    EV_SAMPLE = 9,    /* time series sample */
    EV_ATTEST = 10,   /* pos: u = slot whose attesters vote now */
};

/* Message kinds; index into the per-kind statistics. */
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

/* A message: immutable once sent. Shared ones are delivered to many nodes
 * and live as long as their object; owned ones (MSG_F_OWNED) go to one
 * receiver and are freed after delivery or when dropped. */
#define MSG_F_OWNED 1u
typedef struct msg {
    uint16_t kind;
    uint16_t flags;
    uint32_t size_bytes;
    uint64_t id;
    void *obj; /* the payload object */
} msg_t;

/* A batch of transaction numbers (indexes into sim.txs). */
typedef struct txlist {
    uint32_t n;
    uint32_t idx[];
} txlist_t;

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
    GPtrArray *children;  /* sblock_t *, in creation order; not owned */
    msg_t m_inv, m_getfull, m_getcmpct, m_full, m_cmpct;
    uint32_t reached;
    int8_t cons_ok;       /* memo of the consensus check: -1 not yet, 0 bad, 1 good */
    int64_t sp_key;       /* pos: slot << 32 | producer */
    struct sblock *twin;  /* pos: another block for the same slot by the same producer */
    const char *cons_why;
    bool main;
} sblock_t;

/* The simulator's record of a submitted transaction. */
typedef struct stx {
    tx_t *tx;
    uint8_t *known;       /* per node bit set: has it, or asked for it */
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

/* Per-node chain state (consensus.kind != none). */
typedef struct cnode {
    sblock_t *tip;
    sblock_t *final;      /* the latest final block of the node's chain */
    mempool_t *mp;
    uint64_t cpu_busy_until_ns;
    ev_handle_t mine_ev;
    uint32_t mine_gen;
    uint64_t mine_key;    /* consensus schedule_key the pending production was drawn for */
    bool mine_drawn;      /* a production time is drawn (possibly beyond the run, or never) */
    uint64_t hashrate;
    addr_t reward_addr;
    GArray *pending;      /* uint32_t pairs (tx index, peer it came from) to announce */
    bool flush_scheduled;
    struct pos_ghost *ghost;  /* pos: the node's LMD-GHOST view */
    GPtrArray *att_pending;   /* pos: satt_t * seen and not yet in the node's chain */
    GArray *evidence;         /* pos: pos_evidence_t the node detected, not yet in its chain */
} cnode_t;

typedef struct node {
    uint32_t id;
    uint8_t region;
    bool up;
    uint16_t group;           /* partition group; messages cross only within a group */
    uint32_t epoch;           /* incremented at each crash */
    uint64_t crashed_at_ns;
    uint64_t upload_bps, download_bps;
    uint64_t up_busy_until_ns; /* per-node upload queue: when the last queued transfer ends */
    uint32_t adj_off, adj_len; /* this node's slice of sim.adj_peer / adj_link */
    rng_t rng;                 /* the node's own stream (latency and loss draws) */
} node_t;

typedef struct link {
    uint32_t a, b;
} link_t;

typedef struct msg_stats {
    uint64_t sent, bytes_sent, delivered, lost, dropped_partition, dropped_down;
    uint64_t in_flight; /* scheduled deliveries not yet processed */
} msg_stats_t;

/* One broadcast of the network study workload. */
typedef struct bcast {
    msg_t data, inv, req;
    uint32_t origin;
    uint64_t created_ns;
    uint64_t *arrival_ns;  /* per node; UINT64_MAX = not yet */
    uint64_t *requested_ns; /* per node: when it last asked for the message; UINT64_MAX = never */
    uint32_t reached;
} bcast_t;

struct sim {
    const scenario_t *sc;
    const profile_t *profile;
    record_t *rec;
    evq_t *q;
    uint64_t now_ns;
    uint64_t events;

    uint32_t nnodes;
    node_t *nodes;
    link_t *links;
    uint64_t *link_busy_ns; /* upload_queue = per-link: [2l] a->b, [2l+1] b->a, when the last transfer ends */
    uint32_t nlinks;
    uint32_t *adj_peer; /* CSR adjacency: peers of node i at [adj_off, adj_off + adj_len) */
    uint32_t *adj_link;

    /* latency model, per region pair */
    uint64_t lat_mean_ns[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    uint64_t lat_scale_ppm[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    uint64_t lat_add_ns[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    uint32_t loss_ppm[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];

    msg_stats_t stats[MSG_KIND_COUNT];

    rng_t workload_rng;
    rng_t fault_rng;
    bcast_t *bcasts;
    uint32_t nbcasts; /* created so far */
    uint32_t faults_applied;

    /* ledger and consensus (consensus.kind != none) */
    consensus_t *cons;
    cnode_t *cnodes;
    GPtrArray *blocks;   /* sblock_t *, by block index; owned */
    GPtrArray *txs;      /* stx_t *, by tx index (0 unused); owned */
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

    hasher_t trace;
    uint8_t trace_buf[4096];
    size_t trace_len;
    char digest_hex[2 * HASH_BYTES + 1];
    char *error;
    bool failed;
};

extern const char *const msg_kind_names[MSG_KIND_COUNT];

/* net.c */
void net_build(sim_t *s);
void net_free(sim_t *s);
/* Hands m to the network from -> to over link; schedules its delivery unless
 * the sender is down, the two are partitioned, or the message is lost. */
void net_send(sim_t *s, uint32_t from, uint32_t to, uint32_t link, const msg_t *m);
/* Decides whether a delivery event may reach its receiver now; counts drops. */
bool net_accept(sim_t *s, const ev_t *ev);
/* Serialization time of size_bytes at bandwidth_bps, rounded up. */
uint64_t net_transfer_ns(uint64_t size_bytes, uint64_t bandwidth_bps);
/* One latency draw from node `from` to `to`, modifiers applied. */
uint64_t net_latency_ns(sim_t *s, uint32_t from, uint32_t to);

/* fault.c */
void fault_schedule(sim_t *s);
void fault_apply(sim_t *s, uint32_t index);
void fault_restart(sim_t *s, uint32_t index);

/* broadcast.c */
void bcast_schedule(sim_t *s);
void bcast_start(sim_t *s, uint32_t index);
void bcast_receive(sim_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m);
bool bcast_record(sim_t *s);
void bcast_free(sim_t *s);
/* Time until frac_ppm of all nodes had broadcast b; UINT64_MAX if never. */
uint64_t bcast_reach_ns(const sim_t *s, const bcast_t *b, uint32_t frac_ppm);

/* chain.c */
sblock_t *chain_sblock(sim_t *s, uint32_t index);
void chain_init(sim_t *s);
void chain_free(sim_t *s);
void chain_receive(sim_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m);
void chain_mine(sim_t *s, uint32_t node, uint32_t gen);
void chain_checked(sim_t *s, uint32_t node, uint32_t from, sblock_t *sb);
void chain_node_up(sim_t *s, uint32_t node);
void chain_attest(sim_t *s, uint64_t slot);
/* Registers a block made outside the protocol (tests: an equivocating
 * proposer); returns its record. */
sblock_t *chain_inject(sim_t *s, block_t *b);
struct pos_att;
void chain_inject_attestation(sim_t *s, const struct pos_att *a);
/* Attestation number i of the run (pos). */
const struct pos_att *chain_attestation(sim_t *s, uint32_t i);
bool chain_record(sim_t *s);
void chain_sample(sim_t *s);
void chain_trace_final(sim_t *s);
void chain_print_summary(const sim_t *s, FILE *out);
/* Time until frac_ppm of all nodes had it, from an arrival array. */
uint64_t reach_ns(const uint64_t *arrival_ns, uint32_t n, uint32_t reached, uint64_t created_ns, uint32_t frac_ppm);
void reach_many_ns(const uint64_t *arrival_ns, uint32_t n, uint32_t reached, uint64_t created_ns,
                   const uint32_t *frac_ppm, int nfrac, uint64_t *out);

/* txrelay.c */
void txrelay_submit(sim_t *s);
void txrelay_flush(sim_t *s, uint32_t node);
void txrelay_receive(sim_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m);
/* Admits tx (index ti) at node, counting rejections; queues it for relay. */
void txrelay_admit(sim_t *s, uint32_t node, uint32_t ti, uint32_t from);
void txrelay_mark_known(sim_t *s, uint32_t node, const block_t *b);
void msg_free_owned(const msg_t *m);

/* sim.c */
/* Processes the next event; false when none is left. */
bool sim_step(sim_t *s);
/* Processes the next event if it is at or before limit_ns. */
bool sim_step_until(sim_t *s, uint64_t limit_ns);
void sim_trace_bytes(sim_t *s, const uint8_t *rec, size_t n);
void sim_fail(sim_t *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
