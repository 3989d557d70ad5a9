/*
 * scenario.c - loading and validating scenario files.
 *
 * The file is read as UTF-8 text (a byte-order mark at the start is
 * skipped), checked line by line (so every problem can be given a line
 * number, which GKeyFile does not report; the check refuses every group and
 * key name GKeyFile would refuse or read as a translation), then parsed with
 * GKeyFile. Values are read raw: no key-file escapes. --set overrides are applied to the key file, each remembering its
 * argument so errors about it name the argument instead of a line. Fixed
 * groups are driven by the schema table `specs`: each entry says where the
 * value lands in scenario_t, how it is parsed, its default and its meaning,
 * so parsing, defaults, the resolved parameter list and `chainsim keys` all
 * come from one place. Event groups ([event NAME]) use `event_specs`, where
 * each key also says which event types accept it.
 *
 * After the values, cross checks (time_check: no time the scenario gives or
 * implies passes SCENARIO_MAX_TIME_NS) and, last, the memory estimate
 * against [scenario] memory_limit.
 *
 * Invariant: scenario_load returns either a fully valid scenario or NULL with
 * at least one error line, each line one line (control characters shown
 * escaped); nothing is partially applied.
 */
#include "sim/scenario/scenario.h"

#include <glib.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tx.h"
#include "sim/scenario/units.h"

typedef enum {
    T_STR,      /* char *                        */
    T_U32,      /* uint32_t, plain integer        */
    T_U64,      /* uint64_t, plain integer        */
    T_DURATION, /* uint64_t ns                    */
    T_SIZE,     /* uint64_t bytes                 */
    T_BANDWIDTH,/* uint64_t bit/s                 */
    T_PPM,      /* uint32_t parts per million     */
    T_SCALE,    /* uint64_t parts per million     */
    T_ENUM,     /* int, index into choices        */
    T_CDF,      /* outdegree table (special)      */
    T_ORIGIN,   /* int64_t: "random" or a node id */
    T_BOOL,     /* bool                           */
    T_RATE,     /* double, per second             */
    T_HASHPOWER,/* consensus.hashpower (special)  */
    T_STAKE,    /* consensus.stake (special)      */
    T_IDS,      /* id list (events only)          */
    T_TEXT,     /* free text kept as is (events)  */
    T_MEMLIMIT, /* uint64_t bytes: "physical", "none" or a size */
    T_MISSING,  /* int32_t ppm, or -1: "simblock" (relay.compact_missing) */
} vtype_t;

typedef struct keyspec {
    const char *group;
    const char *key;
    vtype_t type;
    const char *def;     /* default as it would be written; NULL = required */
    const char *choices; /* T_ENUM: "a|b|c" */
    uint64_t min, max;   /* integer bounds for T_U32/T_U64 (after parsing) */
    size_t off;          /* offset in scenario_t */
    const char *help;
} keyspec_t;

#define OFF(f) offsetof(scenario_t, f)

#define UTF8_BOM "\xef\xbb\xbf"

static const char *const known_groups[] = { "scenario", "network", "broadcast", "record", "consensus",
                                            "ledger", "workload", "mempool", "relay", "cpu" };

static const keyspec_t specs[] = {
    { "scenario", "name", T_STR, "", NULL, 0, 0, OFF(name),
      "name of the scenario (default: the file name without .ini); names the results file" },
    { "scenario", "description", T_STR, "", NULL, 0, 0, OFF(description), "free text" },
    { "scenario", "seed", T_U64, "1", NULL, 0, INT64_MAX, OFF(seed),
      "run seed; every random stream derives from it (--seed overrides)" },
    { "scenario", "duration", T_DURATION, "1h", NULL, 1, UINT64_MAX, OFF(duration_ns),
      "simulated time limit; the run also ends when no event is left" },
    { "scenario", "memory_limit", T_MEMLIMIT, "physical", NULL, 0, 0, OFF(memory_limit_bytes),
      "a scenario whose estimated memory is above this is refused: physical (the machine's memory), "
      "none, or a size (e.g. 8GiB)" },

    { "network", "nodes", T_U32, "1000", NULL, 2, SCENARIO_MAX_NODES, OFF(net.nodes),
      "number of nodes" },
    { "network", "profile", T_ENUM, "bitcoin-2019", "bitcoin-2019|bitcoin-2015|uniform", 0, 0,
      OFF(net.profile),
      "regions, region shares, latency matrix and bandwidth (uniform: one region, "
      "latency_mean and 20 Mbit/s unless upload/download are set)" },
    { "network", "topology", T_ENUM, "random-outdegree",
      "random-outdegree|random-regular|full-mesh|small-world", 0, 0, OFF(net.topology),
      "how nodes are linked" },
    { "network", "outdegree_cdf", T_CDF, "bitcoin-2015", NULL, 0, 0, 0,
      "random-outdegree: 'bitcoin-2015' (the 2015 out-degree table of Bitcoin nodes, mean about 8.6; "
      "'bitcoin' is an old name of it) or cumulative probabilities of "
      "k = 1, 2, ... outbound peers, comma separated, ending at 1" },
    { "network", "degree", T_U32, "8", NULL, 1, 10000, OFF(net.degree),
      "random-regular: links per node; small-world: ring neighbours (even)" },
    { "network", "rewire", T_PPM, "0.1", NULL, 0, 0, OFF(net.rewire_ppm),
      "small-world: probability that a ring link is rewired to a random node" },
    { "network", "latency", T_ENUM, "pareto", "constant|uniform|pareto|lognormal", 0, 0,
      OFF(net.latency),
      "per-message latency draw around the mean of the two regions" },
    { "network", "latency_mean", T_DURATION, "100ms", NULL, 1, UINT64_MAX, OFF(net.latency_mean_ns),
      "uniform profile: mean one-way latency" },
    { "network", "latency_floor", T_DURATION, "5ms", NULL, 1, UINT64_MAX, OFF(net.latency_floor_ns),
      "pareto: the draw never goes below mean - floor (shape = mean / floor)" },
    { "network", "latency_jitter", T_PPM, "50%", NULL, 0, 0, OFF(net.latency_jitter_ppm),
      "uniform: draws lie in mean * (1 +- jitter)" },
    { "network", "latency_sigma", T_SCALE, "0.5", NULL, 1, 10000000, OFF(net.latency_sigma_ppm),
      "lognormal: sigma of the underlying normal" },
    { "network", "upload", T_BANDWIDTH, "0", NULL, 0, 0, OFF(net.upload_bps),
      "per-node upload bandwidth; 0 = the profile's value for the node's region" },
    { "network", "download", T_BANDWIDTH, "0", NULL, 0, 0, OFF(net.download_bps),
      "per-node download bandwidth; 0 = the profile's value" },
    { "network", "upload_queue", T_ENUM, "per-node", "per-node|per-link", 0, 0, OFF(net.upload_queue),
      "per-node: a node sends one transfer at a time (FIFO); per-link: one at a time per link direction" },
    { "network", "loss", T_PPM, "0", NULL, 0, 0, OFF(net.loss_ppm),
      "probability that a message is lost" },
    { "network", "uplink_release", T_ENUM, "sent", "sent|arrived", 0, 0, OFF(net.uplink_release),
      "sent: a transfer frees the sender's upload queue when its last byte is sent; arrived: only when "
      "it reaches the receiver, latency included (SimBlock's model)" },
    { "network", "control_delay", T_DURATION, "0", NULL, 0, UINT64_MAX, OFF(net.control_delay_ns),
      "fixed delay added to every control message (block announcements, requests, missing-transaction "
      "requests); SimBlock adds 10ms" },
    { "network", "control_queued", T_BOOL, "true", NULL, 0, 0, OFF(net.control_queued),
      "true: control messages wait in the upload queue and use bandwidth; false: they leave at once "
      "and cost no bandwidth (SimBlock's model)" },
    { "network", "processing", T_DURATION, "0", NULL, 0, UINT64_MAX, OFF(net.processing_ns),
      "time added to every data transfer on the sender's upload queue; SimBlock charges 2ms" },

    { "broadcast", "count", T_U32, "0", NULL, 0, 10000000, OFF(broadcast.count),
      "messages to broadcast (0 = none)" },
    { "broadcast", "start", T_DURATION, "1s", NULL, 0, UINT64_MAX, OFF(broadcast.start_ns),
      "time of the first message" },
    { "broadcast", "interval", T_DURATION, "10s", NULL, 0, UINT64_MAX, OFF(broadcast.interval_ns),
      "time between messages" },
    { "broadcast", "size", T_SIZE, "1KB", NULL, 1, 1ull << 32, OFF(broadcast.size_bytes),
      "size of each message on the wire" },
    { "broadcast", "origin", T_ORIGIN, "random", NULL, 0, 0, OFF(broadcast.origin),
      "'random' (a node drawn per message) or a node id" },
    { "broadcast", "relay", T_ENUM, "announce", "push|announce", 0, 0, OFF(broadcast.relay),
      "push: send the message to every peer; announce: send an announcement, "
      "peers request the message" },
    { "broadcast", "request_timeout", T_DURATION, "5s", NULL, 1, UINT64_MAX, OFF(broadcast.request_timeout_ns),
      "announce: a node that asked a peer for a message and has not received it after this long "
      "asks the next peer that announces it" },
    { "broadcast", "announce_size", T_SIZE, "61B", NULL, 1, 1ull << 20, OFF(broadcast.announce_bytes),
      "wire size of an announcement and of a request" },

    { "record", "detail", T_ENUM, "messages", "summary|messages|arrivals", 0, 0, OFF(record.detail),
      "summary: runs, nodes, links, faults, message statistics, blocks, reorgs, rejections, samples; "
      "messages: also one row per broadcast and per transaction; arrivals: also one row per node "
      "per broadcast and per block" },
    { "record", "sample_interval", T_DURATION, "10s", NULL, 1, UINT64_MAX, OFF(record.sample_interval_ns),
      "period of the mempool and chain height time series" },

    { "consensus", "kind", T_ENUM, "none", "none|pow|pos|dpos", 0, 0, OFF(consensus.kind),
      "none: network only (the broadcast study); pow: Nakamoto proof of work; pos: slot-based proof of "
      "stake with attestations and Casper FFG finality; dpos: delegated proof of stake (EOS-like)" },
    { "consensus", "block_interval", T_DURATION, "600s", NULL, 1, UINT64_MAX, OFF(consensus.interval_ns),
      "pow: target time between blocks; pos and dpos: the slot length (e.g. 12s, 500ms)" },
    { "consensus", "miners", T_U32, "0", NULL, 0, SCENARIO_MAX_NODES, OFF(consensus.miners),
      "number of producing nodes, drawn at random; 0 = every node" },
    { "consensus", "hashpower", T_HASHPOWER, "equal", NULL, 0, 0, 0,
      "pow: equal, exponential (shares drawn from an exponential distribution), or a list of shares "
      "of the first miners (e.g. 0.3,0.2,0.1; the rest share what is left equally), or normal "
      "(each miner's power drawn from a normal distribution of hashpower_mean and hashpower_sd, at least 1)" },
    { "consensus", "hashpower_mean", T_U64, "400000", NULL, 1, 1ull << 40, OFF(consensus.hashpower_mean),
      "hashpower = normal: mean power of a miner (only its ratio to hashpower_sd matters)" },
    { "consensus", "hashpower_sd", T_U64, "100000", NULL, 0, 1ull << 40, OFF(consensus.hashpower_sd),
      "hashpower = normal: standard deviation of a miner's power" },
    { "consensus", "stake", T_STAKE, "equal", NULL, 0, 0, 0,
      "pos: validators' stake; dpos: delegates' votes: equal, exponential, or shares of the first "
      "nodes (e.g. 0.3,0.2; the rest share what is left equally)" },
    { "consensus", "slots_per_epoch", T_U32, "32", NULL, 1, 100000, OFF(consensus.slots_per_epoch),
      "pos: slots per epoch (checkpoints are epoch boundaries)" },
    { "consensus", "activation_epochs", T_U32, "2", NULL, 0, 1000, OFF(consensus.activation_epochs),
      "pos: a stake or unstake included in epoch x counts from epoch x + 1 + activation_epochs" },
    { "consensus", "producers", T_U32, "21", NULL, 1, 100000, OFF(consensus.producers),
      "dpos: number of scheduled producers per round (the top by votes)" },
    { "consensus", "pos_justification", T_ENUM, "epoch", "epoch|block", 0, 0, OFF(consensus.pos_justification),
      "pos: epoch: checkpoints are justified and finalized at epoch processing (the end of an epoch), "
      "as on the beacon chain; block: after every block, from the attestations included so far" },
    { "consensus", "dpos_irreversibility", T_ENUM, "single", "single|two-stage", 0, 0,
      OFF(consensus.dpos_irreversibility),
      "dpos: single: a block is irreversible once 2/3+1 producers have built on it; two-stage (EOSIO 1.x): "
      "that only proposes it, and it is irreversible once 2/3+1 producers have built on a block that "
      "had proposed it" },
    { "consensus", "dpos_order", T_ENUM, "sorted", "sorted|shuffled", 0, 0, OFF(consensus.dpos_order),
      "dpos: sorted: the elected producers take turns in a fixed order (by node id, as EOSIO orders a "
      "schedule by account name) until the election changes; shuffled: a new order every round" },
    { "consensus", "blocks_per_turn", T_U32, "12", NULL, 1, 100000, OFF(consensus.blocks_per_turn),
      "dpos: consecutive blocks each producer makes in its turn" },
    { "consensus", "retarget_blocks", T_U32, "2016", NULL, 0, 1000000, OFF(consensus.retarget_blocks),
      "pow: blocks between difficulty adjustments; 0 = never" },
    { "consensus", "retarget_clamp", T_U32, "4", NULL, 1, 1000, OFF(consensus.retarget_clamp),
      "pow: largest factor of one adjustment" },
    { "consensus", "confirmations", T_U32, "6", NULL, 1, 10000, OFF(consensus.confirmations),
      "depth at which a transaction counts as confirmed (pow: also final)" },
    { "consensus", "pow_real_bits", T_U32, "0", NULL, 0, 24, OFF(consensus.real_bits),
      "pow validation mode: leading zero bits of a real SHA-256d nonce search; 0 = sampled only" },
    { "consensus", "max_block_size", T_SIZE, "1MB", NULL, 256, 1ull << 32, OFF(consensus.max_block_bytes),
      "largest block, header and transactions (padding not counted)" },
    { "consensus", "min_block_txs", T_U32, "0", NULL, 0, 1000000, OFF(consensus.min_block_txs),
      "a producer waits for at least this many transactions (pow: draws again)" },
    { "consensus", "reward", T_U64, "5000000000", NULL, 0, 1ull << 62, OFF(consensus.reward),
      "block reward in smallest units, paid with the fees to the producer" },
    { "consensus", "max_blocks", T_U32, "0", NULL, 0, 100000000, OFF(consensus.max_blocks),
      "stop producing after this many blocks (all branches); the run ends when they have spread; 0 = no limit" },
    { "consensus", "block_padding", T_SIZE, "0B", NULL, 0, 1ull << 32, OFF(consensus.padding_bytes),
      "bytes added to every block body for content not modelled (e.g. 535KB without a workload)" },

    { "ledger", "accounts", T_U32, "1000", NULL, 1, 10000000, OFF(ledger.accounts),
      "funded accounts at genesis (the workload's senders)" },
    { "ledger", "balance", T_U64, "100000000000", NULL, 0, 1ull << 50, OFF(ledger.balance),
      "genesis balance of each account, smallest units" },

    { "workload", "tx_rate", T_RATE, "0/s", NULL, 0, 0, OFF(workload.rate_per_s),
      "transactions submitted per second (Poisson), each to a random node; 0 = none" },
    { "workload", "start", T_DURATION, "0", NULL, 0, UINT64_MAX, OFF(workload.start_ns),
      "first submission" },
    { "workload", "stop", T_DURATION, "0", NULL, 0, UINT64_MAX, OFF(workload.stop_ns),
      "no submissions after this time; 0 = until the end" },
    { "workload", "amount_min", T_U64, "1000", NULL, 1, 1ull << 50, OFF(workload.amount_min),
      "amounts are uniform in [amount_min, amount_max]" },
    { "workload", "amount_max", T_U64, "100000", NULL, 1, 1ull << 50, OFF(workload.amount_max), "see amount_min" },
    { "workload", "fee_min", T_U64, "1000", NULL, 0, 1ull << 50, OFF(workload.fee_min),
      "fees are uniform in [fee_min, fee_max]" },
    { "workload", "fee_max", T_U64, "20000", NULL, 0, 1ull << 50, OFF(workload.fee_max), "see fee_min" },
    { "workload", "invalid", T_PPM, "0", NULL, 0, 0, OFF(workload.invalid_ppm),
      "fraction of deliberately invalid transactions, in equal parts bad signature, double spend "
      "and overspend; nodes must reject them" },

    { "workload", "staking", T_PPM, "0", NULL, 0, 0, OFF(workload.staking_ppm),
      "pos: share of transactions that stake (1 % of the balance, to a random validator) or unstake "
      "half of it again; dpos: share of votes for a random delegate; ignored by pow" },

    { "mempool", "capacity", T_U32, "50000", NULL, 1, 100000000, OFF(mempool.capacity),
      "transactions per node; when full the lowest fee rate is evicted" },
    { "mempool", "min_fee", T_U64, "1", NULL, 0, 1ull << 50, OFF(mempool.min_fee), "smallest fee admitted" },
    { "mempool", "max_tx_size", T_SIZE, "100KB", NULL, 146, 1ull << 30, OFF(mempool.max_tx_bytes),
      "largest transaction admitted" },
    { "mempool", "nonce_window", T_U32, "64", NULL, 1, 1000000, OFF(mempool.nonce_window),
      "nonces admitted ahead of the sender's confirmed nonce" },
    { "mempool", "rate_limit", T_RATE, "0/s", NULL, 0, 0, OFF(mempool.rate_limit_per_s),
      "transactions per second admitted per sender; 0 = no limit" },
    { "mempool", "rate_burst", T_U32, "10", NULL, 1, 1000000, OFF(mempool.rate_burst),
      "size of the per-sender token bucket" },
    { "mempool", "blacklist", T_STR, "", NULL, 0, 0, OFF(mempool.blacklist),
      "senders refused: account numbers and/or addresses (cs...), comma separated" },

    { "relay", "block", T_ENUM, "compact", "compact|full", 0, 0, OFF(relay.block),
      "compact: announce, then a compact block of short ids rebuilt from the mempool, missing "
      "transactions fetched; full: announce, request, send the whole block" },
    { "relay", "push", T_BOOL, "false", NULL, 0, 0, OFF(relay.push),
      "send new blocks (compact or full) to every peer without announcing first" },
    { "relay", "tx_interval", T_DURATION, "500ms", NULL, 1, UINT64_MAX, OFF(relay.tx_interval_ns),
      "transaction announcements are batched per link over this interval" },
    { "relay", "inv_size", T_SIZE, "61B", NULL, 1, 1ull << 20, OFF(relay.inv_bytes),
      "wire size of a block announcement or request" },
    { "relay", "compact_fail", T_PPM, "0", NULL, 0, 0, OFF(relay.compact_fail_ppm),
      "probability that rebuilding a compact block with padding fails and part of the padding is fetched "
      "(see compact_missing)" },
    { "relay", "compact_nodes", T_PPM, "100%", NULL, 0, 0, OFF(relay.compact_nodes_ppm),
      "share of nodes with compact relay, drawn exactly; two nodes use it between them only when both "
      "have it, the others exchange full blocks" },
    { "relay", "compact_missing", T_MISSING, "100%", NULL, 0, 0, OFF(relay.compact_missing_ppm),
      "after a failed rebuild, the share of the padding fetched with the missing transactions: a constant "
      "(100% = all of it) or simblock (SimBlock's measured table: median 1 %, mean 8.8 %)" },
    { "relay", "request_timeout", T_DURATION, "10s", NULL, 1, UINT64_MAX, OFF(relay.request_timeout_ns),
      "a block requested and not received after this long is requested from the next announcer" },

    { "cpu", "verify_sig", T_DURATION, "50us", NULL, 0, UINT64_MAX, OFF(cpu.verify_sig_ns),
      "modelled time to verify one signature" },
    { "cpu", "per_tx", T_DURATION, "10us", NULL, 0, UINT64_MAX, OFF(cpu.per_tx_ns),
      "modelled time to apply one transaction" },
    { "cpu", "per_kb", T_DURATION, "5us", NULL, 0, UINT64_MAX, OFF(cpu.per_kb_ns),
      "modelled time per 1,000 bytes of a block (hashing, parsing)" },
    { "cpu", "header", T_DURATION, "100us", NULL, 0, UINT64_MAX, OFF(cpu.header_ns),
      "modelled time to check a block header and its consensus fields" },
};

