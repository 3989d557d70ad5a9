/*
 * mempool.h - a node's pool of pending transactions, and block building.
 *
 * The pool holds references to shared transactions. Admission checks, in
 * order: blacklisted sender, size, duplicate (same id), fee below the minimum,
 * signature, nonce below the sender's state nonce (a replay or double spend),
 * nonce beyond the window, another pending transaction with the same sender
 * and nonce (a double spend; the first one seen stays), balance not covering
 * amount + fee plus the sender's pending transactions with lower nonces, the
 * per-sender rate limit (token bucket), and capacity (see Eviction).
 *
 * Gaps: a sender's transactions may arrive in any nonce order (gossip does
 * not preserve it). A transaction whose lower nonces are not (all) pending
 * is still admitted when it passes the checks above; it waits in the pool
 * for its predecessors, like a client's queued transactions. A sender's
 * "chain" is its pending transactions sorted by nonce; it has a gap at the
 * front when its lowest pending nonce is above the state nonce, and a gap
 * inside when two consecutive pending nonces differ by more than one.
 *
 * Eviction: when the pool is full, the candidate victim is, among the LAST
 * transactions (highest nonce) of each sender's chain, the one with the
 * lowest fee rate (ties: the greatest id, i.e. the last in pool order), so
 * no chain is ever broken in the middle. It is evicted if the newcomer's
 * fee rate is strictly higher, unless it is the tail of the newcomer's own
 * chain with a lower nonce (the newcomer would then follow a gap); in every
 * other case the newcomer is refused with MP_FULL.
 *
 * Ordering is deterministic everywhere: by fee rate (descending), then by id;
 * per sender by nonce. Nothing depends on hash-table iteration order.
 */
#ifndef CHAINSIM_MEMPOOL_H
#define CHAINSIM_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ledger.h"
#include "core/state.h"
#include "core/tx.h"

typedef enum {
    MP_ADDED = 0,
    MP_DUPLICATE,
    MP_BLACKLISTED,
    MP_TOO_LARGE,
    MP_FEE_LOW,
    MP_SIGNATURE,
    MP_NONCE_LOW,
    MP_NONCE_HIGH,
    MP_DOUBLE_SPEND,
    MP_BALANCE,
    MP_RATE_LIMITED,
    MP_FULL,
    MP_RESULT_COUNT
} mp_result_t;

const char *mp_result_name(mp_result_t r);

/* The transactions held by a set of pools (the nodes of one run), kept once
 * for all of them: each pool then costs about a bit per transaction it
 * holds (see mempool.c). Free it after every pool that uses it. */
typedef struct mempool_shared mempool_shared_t;

mempool_shared_t *mempool_shared_new(void);
void mempool_shared_free(mempool_shared_t *sh);

typedef struct mempool_cfg {
    uint32_t capacity;        /* transactions */
    uint64_t min_fee;         /* smallest units */
    uint32_t max_tx_bytes;
    uint32_t nonce_window;    /* accepted nonces: [state nonce, state nonce + window) */
    uint32_t rate_limit_milli_per_s; /* per sender, thousandths of a tx per second; 0 = none */
    uint32_t rate_burst;      /* bucket size */
    const addr_t *blacklist;  /* sorted (addr_cmp); not owned */
    size_t nblacklist;
    mempool_shared_t *shared; /* borrowed; NULL: the pool keeps its own */
} mempool_cfg_t;

typedef struct mempool mempool_t;

/* cfg is copied (the blacklist array is borrowed and must outlive the pool). */
mempool_t *mempool_new(const mempool_cfg_t *cfg);
void mempool_free(mempool_t *mp);

/* Tries to admit tx against the node's tip state at time now_ns. On
 * MP_ADDED the pool takes a reference (pools sharing a set share one
 * reference, and hold the object first filed under tx's id). If admission evicted another
 * transaction, *evicted (when not NULL) gets it (a reference the caller must
 * drop), else NULL. */
mp_result_t mempool_add(mempool_t *mp, tx_t *tx, const state_t *tip, uint64_t now_ns, tx_t **evicted);

/* mempool_add with a hint the caller keeps for tx (as mempool_contains_hint
 * below): when it names tx, admission reads the pools' shared record of tx
 * instead of the object. */
mp_result_t mempool_add_hint(mempool_t *mp, tx_t *tx, uint32_t *hint, const state_t *tip, uint64_t now_ns,
                             tx_t **evicted);

