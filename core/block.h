/*
 * block.h - blocks: immutable, shared by every node that holds them, and
 * kept for the whole run (a run creates thousands, not millions).
 *
 * Header encoding (little-endian), hashed with BLAKE2b-256 for the block id:
 *   u8 version, 32 parent id, u64 height, u64 time_ns, u32 producer (node id),
 *   20 producer address (receives reward and fees), 32 transactions root,
 *   u64 difficulty, u64 nonce, u64 slot, u32 extra length E, E extra bytes
 *   (consensus evidence: proposer signature, votes...), u64 padding_bytes.
 * The transactions root is a binary Merkle tree of the transaction ids
 * (BLAKE2b-256 of the two children; an odd node is paired with itself; the
 * root of no transactions is all zeros).
 *
 * Memos: `state` and `valid` are the result of applying the block on its
 * parent's state (core/ledger.h); `work` is the cumulative work of the chain
 * ending here. They are computed once and shared by every node.
 */
#ifndef CHAINSIM_BLOCK_H
#define CHAINSIM_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "core/keys.h"
#include "core/state.h"
#include "core/tx.h"

#define BLOCK_VERSION 1
#define BLOCK_HEADER_FIXED_BYTES (1 + 32 + 8 + 8 + 4 + ADDR_BYTES + 32 + 8 + 8 + 8 + 4 + 8) /* 141 */

typedef struct block_header {
    hash32_t parent;
    uint64_t height;
    uint64_t time_ns;
    uint32_t producer;
    addr_t producer_addr;
    hash32_t tx_root;
    uint64_t difficulty;
    uint64_t nonce;
    uint64_t slot;
    uint32_t extra_len;
    uint8_t *extra; /* owned */
    uint64_t padding_bytes; /* body bytes that stand for content not modelled */
} block_header_t;

typedef struct block {
    block_header_t h;
    hash32_t id;
    struct block *parent; /* NULL for genesis; the parent's object */
    tx_t **txs;           /* owned references */
    uint32_t ntx;
    uint32_t index;       /* dense number in the run, 0 = genesis */
    uint64_t size_bytes;  /* header + transactions + padding */
    uint64_t work;        /* cumulative: parent's work + difficulty */
    /* memo of ledger_apply */
    int8_t valid;         /* -1 not applied yet, 0 invalid, 1 valid */
    const char *invalid_reason;
    state_t *state;       /* state after this block; owned reference */
    void *cons;           /* consensus engine's per-block memo; owned by the engine */
} block_t;

/* Creates a block on parent (NULL for genesis) with the given transactions
 * (references are taken). Computes tx_root, id, size and work. The header
 * fields not given here (difficulty, nonce, slot, extra) are set through
 * `h` before calling block_seal(). */
block_t *block_new(block_t *parent, uint64_t time_ns, uint32_t producer, const addr_t *producer_addr,
                   tx_t *const *txs, uint32_t ntx, uint64_t padding_bytes);

/* Computes id, size and work after the header is complete. */
void block_seal(block_t *b);

/* Header encoding into buf (cap bytes); returns length or 0 if too small. */
size_t block_header_encode(const block_header_t *h, uint8_t *buf, size_t cap);

/* Block wire encoding: the header encoding above, u32 transaction count N,
 * then the N canonical transaction encodings (core/tx.h; each one says its
 * own length). Limits a decoder enforces: extra_len <= BLOCK_MAX_EXTRA_BYTES,
 * N <= BLOCK_MAX_TXS. */
#define BLOCK_MAX_EXTRA_BYTES (1u << 24)
#define BLOCK_MAX_TXS (1u << 24)

/* Length of b's wire encoding. */
size_t block_encoded_bytes(const block_t *b);

/* Writes b's wire encoding into buf (cap bytes); returns its length, or 0
 * when cap is too small. */
size_t block_encode(const block_t *b, uint8_t *buf, size_t cap);

/* Parses a wire encoding. Returns a new block, or NULL with *why set to a
 * static reason ("truncated", "bad version", "extra too long", "too many
 * transactions", "bad transaction", "trailing bytes"). The block is not
 * linked (parent = NULL; h.parent holds the parent's id), its id is the
 * BLAKE2b-256 of the header bytes, its work is its own difficulty, and
 * nothing is validated beyond the format (not the transactions root, nor
 * any signature). A decoded block re-encodes to exactly the input. Free
 * with block_free. */
block_t *block_decode(const uint8_t *buf, size_t len, const char **why);

/* Merkle root of the transaction ids. */
void block_tx_root(tx_t *const *txs, uint32_t ntx, hash32_t *out);

/* True when b's header commits to its transactions (tx_root matches). */
bool block_check_root(const block_t *b);

/* Frees the block and its references (not its parent). */
void block_free(block_t *b);

#endif