/* Keys of [event NAME] groups, and the types that take them. */
typedef struct evspec {
    const char *key;
    vtype_t type;
    bool required;
    const char *types; /* "|partition|heal|" etc.; which event types accept the key */
    const char *help;
} evspec_t;

static const char *const fault_names[] = {
    [FAULT_PARTITION] = "partition", [FAULT_HEAL] = "heal",   [FAULT_LATENCY] = "latency",
    [FAULT_LOSS] = "loss",           [FAULT_CRASH] = "crash", [FAULT_RESTART] = "restart",
    [FAULT_FORK] = "fork",           [FAULT_SEND] = "send",
};
#define FAULT_CHOICES "partition|heal|latency|loss|crash|restart|fork|send"

static const evspec_t event_specs[] = {
    { "at", T_DURATION, true, "|partition|heal|latency|loss|crash|restart|fork|send|", "when the event happens" },
    { "type", T_ENUM, true, "|partition|heal|latency|loss|crash|restart|fork|send|", FAULT_CHOICES },
    { "by", T_ENUM, false, "|partition|", "ids|regions|fraction (default ids)" },
    { "groups", T_TEXT, true, "|partition|",
      "groups separated by ';': id ranges (0-499,700), region names, or fractions (30%); "
      "nodes in no group form one more group" },
    { "between", T_TEXT, false, "|latency|loss|", "two region names 'a,b': only links between them (both ways)" },
    { "scale", T_SCALE, false, "|latency|", "multiply latency (e.g. 2, 150%)" },
    { "add", T_DURATION, false, "|latency|", "add to every latency draw" },
    { "loss", T_PPM, true, "|loss|", "new loss probability" },
    { "nodes", T_IDS, true, "|crash|restart|fork|",
      "node ids: 3,10-20 (fork: each produces a block at once on its own tip; pow only)" },
    { "duration", T_DURATION, false, "|crash|", "restart automatically after this long" },
    { "node", T_U32, true, "|send|", "the node id the transaction is submitted to" },
    { "from", T_U32, true, "|send|", "the sender: an account number below [ledger] accounts" },
    { "to", T_U32, true, "|send|", "the recipient: an account number below [ledger] accounts" },
    { "amount", T_U64, true, "|send|", "coins transferred" },
    { "fee", T_U64, false, "|send|", "the fee (default: [workload] fee_min)" },
    { "nonce", T_TEXT, false, "|send|",
      "next (default: the sender's next nonce), reuse (the nonce of its previous transaction: a "
      "conflicting spend) or a number" },
};

/* Keys of [adversary NAME] groups, and the kinds that take them. */
static const char *const adversary_names[] = {
    [ADV_SELFISH] = "selfish", [ADV_DOUBLE_SPEND] = "double-spend", [ADV_WITHHOLD] = "withhold",
    [ADV_EQUIVOCATE] = "equivocate", [ADV_ECLIPSE] = "eclipse",
};
#define ADVERSARY_CHOICES "selfish|double-spend|withhold|equivocate|eclipse"
#define ADV_ALL "|selfish|double-spend|withhold|equivocate|eclipse|"
/* The kinds sim/node/adversary.c runs; the others are refused, never a
 * silent no-op. */
static const bool adversary_implemented[] = { [ADV_SELFISH] = true, [ADV_DOUBLE_SPEND] = true,
                                               [ADV_WITHHOLD] = true };
#define ADVERSARY_IMPLEMENTED "selfish, double-spend, withhold"

typedef struct advspec {
    const char *key;
    const char *def;   /* default as written; NULL = none (required or absent) */
    const char *kinds; /* "|selfish|...|": which kinds accept the key */
    const char *help;
} advspec_t;

static const advspec_t adversary_specs[] = {
    { "kind", NULL, ADV_ALL, "required: " ADVERSARY_CHOICES },
    { "nodes", NULL, ADV_ALL, "node ids it controls (3,10-20); or else count" },
    { "count", "1", ADV_ALL, "without nodes: this many nodes drawn at random from the others" },
    { "hashpower", NULL, "|selfish|double-spend|withhold|",
      "pow: its share of the total hash power (0 < share < 1; the honest miners share the rest); "
      "required for selfish and double-spend" },
    { "stake", NULL, "|withhold|equivocate|",
      "pos, dpos: its nodes' share of the stake or votes (0 < share < 1); default: what consensus.stake gives them" },
    { "start", "0", ADV_ALL, "when it switches on" },
    { "stop", "end", ADV_ALL, "when it switches off ('end' = at the end of the run)" },
    { "gamma", "network", "|selfish|",
      "share of the honest hash power that mines on its block in a tie (a probability), or 'network': "
      "each miner keeps the block it saw first" },
    { "stubborn", "none", "|selfish|",
      "none, or any of lead, equal-fork, trail (comma separated): Nayak et al.'s stubborn mining" },
    { "trail_depth", "1", "|selfish|", "trail stubborn: blocks behind the honest chain it keeps mining its branch" },
    { "confirmations", "6", "|double-spend|", "blocks after which the merchant accepts the payment" },
    { "give_up", "0", "|double-spend|", "abandon an attempt this many blocks behind (0 = never)" },
    { "attempts", "1", "|double-spend|", "attempts, one after the other" },
    { "merchant", "random", "|double-spend|", "the merchant's node id, or 'random' (an honest node)" },
    { "amount", "1000000", "|double-spend|", "the payment, in smallest units" },
    { "delay", NULL, "|withhold|eclipse|",
      "withhold: hold each block back this long, or 'forever' (produce nothing; default); "
      "eclipse: added to every message to or from a victim (default 0)" },
    { "victims", NULL, "|eclipse|", "required: the node ids whose links it takes over" },
    { "drop", "0", "|eclipse|", "share of the messages to and from victims it drops" },
    { "mode", "blocks", "|equivocate|",
      "pos: blocks (two blocks per slot), attestations (two votes per target) or both; dpos: blocks" },
};

/* ---------- error collection ---------- */

typedef struct ctx {
    const char *path;
    GString *errors;
    GHashTable *lines;     /* "group\x1fkey" or "group" -> line (GINT_TO_POINTER) */
    GHashTable *setargs;   /* "group\x1fkey" -> the --set argument (not owned) */
    GKeyFile *kf;
    const profile_t *profile;
} ctx_t;

static char *gk(const char *group, const char *key)
{
    return g_strdup_printf("%s\x1f%s", group, key ? key : "");
}

/* s with control characters shown as \n, \r, \t or \xHH and invalid UTF-8
 * bytes as \xHH, so that an error message stays one line and prints what was
 * given. Free with g_free. */
static char *printable(const char *s)
{
    GString *o = g_string_new(NULL);
    for (const char *p = s; *p;) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x80) {
            gunichar u = g_utf8_get_char_validated(p, -1);
            if (u == (gunichar)-1 || u == (gunichar)-2) {
                g_string_append_printf(o, "\\x%02x", ch);
                p++;
            } else {
                const char *next = g_utf8_next_char(p);
                g_string_append_len(o, p, next - p);
                p = next;
            }
            continue;
        }
        if (ch == '\n')
            g_string_append(o, "\\n");
        else if (ch == '\r')
            g_string_append(o, "\\r");
        else if (ch == '\t')
            g_string_append(o, "\\t");
        else if (ch < 0x20 || ch == 0x7f)
            g_string_append_printf(o, "\\x%02x", ch);
        else
            g_string_append_c(o, (char)ch);
        p++;
    }
    return g_string_free(o, FALSE);
}

static GString *where(ctx_t *c, const char *group, const char *key)
{
    GString *w = g_string_new(NULL);
    char *k = gk(group, key);
    const char *arg = g_hash_table_lookup(c->setargs, k);
    if (!arg) {
        /* a group only --set created: name the argument that created it */
        char *gonly = gk(group, NULL);
        if (!g_hash_table_lookup(c->lines, k) && !g_hash_table_lookup(c->lines, gonly))
            arg = g_hash_table_lookup(c->setargs, gonly);
        g_free(gonly);
    }
    if (arg) {
        char *a = printable(arg);
        g_string_printf(w, "--set %s", a);
        g_free(a);
    } else {
        int line = GPOINTER_TO_INT(g_hash_table_lookup(c->lines, k));
        if (!line && key) {
            char *gkey = gk(group, NULL);
            line = GPOINTER_TO_INT(g_hash_table_lookup(c->lines, gkey));
            g_free(gkey);
        }
        if (line)
            g_string_printf(w, "%s:%d", c->path, line);
        else
            g_string_printf(w, "%s", c->path);
    }
    g_free(k);
    return w;
}

