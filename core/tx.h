/*
 * tx.h - transactions: immutable, reference-counted objects shared by every
 * node that holds them.
 *
 * Canonical encoding (all integers little-endian), version 1:
 *   u8  version (1)
 *   u8  kind
 *   32  sender public key
 *   20  recipient address
 *   u64 amount (smallest units)
 *   u64 fee
 *   u64 nonce (the sender's n-th transaction, from 0)
 *   u32 payload length L (0 for transfers; room for stake, vote and contract
 *       transactions), then L bytes
 *   64  Ed25519 signature by the sender over everything above
 * The id is BLAKE2b-256 of the whole encoding, signature included. The
 * signature check is computed once per object and remembered (tx_verify), as
 * every honest node gets the same answer.
 */
#ifndef CHAINSIM_TX_H
#define CHAINSIM_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "core/keys.h"

#define TX_VERSION 1
#define TX_FIXED_BYTES (1 + 1 + PK_BYTES + ADDR_BYTES + 8 + 8 + 8 + 4 + SIG_BYTES) /* 146 */
#define TX_MAX_PAYLOAD 65536

/* Transfers move amount to the recipient. Stake, unstake and vote carry a
 * 4-byte payload: the validator or delegate node id (u32 little-endian);
 * their recipient is unused (all zero). See core/ledger.h for their effect. */
typedef enum { TX_TRANSFER = 1, TX_STAKE = 2, TX_UNSTAKE = 3, TX_VOTE = 4, TX_KIND_MAX = 4 } tx_kind_t;

typedef struct tx {
    hash32_t id;
    uint32_t refs;
    uint8_t kind;
    int8_t sig_ok; /* memo: -1 not checked yet, 0 bad, 1 good */
    uint8_t sender_pk[PK_BYTES];
    addr_t sender; /* derived from sender_pk */
    addr_t recipient;
    uint64_t amount;
    uint64_t fee;
    uint64_t nonce;
    uint32_t payload_len;
    uint32_t pool_hint; /* where a mempool's shared set last filed it; a hint it checks (not content) */
    uint8_t *payload; /* owned; NULL when payload_len == 0 */
    uint8_t sig[SIG_BYTES];
    uint32_t size_bytes; /* length of the canonical encoding */
    uint32_t sim_index;  /* dense number the simulator assigns; 0 = none (not part of the content) */
} tx_t;

/* A signed transfer; refs = 1. Never NULL. */
tx_t *tx_new_transfer(const keypair_t *from, const addr_t *to, uint64_t amount, uint64_t fee, uint64_t nonce);

/* A transfer with a given (possibly wrong) signature, for tests and for the
 * workload's deliberately invalid transactions; refs = 1. */
tx_t *tx_new_unchecked(const uint8_t sender_pk[PK_BYTES], const addr_t *to, uint64_t amount, uint64_t fee,
                       uint64_t nonce, const uint8_t sig[SIG_BYTES]);

/* A signed stake, unstake or vote transaction for node `target`; refs = 1.
 * amount: stake / unstake amount (0 for a vote). Never NULL. */
tx_t *tx_new_call(const keypair_t *from, tx_kind_t kind, uint32_t target, uint64_t amount, uint64_t fee,
                  uint64_t nonce);

/* The node id a stake, unstake or vote transaction names; UINT32_MAX when the
 * payload is not 4 bytes. */
uint32_t tx_target(const tx_t *tx);

/* Writes the canonical encoding into buf (cap bytes); returns its length, or
 * 0 when cap is too small. */
size_t tx_encode(const tx_t *tx, uint8_t *buf, size_t cap);

/* Parses a canonical encoding. Returns a new transaction (refs = 1), or NULL
 * with *why set to a static reason (truncated, trailing bytes, bad version,
 * unknown kind, payload too long). The signature is not checked here. */
tx_t *tx_decode(const uint8_t *buf, size_t len, const char **why);

/* True when the signature is valid; computed once per object. */
bool tx_verify(tx_t *tx);

tx_t *tx_ref(tx_t *tx);
void tx_unref(tx_t *tx);

/* Fee per byte, as parts per million of a unit per byte (integer; for
 * ordering). */
uint64_t tx_feerate_ppm(const tx_t *tx);

#endif