/* Puts back a transaction of a disconnected block after a reorganisation:
 * same checks as mempool_add but no rate limit. */
mp_result_t mempool_readd(mempool_t *mp, tx_t *tx, const state_t *tip);

bool mempool_contains(const mempool_t *mp, const hash32_t *id);
/* The same for tx's id; faster for objects the pools already hold. */
bool mempool_contains_tx(const mempool_t *mp, const tx_t *tx);
size_t mempool_count(const mempool_t *mp);
uint64_t mempool_bytes(const mempool_t *mp);

/* Removes a transaction (included in a block); false if absent. */
bool mempool_remove(mempool_t *mp, const hash32_t *id);
bool mempool_remove_tx(mempool_t *mp, const tx_t *tx);

/* mempool_contains_tx and mempool_remove_tx with a hint the caller keeps
 * for tx (0 at first; the function checks it and updates it): for callers
 * that look up the same transactions in many pools, such as a block's at
 * every node, it saves reading the transaction object itself. */
bool mempool_contains_hint(const mempool_t *mp, const tx_t *tx, uint32_t *hint);
bool mempool_remove_hint(mempool_t *mp, const tx_t *tx, uint32_t *hint);

/* For callers that admit, look up or remove many transactions in a row (a
 * block's, a gossip reply's): asks the processor to start loading what the
 * call for the transaction under `hint` will read, a few transactions
 * ahead. mempool_prefetch_hint: its record in the shared set and the pool's
 * bit; mempool_prefetch_sender (once the first has had time to arrive): its
 * sender's record and the pool's mark for it. Only speed depends on them:
 * any hint, stale or 0, is allowed, and nothing changes. */
void mempool_prefetch_hint(const mempool_t *mp, uint32_t hint);
void mempool_prefetch_sender(const mempool_t *mp, uint32_t hint);

/* Drops, for each sender against its account on tip (nonce n, balance b),
 * and returns how many:
 *   - transactions with a nonce below n (already used);
 *   - in the contiguous run of pending nonces n, n+1, ... (affordability is
 *     defined over this run only), every transaction from the first one
 *     whose amount + fee, added to those of the run's lower nonces, exceeds
 *     b (or overflows) to the end of the run;
 *   - after a gap (past the run, or when nonce n itself is not pending),
 *     transactions outside the nonce window [n, n + nonce_window).
 * Transactions after a gap within the window are kept, whatever their cost:
 * they wait for their predecessors. The run is not limited by the window. */
size_t mempool_prune(mempool_t *mp, const state_t *tip);

/* Block building: packs transactions by fee rate, respecting each sender's
 * nonce order, checking each against `parent` as it goes (ledger_apply_tx on
 * a scratch state), until max_bytes of transactions. Chosen transactions
 * stay in the pool (the caller removes them once the block connects).
 *   - A sender whose chain has a gap at the front (lowest pending nonce, not
 *     counting already used ones, above its nonce on parent) is skipped:
 *     nothing of it is chosen, removed or counted.
 *   - When a gap appears inside a chain (the next pending nonce is not the
 *     next expected one), that sender's turn ends; the rest of its chain
 *     stays in the pool, uncounted.
 *   - A transaction that does not fit the remaining bytes ends its sender's
 *     turn; it stays in the pool, uncounted.
 *   - A transaction that really fails (bad signature or format, nonce
 *     already used, unaffordable, overflow) is removed from the pool and
 *     counted in dropped[reason]. After a used nonce the sender's later
 *     nonces are still considered; after any other failure the sender's
 *     turn ends and its later nonces stay in the pool (they may become
 *     valid again, e.g. after a reorganisation, or be pruned).
 * So dropped[TXERR_NONCE_HIGH] is never incremented. dropped[] is added to,
 * never reset: the caller zeroes it (or keeps running totals across calls);
 * it may be NULL to not count. Returns the number chosen; *out gets a new
 * array of references (free each with tx_unref and the array with g_free). */
uint32_t mempool_select(mempool_t *mp, const state_t *parent, uint64_t max_bytes, tx_t ***out,
                        uint32_t dropped[TXERR_COUNT]);

/* All pending transactions in the pool's order (fee rate, id); borrowed
 * pointers in a new array (g_free it). */
tx_t **mempool_list(const mempool_t *mp, size_t *n);

#endif