static void G_GNUC_PRINTF(5, 6)
err_key(ctx_t *c, const char *group, const char *key, const char *value, const char *fmt, ...)
{
    GString *w = where(c, group, key);
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *g = printable(group), *k = key ? printable(key) : NULL, *v = value ? printable(value) : NULL;
    if (key && value)
        g_string_append_printf(c->errors, "%s: [%s] %s = \"%s\": %s\n", w->str, g, k, v, msg);
    else if (key)
        g_string_append_printf(c->errors, "%s: [%s] %s: %s\n", w->str, g, k, msg);
    else
        g_string_append_printf(c->errors, "%s: [%s]: %s\n", w->str, g, msg);
    g_free(g);
    g_free(k);
    g_free(v);
    g_free(msg);
    g_string_free(w, TRUE);
}

static const char *expected(vtype_t t)
{
    switch (t) {
    case T_STR: case T_TEXT: return "text";
    case T_U32: case T_U64: return "a whole number";
    case T_DURATION: return "a duration with a unit: ns, us, ms, s, m or h (e.g. 600s, 0.5s, 250ms)";
    case T_SIZE: return "a size with a unit: B, KB, MB, GB, KiB, MiB or GiB (e.g. 535KB)";
    case T_BANDWIDTH: return "a bandwidth with a unit: bit/s, kbit/s, Mbit/s or Gbit/s (e.g. 20Mbit/s)";
    case T_PPM: return "a probability: a fraction from 0 to 1, a percentage or ppm (e.g. 0.01, 1%, 250ppm)";
    case T_SCALE: return "a non-negative factor (e.g. 2, 0.5, 150%)";
    case T_ENUM: return "one of the listed choices";
    case T_CDF:
        return "'bitcoin-2015' (or its old name 'bitcoin') or increasing cumulative probabilities ending at 1 "
               "(e.g. 0.5,0.8,1)";
    case T_ORIGIN: return "'random' or a node id";
    case T_IDS: return "node ids and ranges (e.g. 3,10-20)";
    case T_BOOL: return "true or false";
    case T_RATE: return "a rate with a unit: /s, /m or /h (e.g. 7/s, 0.5/s, 30/m)";
    case T_HASHPOWER:
        return "equal, exponential, normal, or shares such as 0.3,0.2,0.1 adding up to at most 1";
    case T_STAKE:
        return "equal, exponential, or shares such as 0.3,0.2,0.1 adding up to at most 1";
    case T_MISSING: return "simblock or a fraction or percentage (e.g. 0.1, 9%)";
    case T_MEMLIMIT:
        return "physical, none, or a size with a unit: B, KB, MB, GB, KiB, MiB or GiB (e.g. 8GiB)";
    }
    return "?";
}

static const char *num(char *buf, size_t n, uint64_t v)
{
    g_snprintf(buf, n, "%" G_GUINT64_FORMAT, v);
    return buf;
}

static units_kind_t units_kind_of(vtype_t t)
{
    switch (t) {
    case T_DURATION: return UNITS_DURATION;
    case T_SIZE: case T_MEMLIMIT: return UNITS_SIZE;
    case T_BANDWIDTH: return UNITS_BANDWIDTH;
    case T_PPM: return UNITS_PPM;
    case T_SCALE: return UNITS_SCALE;
    case T_RATE: return UNITS_RATE;
    default: return UNITS_UINT;
    }
}

/* Reports that raw is not a valid value of type t, saying why when the
 * number itself is the problem (too large, finer than the smallest unit).
 * [min, max]: the bounds of T_U32/T_U64 keys, for the message. */
static void err_value(ctx_t *c, const char *group, const char *key, const char *raw, vtype_t t, uint64_t min,
                      uint64_t max)
{
    bool unit_type = t == T_DURATION || t == T_SIZE || t == T_BANDWIDTH || t == T_PPM || t == T_SCALE ||
                     t == T_RATE || t == T_U32 || t == T_U64 || t == T_MEMLIMIT;
    units_err_t why = unit_type ? units_why(units_kind_of(t), raw) : UNITS_ERR_SYNTAX;
    if (why == UNITS_ERR_TOO_LARGE) {
        switch (t) {
        case T_U32: case T_U64:
            err_key(c, group, key, raw, "too large; expected a whole number from %" G_GUINT64_FORMAT " to %"
                    G_GUINT64_FORMAT, min, max);
            return;
        case T_DURATION:
            err_key(c, group, key, raw, "too large: simulated time is at most %s", SCENARIO_MAX_TIME_TEXT);
            return;
        case T_PPM:
            err_key(c, group, key, raw, "more than 1 (100%%); expected %s", expected(t));
            return;
        default:
            err_key(c, group, key, raw, "too large (it does not fit in 64 bits); expected %s", expected(t));
            return;
        }
    }
    if (why == UNITS_ERR_TOO_FINE) {
        switch (t) {
        case T_DURATION:
            err_key(c, group, key, raw, "finer than 1 ns, the resolution of simulated time");
            return;
        case T_SIZE: case T_MEMLIMIT:
            err_key(c, group, key, raw, "not a whole number of bytes");
            return;
        case T_BANDWIDTH:
            err_key(c, group, key, raw, "not a whole number of bit/s");
            return;
        case T_PPM: case T_SCALE:
            err_key(c, group, key, raw, "finer than 1 ppm (0.000001), the resolution of fractions");
            return;
        default:
            err_key(c, group, key, raw, "more than 30 decimal places; expected %s", expected(t));
            return;
        }
    }
    err_key(c, group, key, raw, "expected %s", expected(t));
}

/* ---------- the line scan ---------- */

static bool valid_group_name(const char *g)
{
    /* no white space at either end: "[event x ]" and "--set 'event x .at=1s'"
     * (which is stripped) must name the same group */
    if (!*g || g_ascii_isspace(g[0]) || g_ascii_isspace(g[strlen(g) - 1]))
        return false;
    for (const char *p = g; *p; p++)
        if (*p == '[' || *p == ']' || *p == '.' || *p == '=' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Key names: what GKeyFile stores as a plain key (no locale suffix such as
 * name[fr], which it would silently treat as a translation) and what a file
 * line can hold. */
static bool valid_key_name(const char *k)
{
    if (!*k || *k == '#')
        return false;
    for (const char *p = k; *p; p++)
        if (*p == '[' || *p == ']' || *p == '=' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Values: anything but control characters other than tab (a file line cannot
 * hold a newline, and a carriage return or escape code in a name or a
 * results row is never meant). */
static bool valid_value(const char *v)
{
    for (const char *p = v; *p; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* Checks every line's syntax and records where each group and key is.
 * Returns false (with errors appended) on malformed lines or duplicates. */
static bool scan_lines(ctx_t *c, const char *text)
{
    bool ok = true;
    char **lines = g_strsplit(text, "\n", -1);
    char *group = NULL;
    bool first_group = false;
    int ngroups = 0;
    for (int i = 0; lines[i]; i++) {
        int lineno = i + 1;
        /* As GKeyFile reads a line: one '\r' before the newline dropped,
         * leading white space skipped (trailing white space is handled per
         * kind of line below). */
        char *l = g_strchug(g_strdup(lines[i]));
        size_t llen = strlen(l);
        if (llen > 0 && l[llen - 1] == '\r')
            l[--llen] = '\0';
        if (*l == '\0' || *l == '#') {
            g_free(l);
            continue;
        }
        if (strstr(l, UTF8_BOM)) {
            char *shown = printable(l);
            g_string_append_printf(c->errors,
                "%s:%d: \"%s\": contains a byte-order mark (U+FEFF, an invisible character some editors "
                "add); remove it\n", c->path, lineno, shown);
            g_free(shown);
            ok = false;
            g_free(l);
            continue;
        }
        char *shown = printable(l); /* the line as messages show it */
        if (*l == '[') {
            /* only spaces and tabs may follow the ']' */
            size_t n = strlen(l);
            while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t'))
                n--;
            char *name = n >= 2 && l[n - 1] == ']' ? g_strndup(l + 1, n - 2) : NULL;
            char *trimmed = name ? g_strstrip(g_strdup(name)) : NULL;
            bool bare_event = trimmed && strcmp(trimmed, "event") == 0;
            g_free(trimmed);
            if (bare_event) {
                g_string_append_printf(c->errors, "%s:%d: \"%s\": an event group needs a name: [event NAME]\n",
                                       c->path, lineno, shown);
                ok = false;
                g_free(name);
                g_free(group);
                group = NULL;
            } else if (!name || !valid_group_name(name)) {
                g_string_append_printf(c->errors,
                    "%s:%d: \"%s\": not a valid group header; expected [name] (names may not start or end with "
                    "a space or contain '.', '[', ']', '=' or control characters)\n", c->path, lineno, shown);
                ok = false;
                g_free(name);
                g_free(group);
                group = NULL;
            } else {
                char *k = gk(name, NULL);
                if (g_hash_table_contains(c->lines, k)) {
                    g_string_append_printf(c->errors, "%s:%d: [%s]: group appears twice (first on line %d)\n",
                        c->path, lineno, name, GPOINTER_TO_INT(g_hash_table_lookup(c->lines, k)));
                    ok = false;
                    g_free(k);
                } else {
                    g_hash_table_insert(c->lines, k, GINT_TO_POINTER(lineno));
                }
                g_free(group);
                group = name;
                first_group = ngroups++ == 0;
            }
        } else {
            char *eq = strchr(l, '=');
            if (!eq) {
                g_string_append_printf(c->errors,
                    "%s:%d: \"%s\": not a group header, a key = value line or a comment (#)\n",
                    c->path, lineno, shown);
                ok = false;
            } else if (!group) {
                g_string_append_printf(c->errors,
                    "%s:%d: \"%s\": key outside any group; put it under a [group] header\n",
                    c->path, lineno, shown);
                ok = false;
            } else {
                char *key = g_strchomp(g_strndup(l, (size_t)(eq - l)));
                char *k = gk(group, key);
                if (!*key) {
                    g_string_append_printf(c->errors, "%s:%d: \"%s\": missing key before '='\n",
                        c->path, lineno, shown);
                    ok = false;
                    g_free(k);
                } else if (!valid_key_name(key)) {
                    char *kshown = printable(key);
                    g_string_append_printf(c->errors, "%s:%d: [%s] %s: not a valid key name; key names may not "
                        "contain '[', ']', '=' or control characters\n", c->path, lineno, group, kshown);
                    g_free(kshown);
                    ok = false;
                    g_free(k);
                } else if (strcmp(key, "Encoding") == 0 && first_group) {
                    /* GKeyFile reads it as the file's encoding and refuses
                     * any value but UTF-8; no group of ours has the key */
                    g_string_append_printf(c->errors, "%s:%d: [%s] Encoding: unknown key (in the first group a key "
                        "file reads it as the character encoding)\n", c->path, lineno, group);
                    ok = false;
                    g_free(k);
                } else if (!valid_value(eq + 1)) {
                    g_string_append_printf(c->errors, "%s:%d: \"%s\": the value contains a control character "
                        "(only tab is allowed)\n", c->path, lineno, shown);
                    ok = false;
                    g_free(k);
                } else if (g_hash_table_contains(c->lines, k)) {
                    g_string_append_printf(c->errors, "%s:%d: [%s] %s: key appears twice (first on line %d)\n",
                        c->path, lineno, group, key, GPOINTER_TO_INT(g_hash_table_lookup(c->lines, k)));
                    ok = false;
                    g_free(k);
                } else {
                    g_hash_table_insert(c->lines, k, GINT_TO_POINTER(lineno));
                }
                g_free(key);
            }
        }
        g_free(shown);
        g_free(l);
    }
    g_free(group);
    g_strfreev(lines);
    return ok;
}

/* ---------- value parsing ---------- */

static int enum_index(const char *choices, const char *v)
{
    char **opts = g_strsplit(choices, "|", -1);
    int found = -1;
    for (int i = 0; opts[i]; i++)
        if (strcmp(opts[i], v) == 0)
            found = i;
    g_strfreev(opts);
    return found;
}

static char *enum_list(const char *choices)
{
    char **opts = g_strsplit(choices, "|", -1);
    char *s = g_strjoinv(", ", opts);
    g_strfreev(opts);
    return s;
}

/* Parses "3,10-20" into ranges. Returns false on syntax errors or ids >= n. */
static bool parse_ids(const char *s, uint32_t n, id_range_t **out, uint32_t *nout, const char **why)
{
    char **parts = g_strsplit(s, ",", -1);
    GArray *a = g_array_new(FALSE, FALSE, sizeof(id_range_t));
    bool ok = parts[0] != NULL;
    *why = "expected node ids and ranges such as 3,10-20";
    for (int i = 0; ok && parts[i]; i++) {
        char *p = g_strstrip(parts[i]);
        char *dash = strchr(p, '-');
        uint64_t lo, hi;
        if (dash) {
            *dash = '\0';
            ok = units_parse_uint(p, &lo) && units_parse_uint(dash + 1, &hi) && lo <= hi;
        } else {
            ok = units_parse_uint(p, &lo);
            hi = lo;
        }
        if (ok && hi >= n) {
            ok = false;
            *why = "node id out of range (ids run from 0 to nodes - 1)";
        }
        if (ok) {
            id_range_t r = { (uint32_t)lo, (uint32_t)hi };
            g_array_append_val(a, r);
        }
    }
    g_strfreev(parts);
    if (!ok) {
        g_array_free(a, TRUE);
        return false;
    }
    *nout = a->len;
    *out = (id_range_t *)g_array_free(a, FALSE);
    return true;
}

/* "equal", "exponential" or a list of shares (each > 0, sum <= 1). */
static bool parse_shares(const char *raw, hashpower_t *kind, uint32_t *ppm_out, uint32_t *n_out)
{
    if (strcmp(raw, "equal") == 0) {
        *kind = HASH_EQUAL;
        return true;
    }
    if (strcmp(raw, "exponential") == 0) {
        *kind = HASH_EXPONENTIAL;
        return true;
    }
    char **parts = g_strsplit(raw, ",", -1);
    uint64_t sum = 0;
    uint32_t n = 0;
    bool ok = true;
    for (int i = 0; ok && parts[i]; i++) {
        uint32_t ppm;
        if (n >= SCENARIO_MAX_SHARES || !units_parse_ppm(g_strstrip(parts[i]), &ppm) || ppm == 0)
            ok = false;
        else
            sum += ppm_out[n++] = ppm;
    }
    g_strfreev(parts);
    *n_out = n;
    *kind = HASH_LIST;
    return ok && n > 0 && sum <= 1000000;
}

/* Parses one schema value into the scenario. Returns false and reports. */
static bool set_value(ctx_t *c, scenario_t *sc, const keyspec_t *s, const char *raw)
{
    char *base = (char *)sc + s->off;
    uint64_t u = 0;
    bool ok = true;

    switch (s->type) {
    case T_STR: {
        char **dst = (char **)base;
        g_free(*dst);
        *dst = g_strdup(raw);
        return true;
    }
    case T_U32: case T_U64:
        ok = units_parse_uint(raw, &u);
        if (ok && (u < s->min || u > s->max)) {
            err_key(c, s->group, s->key, raw, "out of range; expected a whole number from %" G_GUINT64_FORMAT
                    " to %" G_GUINT64_FORMAT, s->min, s->max);
            return false;
        }
        if (ok && s->type == T_U32)
            *(uint32_t *)base = (uint32_t)u;
        else if (ok)
            *(uint64_t *)base = u;
        break;
    case T_DURATION:
        ok = units_parse_duration(raw, &u);
        if (ok && u > SCENARIO_MAX_TIME_NS) {
            err_key(c, s->group, s->key, raw, "too large: simulated time is at most %s", SCENARIO_MAX_TIME_TEXT);
            return false;
        }
        if (ok)
            *(uint64_t *)base = u;
        break;
    case T_SIZE: ok = units_parse_size(raw, &u); if (ok) *(uint64_t *)base = u; break;
    case T_BANDWIDTH:
        ok = strcmp(raw, "0") == 0 || units_parse_bandwidth(raw, &u);
        if (ok)
            *(uint64_t *)base = u;
        break;
    case T_PPM: ok = units_parse_ppm(raw, (uint32_t *)base); break;
    case T_SCALE: ok = units_parse_scale(raw, &u); if (ok) *(uint64_t *)base = u; break;
    case T_ENUM: {
        int i = enum_index(s->choices, raw);
        if (i < 0) {
            char *l = enum_list(s->choices);
            err_key(c, s->group, s->key, raw, "unknown choice; expected one of: %s", l);
            g_free(l);
            return false;
        }
        *(int *)base = i;
        return true;
    }
    case T_ORIGIN:
        if (strcmp(raw, "random") == 0) {
            *(int64_t *)base = -1;
        } else {
            ok = units_parse_uint(raw, &u) && u < SCENARIO_MAX_NODES;
            if (ok)
                *(int64_t *)base = (int64_t)u;
        }
        break;
    case T_CDF:
        if (strcmp(raw, "bitcoin-2015") == 0 || strcmp(raw, "bitcoin") == 0) {
            memcpy(sc->net.outdegree_cdf, profile_outdegree_2015_cdf, sizeof profile_outdegree_2015_cdf);
            sc->net.outdegree_cdf_len = 20;
        } else {
            char **parts = g_strsplit(raw, ",", -1);
            uint32_t n = 0;
            double prev = 0;
            for (int i = 0; ok && parts[i]; i++) {
                char *end;
                char *p = g_strstrip(parts[i]);
                double v = g_ascii_strtod(p, &end);
                if (!*p || *end || !(v >= prev) || v > 1.0 || n >= SCENARIO_MAX_CDF)
                    ok = false;
                else
                    sc->net.outdegree_cdf[n++] = prev = v;
            }
            g_strfreev(parts);
            if (ok && (n == 0 || prev != 1.0))
                ok = false;
            sc->net.outdegree_cdf_len = n;
        }
        break;
    case T_BOOL:
        if (strcmp(raw, "true") == 0 || strcmp(raw, "yes") == 0)
            *(bool *)base = true;
        else if (strcmp(raw, "false") == 0 || strcmp(raw, "no") == 0)
            *(bool *)base = false;
        else
            ok = false;
        break;
    case T_RATE:
        ok = strcmp(raw, "0") == 0 ? (*(double *)base = 0, true) : units_parse_rate(raw, (double *)base);
        break;
    case T_HASHPOWER:
        if (strcmp(raw, "normal") == 0)
            sc->consensus.hashpower = HASH_NORMAL;
        else
            ok = parse_shares(raw, &sc->consensus.hashpower, sc->consensus.share_ppm, &sc->consensus.nshares);
        break;
    case T_MISSING:
        if (strcmp(raw, "simblock") == 0) {
            *(int32_t *)base = -1;
        } else {
            uint32_t ppm;
            ok = units_parse_ppm(raw, &ppm);
            if (ok)
                *(int32_t *)base = (int32_t)ppm;
        }
        break;
    case T_STAKE:
        ok = parse_shares(raw, &sc->consensus.stake, sc->consensus.stake_ppm, &sc->consensus.nstakes);
        break;
    case T_MEMLIMIT:
        if (strcmp(raw, "physical") == 0)
            *(uint64_t *)base = scenario_physical_memory_bytes();
        else if (strcmp(raw, "none") == 0)
            *(uint64_t *)base = UINT64_MAX;
        else
            ok = units_parse_size(raw, (uint64_t *)base);
        break;
    case T_IDS: case T_TEXT:
        break;
    }
    if (!ok) {
        err_value(c, s->group, s->key, raw, s->type, s->min, s->max);
        return false;
    }
    if ((s->type == T_DURATION || s->type == T_SIZE || s->type == T_BANDWIDTH || s->type == T_SCALE) &&
        s->min && u < s->min) {
        err_key(c, s->group, s->key, raw, "must be greater than zero");
        return false;
    }
    if (s->type == T_SCALE && s->max && u > s->max) {
        err_key(c, s->group, s->key, raw, "too large");
        return false;
    }
    if (s->type == T_SIZE && s->max && u > s->max) {
        err_key(c, s->group, s->key, raw, "too large (at most %" G_GUINT64_FORMAT " bytes)", s->max);
        return false;
    }
    return true;
}

/* ---------- events ---------- */

static const evspec_t *find_evspec(const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(event_specs); i++)
        if (strcmp(event_specs[i].key, key) == 0)
            return &event_specs[i];
    return NULL;
}

static bool key_applies(const evspec_t *e, fault_kind_t k)
{
    char *needle = g_strdup_printf("|%s|", fault_names[k]);
    bool yes = strstr(e->types, needle) != NULL;
    g_free(needle);
    return yes;
}

/* The raw value of an event key, without surrounding white space (GKeyFile
 * keeps trailing spaces), or NULL. */
static char *ev_value(ctx_t *c, const char *group, const char *key)
{
    char *v = g_key_file_get_value(c->kf, group, key, NULL);
    return v ? g_strstrip(v) : NULL;
}

/* The region names of the scenario's profile, "a, b, c" (g_free). */
static char *region_names(const ctx_t *c)
{
    GString *names = g_string_new(NULL);
    for (int i = 0; i < c->profile->nregions; i++)
        g_string_append_printf(names, "%s%s", i ? ", " : "", c->profile->region[i]);
    return g_string_free(names, FALSE);
}

static bool parse_region_pair(ctx_t *c, const char *group, const char *raw, int *a, int *b)
{
    char **parts = g_strsplit(raw, ",", -1);
    bool ok = g_strv_length(parts) == 2;
    if (ok) {
        *a = profile_region(c->profile, g_strstrip(parts[0]));
        *b = profile_region(c->profile, g_strstrip(parts[1]));
        ok = *a >= 0 && *b >= 0;
    }
    g_strfreev(parts);
    if (!ok) {
        char *names = region_names(c);
        err_key(c, group, "between", raw, "expected two region names separated by ',' from the %s profile: %s",
                c->profile->name, names);
        g_free(names);
    }
    return ok;
}

static bool parse_partition_groups(ctx_t *c, scenario_t *sc, const char *group, fault_t *f, const char *raw)
{
    char **gs = g_strsplit(raw, ";", -1);
    uint32_t ng = g_strv_length(gs);
    bool ok = ng > 0 && ng <= 1000;
    if (ng > 1000)
        err_key(c, group, "groups", raw, "at most 1000 groups");
    GArray *ranges = g_array_new(FALSE, FALSE, sizeof(id_range_t));
    GArray *rgroup = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    f->ngroups = ng;
    if (f->by == PART_BY_REGIONS)
        f->group_regions = g_new0(uint32_t, ng);
    if (f->by == PART_BY_FRACTION)
        f->group_fraction_ppm = g_new0(uint32_t, ng);
    uint64_t fraction_sum = 0;
    uint32_t region_seen = 0;
    for (uint32_t i = 0; ok && i < ng; i++) {
        char *g = g_strstrip(gs[i]);
        if (!*g) {
            err_key(c, group, "groups", raw, "group %u is empty", i + 1);
            ok = false;
            break;
        }
        if (f->by == PART_BY_IDS) {
            id_range_t *r;
            uint32_t nr;
            const char *why;
            if (!parse_ids(g, sc->net.nodes, &r, &nr, &why)) {
                err_key(c, group, "groups", raw, "group %u \"%s\": %s", i + 1, g, why);
                ok = false;
                break;
            }
            g_array_append_vals(ranges, r, nr);
            for (uint32_t j = 0; j < nr; j++)
                g_array_append_val(rgroup, i);
            g_free(r);
        } else if (f->by == PART_BY_REGIONS) {
            char **names = g_strsplit(g, ",", -1);
            for (int j = 0; ok && names[j]; j++) {
                int r = profile_region(c->profile, g_strstrip(names[j]));
                if (r < 0) {
                    char *valid = region_names(c);
                    err_key(c, group, "groups", raw, "\"%s\" is not a region of the %s profile (its regions: %s)",
                            names[j], c->profile->name, valid);
                    g_free(valid);
                    ok = false;
                } else if (region_seen & (1u << r)) {
                    err_key(c, group, "groups", raw, "region %s is in two groups", names[j]);
                    ok = false;
                } else {
                    region_seen |= 1u << r;
                    f->group_regions[i] |= 1u << r;
                }
            }
            g_strfreev(names);
        } else {
            uint32_t ppm;
            if (!units_parse_ppm(g, &ppm) || ppm == 0) {
                err_key(c, group, "groups", raw, "group %u \"%s\": expected a fraction of the nodes "
                        "(e.g. 0.3 or 30%%)", i + 1, g);
                ok = false;
            } else {
                f->group_fraction_ppm[i] = ppm;
                fraction_sum += ppm;
            }
        }
    }
    if (ok && fraction_sum > 1000000) {
        err_key(c, group, "groups", raw, "fractions add up to more than 1");
        ok = false;
    }
    g_strfreev(gs);
    f->nranges = ranges->len;
    f->ranges = (id_range_t *)g_array_free(ranges, FALSE);
    f->group_of_range = (uint32_t *)g_array_free(rgroup, FALSE);
    return ok;
}

/* An unsigned key of an event group into *out; false (and an error) when it
 * is not a whole number or is max or above. Absent keys leave *out as is. */
static bool ev_uint(ctx_t *c, const char *group, const char *key, uint64_t max, const char *below,
                    uint64_t *out)
{
    char *v = ev_value(c, group, key);
    if (!v)
        return true;
    uint64_t u;
    bool ok = units_parse_uint(v, &u);
    if (!ok)
        err_key(c, group, key, v, "expected %s", expected(T_U64));
    else if (u >= max)
        err_key(c, group, key, v, "out of range; expected a number below %s", below);
    else
        *out = u;
    g_free(v);
    return ok && u < max;
}

/* The keys of a `send` event: node, from, to, amount, fee, nonce. */
static bool parse_send(ctx_t *c, scenario_t *sc, const char *group, fault_t *f)
{
    char nodes[64], accounts[64];
    snprintf(nodes, sizeof nodes, "[network] nodes (%u)", sc->net.nodes);
    snprintf(accounts, sizeof accounts, "[ledger] accounts (%u)", sc->ledger.accounts);
    uint64_t node = 0, from = 0, to = 0;
    f->send_fee = sc->workload.fee_min;
    bool ok = ev_uint(c, group, "node", sc->net.nodes, nodes, &node);
    ok = ev_uint(c, group, "from", sc->ledger.accounts, accounts, &from) && ok;
    ok = ev_uint(c, group, "to", sc->ledger.accounts, accounts, &to) && ok;
    ok = ev_uint(c, group, "amount", UINT64_MAX, "2^64 - 1", &f->send_amount) && ok;
    ok = ev_uint(c, group, "fee", UINT64_MAX, "2^64 - 1", &f->send_fee) && ok;
    f->send_node = (uint32_t)node;
    f->send_from = (uint32_t)from;
    f->send_to = (uint32_t)to;
    f->send_nonce_mode = SEND_NONCE_NEXT;
    char *v = ev_value(c, group, "nonce");
    if (v && strcmp(v, "next") == 0) {
        f->send_nonce_mode = SEND_NONCE_NEXT;
    } else if (v && strcmp(v, "reuse") == 0) {
        f->send_nonce_mode = SEND_NONCE_REUSE;
    } else if (v) {
        if (units_parse_uint(v, &f->send_nonce) && f->send_nonce < UINT64_MAX) {
            f->send_nonce_mode = SEND_NONCE_GIVEN;
        } else {
            err_key(c, group, "nonce", v, "expected next, reuse or a whole number");
            ok = false;
        }
    }
    g_free(v);
    return ok;
}

static bool parse_event(ctx_t *c, scenario_t *sc, const char *group, fault_t *f)
{
    bool ok = true;
    f->name = g_strdup(group + strlen("event "));
    char *gkey = gk(group, NULL);
    f->line = GPOINTER_TO_INT(g_hash_table_lookup(c->lines, gkey));
    g_free(gkey);
    f->region_a = f->region_b = -1;
    f->scale_ppm = 1000000;

    if (!*g_strstrip(f->name)) {
        err_key(c, group, NULL, NULL, "an event group needs a name: [event NAME]");
        return false;
    }
    char *type = ev_value(c, group, "type");
    int k = type ? enum_index(FAULT_CHOICES, type) : -1;
    if (k < 0) {
        char *l = enum_list(FAULT_CHOICES);
        if (type)
            err_key(c, group, "type", type, "unknown event type; expected one of: %s", l);
        else
            err_key(c, group, "type", NULL, "missing; every event needs a type, one of: %s", l);
        g_free(l);
        g_free(type);
        return false;
    }
    g_free(type);
    f->kind = (fault_kind_t)k;

    gsize nkeys = 0;
    char **keys = g_key_file_get_keys(c->kf, group, &nkeys, NULL);
    for (gsize i = 0; i < nkeys; i++) {
        const evspec_t *e = find_evspec(keys[i]);
        if (!e) {
            GString *known = g_string_new(NULL);
            for (size_t j = 0; j < G_N_ELEMENTS(event_specs); j++)
                g_string_append_printf(known, "%s%s", j ? ", " : "", event_specs[j].key);
            err_key(c, group, keys[i], NULL, "unknown key for an event; known keys: %s", known->str);
            g_string_free(known, TRUE);
            ok = false;
        } else if (!key_applies(e, f->kind)) {
            err_key(c, group, keys[i], NULL, "not used by events of type %s", fault_names[f->kind]);
            ok = false;
        }
    }
    g_strfreev(keys);
    for (size_t i = 0; i < G_N_ELEMENTS(event_specs); i++) {
        const evspec_t *e = &event_specs[i];
        if (e->required && key_applies(e, f->kind) && !g_key_file_has_key(c->kf, group, e->key, NULL)) {
            err_key(c, group, e->key, NULL, "missing; events of type %s need it (%s)", fault_names[f->kind],
                    e->help);
            ok = false;
        }
    }
    if (!ok)
        return false;

    char *v;
    if ((v = ev_value(c, group, "at"))) {
        if (!units_parse_duration(v, &f->at_ns)) {
            err_value(c, group, "at", v, T_DURATION, 0, 0);
            ok = false;
        } else if (f->at_ns > SCENARIO_MAX_TIME_NS) {
            err_key(c, group, "at", v, "too large: simulated time is at most %s", SCENARIO_MAX_TIME_TEXT);
            ok = false;
        } else if (f->at_ns > sc->duration_ns) {
            err_key(c, group, "at", v, "after the end of the run ([scenario] duration)");
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "by"))) {
        int b = enum_index("ids|regions|fraction", v);
        if (b < 0) {
            err_key(c, group, "by", v, "expected one of: ids, regions, fraction");
            ok = false;
        }
        f->by = b < 0 ? PART_BY_IDS : (partition_by_t)b;
        g_free(v);
    }
    if (ok && (v = ev_value(c, group, "groups"))) {
        ok = parse_partition_groups(c, sc, group, f, v) && ok;
        g_free(v);
    }
    if ((v = ev_value(c, group, "between"))) {
        ok = parse_region_pair(c, group, v, &f->region_a, &f->region_b) && ok;
        g_free(v);
    }
    if ((v = ev_value(c, group, "scale"))) {
        if (!units_parse_scale(v, &f->scale_ppm)) {
            err_value(c, group, "scale", v, T_SCALE, 0, 0);
            ok = false;
        } else if (f->scale_ppm > 1000000000ull) {
            err_key(c, group, "scale", v, "too large; expected %s, at most 1000", expected(T_SCALE));
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "add"))) {
        if (!units_parse_duration(v, &f->add_ns)) {
            err_value(c, group, "add", v, T_DURATION, 0, 0);
            ok = false;
        } else if (f->add_ns > SCENARIO_MAX_TIME_NS) {
            err_key(c, group, "add", v, "too large: simulated time is at most %s", SCENARIO_MAX_TIME_TEXT);
            ok = false;
        }
        g_free(v);
    }
    if (f->kind == FAULT_LATENCY && !g_key_file_has_key(c->kf, group, "scale", NULL) &&
        !g_key_file_has_key(c->kf, group, "add", NULL)) {
        err_key(c, group, "scale", NULL, "missing; a latency event needs scale, add or both");
        ok = false;
    }
    if ((v = ev_value(c, group, "loss"))) {
        if (!units_parse_ppm(v, &f->loss_ppm)) {
            err_value(c, group, "loss", v, T_PPM, 0, 0);
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "nodes"))) {
        const char *why;
        if (!parse_ids(v, sc->net.nodes, &f->nodes, &f->nnodes_ranges, &why)) {
            err_key(c, group, "nodes", v, "%s", why);
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "duration"))) {
        if (!units_parse_duration(v, &f->down_ns)) {
            err_value(c, group, "duration", v, T_DURATION, 0, 0);
            ok = false;
        } else if (f->down_ns == 0) {
            err_key(c, group, "duration", v, "must be greater than zero");
            ok = false;
        } else if (f->down_ns > SCENARIO_MAX_TIME_NS - f->at_ns) {
            char a[40], lim[40];
            err_key(c, group, "duration", v, "the restart at %s + this duration is beyond the limit of simulated "
                    "time, %s (%s ns)", units_format_duration(f->at_ns, a, sizeof a), SCENARIO_MAX_TIME_TEXT,
                    num(lim, sizeof lim, SCENARIO_MAX_TIME_NS));
            ok = false;
        }
        g_free(v);
    }
    if (f->kind == FAULT_FORK && sc->consensus.kind != CONS_POW) {
        err_key(c, group, "type", "fork", "a forced fork needs [consensus] kind = pow (under pos and dpos a "
                "block out of its producer's slot is invalid; see [adversary] kind = equivocate)");
        ok = false;
    }
    if (f->kind == FAULT_SEND)
        ok = parse_send(c, sc, group, f) && ok;
    return ok;
}

static int fault_cmp(const void *a, const void *b)
{
    const fault_t *x = a, *y = b;
    if (x->at_ns != y->at_ns)
        return x->at_ns < y->at_ns ? -1 : 1;
    return x->line - y->line; /* then file order; --set events (line 0) first */
}

/* ---------- adversaries ---------- */

static const advspec_t *find_advspec(const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(adversary_specs); i++)
        if (strcmp(adversary_specs[i].key, key) == 0)
            return &adversary_specs[i];
    return NULL;
}

static bool adv_key_applies(const advspec_t *a, adversary_kind_t k)
{
    char *needle = g_strdup_printf("|%s|", adversary_names[k]);
    bool yes = strstr(a->kinds, needle) != NULL;
    g_free(needle);
    return yes;
}

/* A share of the hash power or stake strictly between 0 and 1. */
static bool adv_share(ctx_t *c, const char *group, const char *key, const char *v, uint32_t *ppm)
{
    if (!units_parse_ppm(v, ppm) || *ppm == 0 || *ppm >= 1000000) {
        err_key(c, group, key, v, "expected a share strictly between 0 and 1 (e.g. 0.3 or 30%%); an adversary "
                "with all the %s is not an attack", key);
        return false;
    }
    return true;
}

static bool adv_u32(ctx_t *c, const char *group, const char *key, const char *v, uint32_t min, uint32_t max,
                    uint32_t *out)
{
    uint64_t u;
    if (!units_parse_uint(v, &u) || u < min || u > max) {
        err_key(c, group, key, v, "expected a whole number from %u to %u", min, max);
        return false;
    }
    *out = (uint32_t)u;
    return true;
}

static uint64_t ranges_count(const id_range_t *r, uint32_t n)
{
    uint64_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        k += (uint64_t)r[i].hi - r[i].lo + 1;
    return k;
}

/* Marks the nodes of n ranges in a per-node byte map with mark; returns
 * the first node already marked (by another owner), or -1. Nodes listed
 * twice by the same owner are counted once. */
static int64_t ranges_mark(const id_range_t *r, uint32_t n, uint8_t *map, uint8_t mark, uint64_t *distinct)
{
    int64_t clash = -1;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t id = r[i].lo; id <= r[i].hi; id++) {
            if (map[id] && map[id] != mark && clash < 0)
                clash = id;
            if (!map[id]) {
                map[id] = mark;
                ++*distinct;
            }
        }
    return clash;
}

/* Parses one [adversary NAME] group into a. Returns false with errors. */
static bool parse_adversary(ctx_t *c, scenario_t *sc, const char *group, adversary_spec_t *a)
{
    bool ok = true;
    a->name = g_strdup(group + strlen("adversary "));
    char *gkey = gk(group, NULL);
    a->line = GPOINTER_TO_INT(g_hash_table_lookup(c->lines, gkey));
    g_free(gkey);
    a->stop_ns = UINT64_MAX;
    a->gamma_ppm = -1;
    a->trail_depth = 1;
    a->confirmations = 6;
    a->attempts = 1;
    a->merchant = -1;
    a->amount = 1000000;
    a->count = 1;
    a->mode = EQUIVOCATE_BLOCKS;

    char *kind = ev_value(c, group, "kind");
    int k = kind ? enum_index(ADVERSARY_CHOICES, kind) : -1;
    if (k < 0) {
        char *l = enum_list(ADVERSARY_CHOICES);
        if (kind)
            err_key(c, group, "kind", kind, "unknown adversary kind; expected one of: %s", l);
        else
            err_key(c, group, "kind", NULL, "missing; every adversary needs a kind, one of: %s", l);
        g_free(l);
        g_free(kind);
        return false;
    }
    g_free(kind);
    a->kind = (adversary_kind_t)k;
    if (!adversary_implemented[a->kind]) {
        err_key(c, group, "kind", adversary_names[a->kind], "not implemented in this version; implemented: %s",
                ADVERSARY_IMPLEMENTED);
        return false;
    }

    gsize nkeys = 0;
    char **keys = g_key_file_get_keys(c->kf, group, &nkeys, NULL);
    for (gsize i = 0; i < nkeys; i++) {
        const advspec_t *e = find_advspec(keys[i]);
        if (!e) {
            GString *known = g_string_new(NULL);
            for (size_t j = 0; j < G_N_ELEMENTS(adversary_specs); j++)
                g_string_append_printf(known, "%s%s", j ? ", " : "", adversary_specs[j].key);
            err_key(c, group, keys[i], NULL, "unknown key for an adversary; known keys: %s", known->str);
            g_string_free(known, TRUE);
            ok = false;
        } else if (!adv_key_applies(e, a->kind)) {
            err_key(c, group, keys[i], NULL, "not used by adversaries of kind %s", adversary_names[a->kind]);
            ok = false;
        }
    }
    g_strfreev(keys);
    if (!ok)
        return false;

    const consensus_kind_t ck = sc->consensus.kind;
    static const char *const ck_names[] = { "none", "pow", "pos", "dpos" };
    bool pow_only = a->kind == ADV_SELFISH || a->kind == ADV_DOUBLE_SPEND;
    if (ck == CONS_NONE || (pow_only && ck != CONS_POW) || (a->kind == ADV_EQUIVOCATE && ck == CONS_POW)) {
        err_key(c, group, "kind", adversary_names[a->kind], "an attack on %s; [consensus] kind is %s",
                pow_only ? "proof of work (kind = pow)" : a->kind == ADV_EQUIVOCATE ? "pos or dpos" : "a blockchain",
                ck_names[ck]);
        return false;
    }

    char *v;
    const char *why;
    if ((v = ev_value(c, group, "nodes"))) {
        if (!parse_ids(v, sc->net.nodes, &a->nodes, &a->nnodes_ranges, &why)) {
            err_key(c, group, "nodes", v, "%s", why);
            ok = false;
        } else if (g_key_file_has_key(c->kf, group, "count", NULL)) {
            err_key(c, group, "count", NULL, "give either nodes or count, not both");
            ok = false;
        }
        a->count = 0;
        g_free(v);
    }
    if ((v = ev_value(c, group, "count"))) {
        ok = adv_u32(c, group, "count", v, 1, sc->net.nodes - 1, &a->count) && ok;
        g_free(v);
    }
    if ((v = ev_value(c, group, "hashpower"))) {
        if (ck != CONS_POW) {
            err_key(c, group, "hashpower", v, "a proof-of-work setting; [consensus] kind is %s (use stake)",
                    ck_names[ck]);
            ok = false;
        } else {
            ok = adv_share(c, group, "hashpower", v, &a->share_ppm) && ok;
        }
        g_free(v);
    } else if (pow_only) {
        err_key(c, group, "hashpower", NULL, "missing; a %s adversary needs its share of the hash power "
                "(e.g. hashpower = 0.3)", adversary_names[a->kind]);
        ok = false;
    }
    if ((v = ev_value(c, group, "stake"))) {
        if (ck == CONS_POW) {
            err_key(c, group, "stake", v, "a pos/dpos setting; [consensus] kind is pow (use hashpower)");
            ok = false;
        } else {
            err_key(c, group, "stake", v, "not implemented in this version: the adversary's nodes keep the stake "
                    "[consensus] stake gives them (give it there, e.g. stake = 0.2,0.1 for the first nodes)");
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "start"))) {
        if (!units_parse_duration(v, &a->start_ns) || a->start_ns > SCENARIO_MAX_TIME_NS) {
            err_value(c, group, "start", v, T_DURATION, 0, 0);
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "stop"))) {
        if (strcmp(v, "end") != 0 && (!units_parse_duration(v, &a->stop_ns) || a->stop_ns > SCENARIO_MAX_TIME_NS)) {
            err_key(c, group, "stop", v, "expected 'end' or %s", expected(T_DURATION));
            ok = false;
        } else if (a->stop_ns <= a->start_ns) {
            err_key(c, group, "stop", v, "not after start; the adversary would never act");
            ok = false;
        }
        g_free(v);
    }
    if (ok && a->start_ns >= sc->duration_ns) {
        err_key(c, group, "start", NULL, "at or after the end of the run ([scenario] duration); the adversary "
                "would never act");
        ok = false;
    }
    if ((v = ev_value(c, group, "gamma"))) {
        uint32_t ppm;
        if (strcmp(v, "network") == 0) {
            a->gamma_ppm = -1;
        } else if (units_parse_ppm(v, &ppm)) {
            a->gamma_ppm = (int32_t)ppm;
        } else {
            err_key(c, group, "gamma", v, "expected 'network' or a probability from 0 to 1 (e.g. 0.5)");
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "stubborn"))) {
        if (strcmp(v, "none") != 0) {
            char **parts = g_strsplit(v, ",", -1);
            for (int i = 0; parts[i]; i++) {
                int b = enum_index("lead|equal-fork|trail", g_strstrip(parts[i]));
                if (b < 0) {
                    err_key(c, group, "stubborn", v, "expected none, or any of lead, equal-fork, trail separated "
                            "by commas");
                    ok = false;
                    break;
                }
                a->stubborn |= 1u << b;
            }
            g_strfreev(parts);
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "trail_depth"))) {
        ok = adv_u32(c, group, "trail_depth", v, 1, 1000000, &a->trail_depth) && ok;
        g_free(v);
    }
    if ((v = ev_value(c, group, "confirmations"))) {
        ok = adv_u32(c, group, "confirmations", v, 1, 1000000, &a->confirmations) && ok;
        g_free(v);
    }
    if ((v = ev_value(c, group, "give_up"))) {
        ok = adv_u32(c, group, "give_up", v, 0, 1000000, &a->give_up) && ok;
        g_free(v);
    }
    if ((v = ev_value(c, group, "attempts"))) {
        ok = adv_u32(c, group, "attempts", v, 1, 1000000, &a->attempts) && ok;
        g_free(v);
    }
    if ((v = ev_value(c, group, "merchant"))) {
        uint64_t u;
        if (strcmp(v, "random") == 0) {
            a->merchant = -1;
        } else if (units_parse_uint(v, &u) && u < sc->net.nodes) {
            a->merchant = (int64_t)u;
        } else {
            err_key(c, group, "merchant", v, "expected 'random' or a node id from 0 to %u", sc->net.nodes - 1);
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "amount"))) {
        uint64_t u;
        if (!units_parse_uint(v, &u) || u == 0 || u > sc->ledger.balance / 2) {
            err_key(c, group, "amount", v, "expected a whole number from 1 to half of ledger.balance (%" G_GUINT64_FORMAT
                    ")", sc->ledger.balance / 2);
            ok = false;
        }
        a->amount = u;
        g_free(v);
    }
    a->delay_ns = a->kind == ADV_WITHHOLD ? UINT64_MAX : 0;
    if ((v = ev_value(c, group, "delay"))) {
        if (a->kind == ADV_WITHHOLD && strcmp(v, "forever") == 0) {
            a->delay_ns = UINT64_MAX;
        } else if (!units_parse_duration(v, &a->delay_ns) || a->delay_ns > SCENARIO_MAX_TIME_NS) {
            err_key(c, group, "delay", v, "expected %s%s", a->kind == ADV_WITHHOLD ? "'forever' or " : "",
                    expected(T_DURATION));
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "victims"))) {
        if (!parse_ids(v, sc->net.nodes, &a->victims, &a->nvictims_ranges, &why)) {
            err_key(c, group, "victims", v, "%s", why);
            ok = false;
        }
        g_free(v);
    } else if (a->kind == ADV_ECLIPSE) {
        err_key(c, group, "victims", NULL, "missing; an eclipse needs the node ids of its victims");
        ok = false;
    }
    if ((v = ev_value(c, group, "drop"))) {
        if (!units_parse_ppm(v, &a->drop_ppm)) {
            err_value(c, group, "drop", v, T_PPM, 0, 0);
            ok = false;
        }
        g_free(v);
    }
    if ((v = ev_value(c, group, "mode"))) {
        int m = enum_index("blocks|attestations|both", v);
        if (m < 0) {
            err_key(c, group, "mode", v, "expected one of: blocks, attestations, both");
            ok = false;
        } else if (m > 0 && ck != CONS_POS) {
            err_key(c, group, "mode", v, "attestations exist under pos only; [consensus] kind is %s", ck_names[ck]);
            ok = false;
        } else {
            a->mode = m == 0 ? EQUIVOCATE_BLOCKS : m == 1 ? EQUIVOCATE_ATTESTATIONS
                                                          : EQUIVOCATE_BLOCKS | EQUIVOCATE_ATTESTATIONS;
        }
        g_free(v);
    }
    return ok;
}

/* Checks the adversaries together: nodes disjoint, not every node, victims
 * honest and not the whole network, shares adding up to less than 1. */
static void adversaries_check(ctx_t *c, scenario_t *sc)
{
    const uint32_t n = sc->net.nodes;
    uint8_t *owner = g_new0(uint8_t, n);
    uint64_t controlled = 0, random = 0, share = 0;
    for (uint32_t i = 0; i < sc->nadversaries; i++) {
        adversary_spec_t *a = &sc->adversaries[i];
        char *group = g_strdup_printf("adversary %s", a->name);
        uint8_t mark = (uint8_t)(i % 255 + 1);
        if (a->nnodes_ranges) {
            uint64_t mine = 0;
            int64_t clash = ranges_mark(a->nodes, a->nnodes_ranges, owner, mark, &mine);
            if (clash >= 0)
                err_key(c, group, "nodes", NULL, "node %" G_GINT64_FORMAT " belongs to another adversary too", clash);
            controlled += mine;
        } else {
            random += a->count;
        }
        share += a->share_ppm;
        if (a->merchant >= 0 && a->nnodes_ranges && owner[a->merchant] == mark)
            err_key(c, group, "merchant", NULL, "node %" G_GINT64_FORMAT " is one of the adversary's own nodes",
                    a->merchant);
        if (a->nvictims_ranges) {
            uint64_t nv = ranges_count(a->victims, a->nvictims_ranges);
            if (nv >= n)
                err_key(c, group, "victims", NULL, "the whole network; an eclipse needs honest nodes outside it");
            for (uint32_t r = 0; r < a->nvictims_ranges; r++)
                for (uint32_t id = a->victims[r].lo; id <= a->victims[r].hi; id++)
                    if (owner[id] == mark) {
                        err_key(c, group, "victims", NULL, "node %u is one of the adversary's own nodes", id);
                        r = a->nvictims_ranges;
                        break;
                    }
        }
        g_free(group);
    }
    char *last = sc->nadversaries ? g_strdup_printf("adversary %s", sc->adversaries[sc->nadversaries - 1].name) : NULL;
    if (sc->nadversaries && controlled + random >= n)
        err_key(c, last, NULL, NULL, "the adversaries control %" G_GUINT64_FORMAT " of the %u nodes; at least "
                "one node must stay honest", controlled + random, n);
    if (share >= 1000000) {
        const char *key = sc->consensus.kind == CONS_POW ? "hashpower" : "stake";
        err_key(c, last, key, NULL, "the adversaries' shares add up to %.6g, at least 1; the honest nodes "
                "need some", share / 1e6);
    }
    g_free(last);
    g_free(owner);
}

static void adversary_spec_free(adversary_spec_t *a)
{
    g_free(a->name);
    g_free(a->nodes);
    g_free(a->victims);
}

/* Every [adversary NAME] group, in file order, then the checks across them. */
static void parse_adversaries(ctx_t *c, scenario_t *sc)
{
    gsize ng = 0;
    char **groups = g_key_file_get_groups(c->kf, &ng);
    GArray *advs = g_array_new(FALSE, TRUE, sizeof(adversary_spec_t));
    bool ok = true;
    for (gsize i = 0; i < ng; i++) {
        if (!g_str_has_prefix(groups[i], "adversary "))
            continue;
        adversary_spec_t a = { 0 };
        ok = parse_adversary(c, sc, groups[i], &a) && ok;
        g_array_append_val(advs, a);
    }
    g_strfreev(groups);
    sc->nadversaries = advs->len;
    sc->adversaries = (adversary_spec_t *)g_array_free(advs, FALSE);
    if (ok)
        adversaries_check(c, sc);
}

/* --set adversary.NAME.key=value names the group [adversary NAME] (group
 * names cannot hold a '.', so the form is unambiguous): rewrites group in
 * place. */
static void adversary_group_alias(char *group)
{
    if (g_str_has_prefix(group, "adversary.") && group[strlen("adversary.")])
        group[strlen("adversary")] = ' ';
}

static void print_adversary_keys(FILE *out)
{
    fprintf(out, "\n[adversary NAME]  (any number; NAME is free text; --set adversary.NAME.key=value)\n");
    for (size_t i = 0; i < G_N_ELEMENTS(adversary_specs); i++) {
        const advspec_t *a = &adversary_specs[i];
        char *kinds = strcmp(a->kinds, ADV_ALL) == 0 ? g_strdup("every kind")
                                                     : g_strndup(a->kinds + 1, strlen(a->kinds) - 2);
        fprintf(out, "  %-15s default %-10s for %s: %s\n", a->key, a->def ? a->def : "-", kinds, a->help);
        g_free(kinds);
    }
}

/* ---------- cross checks ---------- */

/* mempool.blacklist: account numbers and addresses, comma separated. */
static void parse_blacklist(ctx_t *c, scenario_t *sc)
{
    if (!sc->mempool.blacklist || !*sc->mempool.blacklist)
        return;
    char **parts = g_strsplit(sc->mempool.blacklist, ",", -1);
    uint32_t n = g_strv_length(parts);
    sc->mempool.blacklist_accounts = g_new0(uint32_t, n);
    sc->mempool.blacklist_addrs = g_new0(addr_t, n);
    for (uint32_t i = 0; i < n; i++) {
        char *p = g_strstrip(parts[i]);
        uint64_t acct;
        if (units_parse_uint(p, &acct) && acct < sc->ledger.accounts)
            sc->mempool.blacklist_accounts[sc->mempool.nblacklist_accounts++] = (uint32_t)acct;
        else if (addr_from_text(&sc->mempool.blacklist_addrs[sc->mempool.nblacklist_addrs], p))
            sc->mempool.nblacklist_addrs++;
        else
            err_key(c, "mempool", "blacklist", sc->mempool.blacklist,
                    "\"%s\" is neither an account number below ledger.accounts (%u) nor a valid address "
                    "(cs followed by 48 hex digits with a correct checksum)", p, sc->ledger.accounts);
    }
    g_strfreev(parts);
}

__extension__ typedef unsigned __int128 u128_t;

/* Reports a time the scenario implies (a sum or product of its values) that
 * is beyond SCENARIO_MAX_TIME_NS; what says how it is made. */
static void err_time(ctx_t *c, const char *group, const char *key, u128_t t_ns, const char *what)
{
    char lim[32];
    if (t_ns > UINT64_MAX)
        err_key(c, group, key, NULL, "%s is more than 2^64 ns, beyond the limit of simulated time, %s (%s ns)",
                what, SCENARIO_MAX_TIME_TEXT, num(lim, sizeof lim, SCENARIO_MAX_TIME_NS));
    else {
        char t[40];
        err_key(c, group, key, NULL, "%s is %s, beyond the limit of simulated time, %s (%s ns)", what,
                units_format_duration((uint64_t)t_ns, t, sizeof t), SCENARIO_MAX_TIME_TEXT,
                num(lim, sizeof lim, SCENARIO_MAX_TIME_NS));
    }
}

/* The slowest transfer rate any message can get: min(sender upload,
 * receiver download) over the regions nodes can be in. */
static uint64_t slowest_bps(const scenario_t *sc, const profile_t *p)
{
    uint64_t up = UINT64_MAX, down = UINT64_MAX;
    for (int r = 0; r < p->nregions; r++) {
        if (!p->share_ppm[r] && p->nregions > 1)
            continue;
        if (p->upload_bps[r] < up)
            up = p->upload_bps[r];
        if (p->download_bps[r] < down)
            down = p->download_bps[r];
    }
    if (sc->net.upload_bps)
        up = sc->net.upload_bps;
    if (sc->net.download_bps)
        down = sc->net.download_bps;
    return up < down ? up : down;
}

/* Every time the simulator computes from the scenario's values stays within
 * SCENARIO_MAX_TIME_NS (each value was checked against it on parsing; event
 * restarts are checked with their event). The simulator then adds at most
 * one such delay to a time within the limit, which stays far below 2^63. */
static void time_check(ctx_t *c, scenario_t *sc)
{
    const u128_t max = SCENARIO_MAX_TIME_NS;
    if (sc->broadcast.count > 0) {
        u128_t last = (u128_t)sc->broadcast.start_ns + (u128_t)(sc->broadcast.count - 1) * sc->broadcast.interval_ns;
        if (last > max)
            err_time(c, "broadcast", "count", last, "the last message, at start + (count - 1) x interval,");
    }
    if (sc->consensus.kind == CONS_POS) {
        u128_t epoch = (u128_t)sc->consensus.slots_per_epoch * sc->consensus.interval_ns;
        if (epoch > max)
            err_time(c, "consensus", "slots_per_epoch", epoch, "an epoch, slots_per_epoch x block_interval,");
    }
    if (sc->consensus.kind == CONS_DPOS) {
        u128_t round = (u128_t)sc->consensus.producers * sc->consensus.blocks_per_turn * sc->consensus.interval_ns;
        if (round > max)
            err_time(c, "consensus", "producers", round,
                     "a round of producers, producers x blocks_per_turn x block_interval,");
    }
    if (sc->workload.rate_per_s > 0 && sc->workload.rate_per_s < SCENARIO_MIN_TX_RATE_PER_S)
        err_key(c, "workload", "tx_rate", NULL, "a nonzero rate must be at least 0.001/h (one per 1000 hours): the "
                "gaps between submissions are drawn around 1/rate and must stay within the limit of simulated "
                "time");

    /* A node's CPU: checking the largest block, and all the work it can be
     * charged over the run (every transaction's signature, every block). */
    u128_t block_cost = 0;
    if (sc->consensus.kind != CONS_NONE) {
        u128_t size = (u128_t)sc->consensus.max_block_bytes + sc->consensus.padding_bytes;
        u128_t ntx = sc->consensus.max_block_bytes / TX_FIXED_BYTES;
        /* chain.c multiplies size by per_kb before dividing by 1000 */
        u128_t kb_product = size * sc->cpu.per_kb_ns;
        block_cost = sc->cpu.header_ns + ntx * ((u128_t)sc->cpu.per_tx_ns + sc->cpu.verify_sig_ns) + kb_product / 1000;
        if (kb_product > UINT64_MAX)
            err_time(c, "cpu", "per_kb", kb_product / 1000, "checking the bytes of the largest block "
                     "(max_block_size + block_padding) x per_kb");
        else if (block_cost > max)
            err_time(c, "cpu", "per_tx", block_cost, "checking the largest block (header + transactions x "
                     "(per_tx + verify_sig) + bytes x per_kb)");
    }
    if (block_cost <= max) {
        double secs = (double)sc->duration_ns / 1e9;
        double txs = sc->workload.rate_per_s * secs;
        double blocks = 0;
        if (sc->consensus.kind != CONS_NONE) {
            blocks = (double)sc->duration_ns / (double)sc->consensus.interval_ns;
            if (sc->consensus.max_blocks && blocks > sc->consensus.max_blocks)
                blocks = sc->consensus.max_blocks;
        }
        /* twice the expected counts, plus room for small runs and forks */
        double work = (2 * txs + 100) * (double)sc->cpu.verify_sig_ns + (2 * blocks + 100) * (double)block_cost;
        if (work > (double)max) {
            char t[40];
            err_key(c, "cpu", "verify_sig", NULL, "the CPU time a node may be charged over the run (verify_sig "
                    "per transaction and the cost of checking each block, for twice the expected transactions and "
                    "blocks) is %s, beyond the limit of simulated time, %s",
                    work >= 1.8e19 ? "more than 2^64 ns" : units_format_duration((uint64_t)work, t, sizeof t),
                    SCENARIO_MAX_TIME_TEXT);
        }
    }

    /* One transfer of the largest message at the slowest bandwidth. */
    uint64_t largest = 0;
    const char *which = NULL;
    if (sc->broadcast.count > 0) {
        largest = sc->broadcast.size_bytes;
        which = "[broadcast] size";
    }
    if (sc->consensus.kind != CONS_NONE &&
        sc->consensus.max_block_bytes + sc->consensus.padding_bytes > largest) {
        largest = sc->consensus.max_block_bytes + sc->consensus.padding_bytes;
        which = "[consensus] max_block_size + block_padding";
    }
    if (sc->workload.rate_per_s > 0 && sc->mempool.max_tx_bytes > largest) {
        largest = sc->mempool.max_tx_bytes;
        which = "[mempool] max_tx_size";
    }
    uint64_t bps = slowest_bps(sc, c->profile);
    if (largest && bps) {
        u128_t xfer = ((u128_t)largest * 8u * 1000000000u + bps - 1) / bps;
        if (xfer > max) {
            char what[160];
            g_snprintf(what, sizeof what, "sending the largest message (%s) at the slowest bandwidth (%"
                       G_GUINT64_FORMAT " bit/s)", which, bps);
            const char *key = sc->net.upload_bps == bps ? "upload" : sc->net.download_bps == bps ? "download"
                                                                                              : "profile";
            err_time(c, "network", key, xfer, what);
        }
    }
}

static void cross_check(ctx_t *c, scenario_t *sc)
{
    char buf[32];
    if (sc->net.topology == TOPO_RANDOM_REGULAR) {
        if (sc->net.degree >= sc->net.nodes)
            err_key(c, "network", "degree", num(buf, sizeof buf, sc->net.degree),
                    "random-regular needs degree < nodes (%u)", sc->net.nodes);
        else if ((uint64_t)sc->net.degree * sc->net.nodes % 2)
            err_key(c, "network", "degree", num(buf, sizeof buf, sc->net.degree),
                    "random-regular needs nodes x degree to be even");
    }
    if (sc->net.topology == TOPO_SMALL_WORLD &&
        (sc->net.degree % 2 || sc->net.degree >= sc->net.nodes))
        err_key(c, "network", "degree", num(buf, sizeof buf, sc->net.degree),
                "small-world needs an even degree smaller than nodes (%u)", sc->net.nodes);
    if (sc->net.topology == TOPO_FULL_MESH && sc->net.nodes > 5000)
        err_key(c, "network", "topology", "full-mesh",
                "a full mesh of %u nodes has too many links; at most 5000 nodes", sc->net.nodes);
    if (sc->net.latency_jitter_ppm > 1000000)
        err_key(c, "network", "latency_jitter", NULL, "at most 100%%");
    if (sc->broadcast.origin >= 0 && (uint64_t)sc->broadcast.origin >= sc->net.nodes)
        err_key(c, "broadcast", "origin", num(buf, sizeof buf, (uint64_t)sc->broadcast.origin),
                "no such node; ids run from 0 to %u", sc->net.nodes - 1);
    if ((uint64_t)sc->broadcast.count * sc->net.nodes > 200000000u)
        err_key(c, "broadcast", "count", NULL,
                "count x nodes is more than 200 million per-node arrival times; use fewer messages or nodes");
    if (sc->workload.amount_min > sc->workload.amount_max)
        err_key(c, "workload", "amount_max", num(buf, sizeof buf, sc->workload.amount_max),
                "smaller than amount_min (%" G_GUINT64_FORMAT ")", sc->workload.amount_min);
    if (sc->workload.fee_min > sc->workload.fee_max)
        err_key(c, "workload", "fee_max", num(buf, sizeof buf, sc->workload.fee_max),
                "smaller than fee_min (%" G_GUINT64_FORMAT ")", sc->workload.fee_min);
    if (sc->workload.rate_per_s > 100000)
        err_key(c, "workload", "tx_rate", NULL, "at most 100000/s");
    if (sc->consensus.kind != CONS_NONE && sc->consensus.interval_ns < 1000000)
        err_key(c, "consensus", "block_interval", NULL, "at least 1ms (a block or slot every nanosecond is not a network)");
    if (sc->consensus.miners > sc->net.nodes)
        err_key(c, "consensus", "miners", num(buf, sizeof buf, sc->consensus.miners),
                "more miners than nodes (%u)", sc->net.nodes);
    uint32_t miners = sc->consensus.miners ? sc->consensus.miners : sc->net.nodes;
    if (sc->consensus.hashpower == HASH_LIST && sc->consensus.nshares > miners)
        err_key(c, "consensus", "hashpower", NULL, "%u shares for %u miners", sc->consensus.nshares, miners);
    if (sc->consensus.kind != CONS_NONE && sc->consensus.min_block_txs > 0 && sc->workload.rate_per_s == 0)
        err_key(c, "consensus", "min_block_txs", num(buf, sizeof buf, sc->consensus.min_block_txs),
                "no block would ever be produced: [workload] tx_rate is 0");
    if ((unsigned __int128)sc->ledger.accounts * sc->ledger.balance > (1ull << 62))
        err_key(c, "ledger", "balance", num(buf, sizeof buf, sc->ledger.balance),
                "accounts x balance must stay below 2^62 smallest units");
    parse_blacklist(c, sc);
    if (sc->broadcast.count > 1 && sc->broadcast.interval_ns == 0)
        err_key(c, "broadcast", "interval", "0", "must be greater than zero when count > 1");
    if (sc->mempool.rate_limit_per_s > 0 &&
        (sc->mempool.rate_limit_per_s < 0.001 || sc->mempool.rate_limit_per_s > 1000000))
        err_key(c, "mempool", "rate_limit", NULL, "expected 0 (no limit) or from 0.001/s to 1000000/s; the limit "
                "is kept in thousandths of a transaction per second");
    time_check(c, sc);
}

/* ---------- memory ---------- */

uint64_t scenario_physical_memory_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return UINT64_MAX; /* unknown: no limit */
    return (uint64_t)pages * (uint64_t)page;
}

/*
 * The estimate is a sum of terms, each a count the scenario implies times
 * bytes measured on peak RSS of release runs (/usr/bin/time -v; the
 * measured and estimated figures are in the README):
 *   a fixed base (program, SQLite, GLib);
 *   per node and per link (topology, adjacency, per-node state);
 *   per broadcast and node (arrival and request times);
 *   with consensus: per node (chain state, mempool, keys), per account,
 *   per block, per block and node (status and arrival times; under proof
 *   of stake also each node's fork-choice tree), per transaction, per
 *   transaction and node (a "known" bit), per node and transaction per
 *   second (announcements batched per link), the transactions a mempool
 *   holds at its fullest (the rate times the longest wait for a block: 2
 *   intervals for slot-based engines, 2 + ln(blocks) intervals for proof of
 *   work, whose gaps are exponential; at most the capacity), and under
 *   proof of stake the latest vote of every validator in every node's view.
 * Counts are expectations: blocks = duration / block_interval (at most
 * max_blocks), transactions = tx_rate x the submission window.
 */
#define MEM_BASE_BYTES (6.0 * 1048576)
#define MEM_NODE_BYTES 128.0
#define MEM_LINK_BYTES 48.0
#define MEM_BCAST_NODE_BYTES 24.0
#define MEM_CHAIN_NODE_BYTES 1536.0
#define MEM_ACCOUNT_BYTES 256.0
#define MEM_BLOCK_BYTES 4096.0
#define MEM_BLOCK_NODE_BYTES 20.0
#define MEM_POS_BLOCK_NODE_BYTES 136.0
#define MEM_TX_BYTES 1024.0
#define MEM_RATE_NODE_BYTES 1024.0
#define MEM_PENDING_TX_BYTES 100.0
#define MEM_POS_VOTE_BYTES 56.0

/* Expected links of the topology. */
static double expected_links(const scenario_t *sc)
{
    double n = sc->net.nodes;
    switch (sc->net.topology) {
    case TOPO_RANDOM_OUTDEGREE: {
        /* mean outdegree = sum over k >= 1 of P(K >= k) */
        double mean = 1, prev = 0;
        for (uint32_t i = 0; i + 1 < sc->net.outdegree_cdf_len; i++) {
            prev = sc->net.outdegree_cdf[i];
            mean += 1 - prev;
        }
        return n * mean;
    }
    case TOPO_RANDOM_REGULAR:
    case TOPO_SMALL_WORLD:
        return n * sc->net.degree / 2;
    case TOPO_FULL_MESH:
        return n * (n - 1) / 2;
    }
    return n * 8;
}

uint64_t scenario_memory_estimate_bytes(const scenario_t *sc)
{
    const double n = sc->net.nodes;
    double m = MEM_BASE_BYTES + n * MEM_NODE_BYTES + expected_links(sc) * MEM_LINK_BYTES;

    if (sc->broadcast.count > 0 && sc->broadcast.start_ns <= sc->duration_ns) {
        double sent = sc->broadcast.interval_ns
                          ? floor((double)(sc->duration_ns - sc->broadcast.start_ns) / sc->broadcast.interval_ns) + 1
                          : 1;
        if (sent > sc->broadcast.count)
            sent = sc->broadcast.count;
        m += sent * n * MEM_BCAST_NODE_BYTES;
    }

    if (sc->consensus.kind != CONS_NONE) {
        const double interval_s = (double)sc->consensus.interval_ns / 1e9;
        double blocks = (double)sc->duration_ns / (double)sc->consensus.interval_ns;
        if (sc->consensus.max_blocks && blocks > sc->consensus.max_blocks)
            blocks = sc->consensus.max_blocks;
        uint64_t start = sc->workload.start_ns, stop = sc->duration_ns;
        if (sc->workload.stop_ns && sc->workload.stop_ns < stop)
            stop = sc->workload.stop_ns;
        const double window_s = stop > start ? (double)(stop - start) / 1e9 : 0;
        const double txs = sc->workload.rate_per_s * window_s;
        const bool pos = sc->consensus.kind == CONS_POS;

        m += n * MEM_CHAIN_NODE_BYTES + (double)sc->ledger.accounts * MEM_ACCOUNT_BYTES;
        m += blocks * (MEM_BLOCK_BYTES + n * (pos ? MEM_POS_BLOCK_NODE_BYTES : MEM_BLOCK_NODE_BYTES));
        m += txs * (MEM_TX_BYTES + n / 8) + n * sc->workload.rate_per_s * MEM_RATE_NODE_BYTES;
        double waits = sc->consensus.kind == CONS_POW ? 2 + log(blocks > 1 ? blocks : 1) : 2;
        double pending = sc->workload.rate_per_s * interval_s * waits;
        if (pending > txs)
            pending = txs;
        if (pending > sc->mempool.capacity)
            pending = sc->mempool.capacity;
        m += n * pending * MEM_PENDING_TX_BYTES;
        if (pos)
            m += n * n * MEM_POS_VOTE_BYTES;
    }
    return m >= 1.8e19 ? UINT64_MAX : (uint64_t)m;
}

/* "1.5 GB", "340 MB", "12 KB" (powers of 1000, as the size unit MB). */
static char *human_bytes(uint64_t b, char *buf, size_t n)
{
    if (b == UINT64_MAX)
        g_snprintf(buf, n, "more than 18 EB");
    else if (b >= 1000000000000ull)
        g_snprintf(buf, n, "%.1f TB", (double)b / 1e12);
    else if (b >= 1000000000ull)
        g_snprintf(buf, n, "%.1f GB", (double)b / 1e9);
    else if (b >= 1000000ull)
        g_snprintf(buf, n, "%.1f MB", (double)b / 1e6);
    else
        g_snprintf(buf, n, "%.1f KB", (double)b / 1e3);
    return buf;
}

char *scenario_memory_text(const scenario_t *sc)
{
    char est[32], lim[32];
    uint64_t e = scenario_memory_estimate_bytes(sc);
    if (sc->memory_limit_bytes == UINT64_MAX)
        return g_strdup_printf("estimated memory %s (no limit)", human_bytes(e, est, sizeof est));
    return g_strdup_printf("estimated memory %s (limit %s)", human_bytes(e, est, sizeof est),
                           human_bytes(sc->memory_limit_bytes, lim, sizeof lim));
}

/* Refuses a scenario whose estimate is above scenario.memory_limit. */
static void memory_check(ctx_t *c, const scenario_t *sc)
{
    uint64_t e = scenario_memory_estimate_bytes(sc);
    if (e <= sc->memory_limit_bytes)
        return;
    char est[32], lim[32];
    char *raw = g_key_file_get_value(c->kf, "scenario", "memory_limit", NULL);
    err_key(c, "scenario", "memory_limit", NULL,
            "the run needs an estimated %s of memory (nodes, links, blocks x nodes, transactions x nodes, "
            "mempools), more than the limit of %s (%s); make the scenario smaller, or raise the limit with "
            "--set scenario.memory_limit=SIZE (e.g. 64GB) or =none",
            human_bytes(e, est, sizeof est), human_bytes(sc->memory_limit_bytes, lim, sizeof lim),
            raw ? "scenario.memory_limit" : "the machine's physical memory, the default");
    g_free(raw);
}

/* Why name cannot name a run (it becomes the results file
 * results/NAME.db), or NULL when it can. */
static const char *name_problem(const char *name)
{
    if (!*name)
        return "empty; the name becomes the results file name results/NAME.db";
    if (strchr(name, '/'))
        return "contains '/'; the name becomes the results file name results/NAME.db (use --out for "
               "another folder)";
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "contains a control character; the name becomes the results file name results/NAME.db";
    if (strlen(name) > SCENARIO_MAX_NAME_BYTES)
        return "too long: at most " G_STRINGIFY(SCENARIO_MAX_NAME_BYTES) " bytes (it becomes the results "
               "file name results/NAME.db)";
    return NULL;
}

/* ---------- the resolved parameter list ---------- */

static gint cmp_strp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *resolved_params(ctx_t *c)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
        const keyspec_t *s = &specs[i];
        /* stripped, as parsing strips them (GKeyFile keeps trailing spaces) */
        char *v = g_key_file_get_value(c->kf, s->group, s->key, NULL);
        g_ptr_array_add(lines, g_strdup_printf("%s.%s = %s", s->group, s->key, v ? g_strstrip(v) : s->def));
        g_free(v);
    }
    gsize ng = 0;
    char **groups = g_key_file_get_groups(c->kf, &ng);
    for (gsize i = 0; i < ng; i++) {
        if (!g_str_has_prefix(groups[i], "event ") && !g_str_has_prefix(groups[i], "adversary "))
            continue;
        gsize nk = 0;
        char **keys = g_key_file_get_keys(c->kf, groups[i], &nk, NULL);
        for (gsize j = 0; j < nk; j++) {
            char *v = g_key_file_get_value(c->kf, groups[i], keys[j], NULL);
            g_ptr_array_add(lines, g_strdup_printf("%s.%s = %s", groups[i], keys[j], g_strstrip(v)));
            g_free(v);
        }
        g_strfreev(keys);
    }
    g_strfreev(groups);
    g_ptr_array_sort(lines, cmp_strp);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < lines->len; i++)
        g_string_append_printf(out, "%s\n", (char *)g_ptr_array_index(lines, i));
    g_ptr_array_free(lines, TRUE);
    return g_string_free(out, FALSE);
}

/* ---------- loading ---------- */

static bool apply_overrides(ctx_t *c, char *const *ov, int n, GString *ovtext)
{
    bool ok = true;
    for (int i = 0; i < n; i++) {
        const char *arg = ov[i];
        const char *eq = strchr(arg, '=');
        const char *dot = NULL;
        if (eq)
            for (const char *p = arg; p < eq; p++)
                if (*p == '.')
                    dot = p;
        if (!eq || !dot || dot == arg || dot + 1 == eq) {
            char *a = printable(arg);
            g_string_append_printf(c->errors, "--set %s: expected group.key=value (e.g. network.nodes=500)\n", a);
            g_free(a);
            ok = false;
            continue;
        }
        if (!g_utf8_validate(arg, -1, NULL)) {
            char *a = printable(arg);
            g_string_append_printf(c->errors, "--set %s: not UTF-8 text\n", a);
            g_free(a);
            ok = false;
            continue;
        }
        char *group = g_strstrip(g_strndup(arg, (size_t)(dot - arg)));
        char *key = g_strstrip(g_strndup(dot + 1, (size_t)(eq - dot - 1)));
        adversary_group_alias(group);
        char *value = g_strstrip(g_strdup(eq + 1));
        char *bad = NULL;
        char *gshown = printable(group), *kshown = printable(key);
        if (!valid_group_name(group))
            bad = g_strdup_printf("group name \"%s\" is not valid: it may not be empty or contain '.', '[', "
                                  "']', '=' or control characters", gshown);
        else if (!valid_key_name(key))
            bad = g_strdup_printf("key name \"%s\" is not valid: it may not start with '#' or contain '[', "
                                  "']', '=' or control characters", kshown);
        else if (!valid_value(value))
            bad = g_strdup("the value contains a control character (newline, carriage return, ...)");
        g_free(gshown);
        g_free(kshown);
        if (bad) {
            char *a = printable(arg);
            g_string_append_printf(c->errors, "--set %s: %s\n", a, bad);
            g_free(a);
            ok = false;
            g_free(bad);
            g_free(group);
            g_free(key);
            g_free(value);
            continue;
        }
        g_key_file_set_value(c->kf, group, key, value);
        g_hash_table_insert(c->setargs, gk(group, key), (gpointer)arg);
        char *gonly = gk(group, NULL);
        if (!g_hash_table_contains(c->lines, gonly) && !g_hash_table_contains(c->setargs, gonly))
            g_hash_table_insert(c->setargs, gonly, (gpointer)arg);
        else
            g_free(gonly);
        g_string_append_printf(ovtext, "%s\n", arg);
        g_free(group);
        g_free(key);
        g_free(value);
    }
    return ok;
}

static bool is_known_group(const char *g)
{
    for (size_t i = 0; i < G_N_ELEMENTS(known_groups); i++)
        if (strcmp(known_groups[i], g) == 0)
            return true;
    return false;
}

static const keyspec_t *find_spec(const char *group, const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(specs); i++)
        if (strcmp(specs[i].group, group) == 0 && strcmp(specs[i].key, key) == 0)
            return &specs[i];
    return NULL;
}

static void check_names(ctx_t *c)
{
    gsize ng = 0;
    char **groups = g_key_file_get_groups(c->kf, &ng);
    for (gsize i = 0; i < ng; i++) {
        const char *g = groups[i];
        if (g_str_has_prefix(g, "event ") || g_str_has_prefix(g, "adversary "))
            continue;
        if (!is_known_group(g)) {
            err_key(c, g, NULL, NULL, "unknown group; known groups: [scenario], [network], [broadcast], "
                    "[record], [consensus], [ledger], [workload], [mempool], [relay], [cpu], [event NAME] "
                    "for timed events and [adversary NAME] for attackers");
            continue;
        }
        gsize nk = 0;
        char **keys = g_key_file_get_keys(c->kf, g, &nk, NULL);
        for (gsize j = 0; j < nk; j++) {
            if (find_spec(g, keys[j]))
                continue;
            GString *known = g_string_new(NULL);
            for (size_t s = 0; s < G_N_ELEMENTS(specs); s++)
                if (strcmp(specs[s].group, g) == 0)
                    g_string_append_printf(known, "%s%s", known->len ? ", " : "", specs[s].key);
            err_key(c, g, keys[j], NULL, "unknown key; keys of [%s]: %s", g, known->str);
            g_string_free(known, TRUE);
        }
        g_strfreev(keys);
    }
    g_strfreev(groups);
}

/* Reports text that is not UTF-8, the first bad byte at offset `at`: a
 * UTF-16 byte-order mark is named, otherwise the line and the byte. */
static void report_encoding(ctx_t *c, const char *text, size_t at)
{
    const unsigned char *u = (const unsigned char *)text;
    if ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff)) {
        g_string_append_printf(c->errors, "%s: UTF-16 text (it starts with a UTF-16 byte-order mark); scenario "
                               "files are UTF-8: save the file as UTF-8\n", c->path);
        return;
    }
    int line = 1;
    for (size_t i = 0; i < at; i++)
        line += text[i] == '\n';
    g_string_append_printf(c->errors, "%s:%d: not UTF-8 text (byte 0x%02x); scenario files are UTF-8\n", c->path,
                           line, u[at]);
}

/* The line on which GKeyFile first refuses text: the smallest k such that
 * the first k lines do not load (binary search; loading is monotone, as a
 * prefix that fails keeps failing). 0 when the whole text loads. */
static int keyfile_error_line(const char *text)
{
    char **lines = g_strsplit(text, "\n", -1);
    int n = (int)g_strv_length(lines), lo = 1, hi = n, found = 0;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        char *saved = lines[mid];
        lines[mid] = NULL;
        char *joined = g_strjoinv("\n", lines);
        char *prefix = g_strconcat(joined, "\n", NULL);
        g_free(joined);
        lines[mid] = saved;
        GKeyFile *kf = g_key_file_new();
        bool loads = g_key_file_load_from_data(kf, prefix, (gsize)-1, G_KEY_FILE_NONE, NULL);
        g_key_file_free(kf);
        g_free(prefix);
        if (loads) {
            lo = mid + 1;
        } else {
            found = mid;
            hi = mid - 1;
        }
    }
    g_strfreev(lines);
    return found;
}

scenario_t *scenario_load_text(const char *path, const char *text, char *const *overrides,
                               int noverrides, char **errors)
{
    char *path_shown = printable(path); /* messages stay one line whatever the file name */
    ctx_t c = {
        .path = path_shown,
        .errors = g_string_new(NULL),
        .lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .setargs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .kf = g_key_file_new(),
    };
    scenario_t *sc = g_new0(scenario_t, 1);
    GString *ovtext = g_string_new(NULL);
    GError *gerr = NULL;

    /* A UTF-8 byte-order mark at the very start is accepted and skipped
     * (some editors write one); the text is still kept verbatim. */
    const char *body = g_str_has_prefix(text, UTF8_BOM) ? text + strlen(UTF8_BOM) : text;
    const char *bad_utf8 = NULL;
    if (!g_utf8_validate(body, -1, &bad_utf8)) {
        report_encoding(&c, text, (size_t)(bad_utf8 - text));
        goto done;
    }
    if (!scan_lines(&c, body))
        goto done;
    /* GKeyFile drops the '\r' of a CRLF line end only before a newline:
     * give it one at the end. */
    char *kf_text = g_str_has_suffix(body, "\n") ? g_strdup(body) : g_strconcat(body, "\n", NULL);
    bool loaded = g_key_file_load_from_data(c.kf, kf_text, (gsize)-1, G_KEY_FILE_NONE, &gerr);
    g_free(kf_text);
    if (!loaded) {
        /* scan_lines accepts only what GKeyFile accepts, so this is not
         * expected; still give the line. */
        char *msg = printable(gerr->message);
        g_string_append_printf(c.errors, "%s:%d: %s\n", c.path, keyfile_error_line(body), msg);
        g_free(msg);
        g_error_free(gerr);
        goto done;
    }
    if (!apply_overrides(&c, overrides, noverrides, ovtext))
        goto done;
    check_names(&c);
    if (c.errors->len)
        goto done;

    /* Fixed groups: file value or default. */
    for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
        const keyspec_t *s = &specs[i];
        /* Raw values throughout: a backslash is a backslash (no key-file
         * escapes), so "C:\data" and "my\run" mean what they say. */
        char *raw = g_key_file_get_value(c.kf, s->group, s->key, NULL);
        if (raw)
            g_strstrip(raw);
        set_value(&c, sc, s, raw ? raw : s->def);
        g_free(raw);
    }
    if (c.errors->len)
        goto done;
    c.profile = profile_get(sc->net.profile);
    if (g_key_file_has_key(c.kf, "scenario", "name", NULL)) {
        const char *why = name_problem(sc->name);
        if (why)
            err_key(&c, "scenario", "name", sc->name, "%s", why);
    } else {
        g_free(sc->name);
        char *b = g_path_get_basename(path);
        if (g_str_has_suffix(b, ".ini"))
            b[strlen(b) - 4] = '\0';
        sc->name = b;
        const char *why = name_problem(sc->name);
        if (why)
            err_key(&c, "scenario", "name", sc->name, "the name taken from the file name %s: %s; set "
                    "[scenario] name", c.path, why);
    }
    cross_check(&c, sc);

    /* Timed events. */
    gsize ng = 0;
    char **groups = g_key_file_get_groups(c.kf, &ng);
    GArray *faults = g_array_new(FALSE, TRUE, sizeof(fault_t));
    for (gsize i = 0; i < ng; i++) {
        if (!g_str_has_prefix(groups[i], "event "))
            continue;
        fault_t f = { 0 };
        parse_event(&c, sc, groups[i], &f);
        g_array_append_val(faults, f);
    }
    g_strfreev(groups);
    sc->nfaults = faults->len;
    sc->faults = (fault_t *)g_array_free(faults, FALSE);
    if (sc->nfaults > 1)
        qsort(sc->faults, sc->nfaults, sizeof(fault_t), fault_cmp);
    parse_adversaries(&c, sc);
    if (c.errors->len)
        goto done;

    memory_check(&c, sc);
    if (c.errors->len)
        goto done;

    sc->path = g_strdup(path);
    sc->text = g_strdup(text);
    sc->params = resolved_params(&c);
    sc->overrides = g_strdup(ovtext->str);

done:
    g_free(path_shown);
    g_string_free(ovtext, TRUE);
    g_hash_table_destroy(c.lines);
    g_hash_table_destroy(c.setargs);
    g_key_file_free(c.kf);
    if (c.errors->len) {
        *errors = g_string_free(c.errors, FALSE);
        scenario_free(sc);
        return NULL;
    }
    g_string_free(c.errors, TRUE);
    *errors = NULL;
    return sc;
}

scenario_t *scenario_load_data(const char *path, const char *data, size_t len, char *const *overrides,
                               int noverrides, char **errors)
{
    const unsigned char *u = (const unsigned char *)data;
    char *shown = printable(path);
    if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) {
        *errors = g_strdup_printf("%s: UTF-16 text (it starts with a UTF-16 byte-order mark); scenario files "
                                  "are UTF-8: save the file as UTF-8\n", shown);
        g_free(shown);
        return NULL;
    }
    const char *nul = memchr(data, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *p = data; p < nul; p++)
            line += *p == '\n';
        *errors = g_strdup_printf("%s:%d: contains a NUL byte; not a scenario file\n", shown, line);
        g_free(shown);
        return NULL;
    }
    g_free(shown);
    char *text = g_strndup(data, len);
    scenario_t *sc = scenario_load_text(path, text, overrides, noverrides, errors);
    g_free(text);
    return sc;
}

scenario_t *scenario_load(const char *path, char *const *overrides, int noverrides, char **errors)
{
    char *text = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(path, &text, &len, &gerr)) {
        char *shown = printable(path);
        *errors = g_strdup_printf("%s: cannot read the scenario file: %s\n", shown, gerr->message);
        g_free(shown);
        g_error_free(gerr);
        return NULL;
    }
    scenario_t *sc = scenario_load_data(path, text, len, overrides, noverrides, errors);
    g_free(text);
    return sc;
}

void scenario_free(scenario_t *sc)
{
    if (!sc)
        return;
    for (uint32_t i = 0; i < sc->nfaults; i++) {
        fault_t *f = &sc->faults[i];
        g_free(f->name);
        g_free(f->ranges);
        g_free(f->group_of_range);
        g_free(f->group_regions);
        g_free(f->group_fraction_ppm);
        g_free(f->nodes);
    }
    g_free(sc->faults);
    for (uint32_t i = 0; i < sc->nadversaries; i++)
        adversary_spec_free(&sc->adversaries[i]);
    g_free(sc->adversaries);
    g_free(sc->path);
    g_free(sc->text);
    g_free(sc->params);
    g_free(sc->overrides);
    g_free(sc->name);
    g_free(sc->description);
    g_free(sc->mempool.blacklist);
    g_free(sc->mempool.blacklist_accounts);
    g_free(sc->mempool.blacklist_addrs);
    g_free(sc);
}

const char *scenario_fault_kind_name(fault_kind_t k)
{
    return fault_names[k];
}

const char *scenario_adversary_kind_name(adversary_kind_t k)
{
    return adversary_names[k];
}

void scenario_print_keys(FILE *out)
{
    const char *group = "";
    for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
        const keyspec_t *s = &specs[i];
        if (strcmp(group, s->group) != 0) {
            fprintf(out, "%s[%s]\n", i ? "\n" : "", s->group);
            group = s->group;
        }
        if (s->type == T_ENUM) {
            char *l = enum_list(s->choices);
            fprintf(out, "  %-15s default %-18s one of: %s\n  %15s %s\n", s->key, s->def, l, "", s->help);
            g_free(l);
        } else {
            fprintf(out, "  %-15s default %-18s %s\n  %15s %s\n", s->key, *s->def ? s->def : "\"\"",
                    expected(s->type), "", s->help);
        }
    }
    fprintf(out, "\n[event NAME]  (any number; NAME is free text)\n");
    for (size_t i = 0; i < G_N_ELEMENTS(event_specs); i++) {
        const evspec_t *e = &event_specs[i];
        char *types = g_strndup(e->types + 1, strlen(e->types) - 2);
        fprintf(out, "  %-15s %-8s for %s: %s\n", e->key, e->required ? "required" : "optional", types, e->help);
        g_free(types);
    }
    print_adversary_keys(out);
}
