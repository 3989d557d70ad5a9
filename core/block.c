/*
 * block.c - blocks: header encoding, id, transactions root, size and work.
 *
 * Header encoding (little-endian; BLOCK_HEADER_FIXED_BYTES + extra_len):
 *   u8 version | 32 parent | u64 height | u64 time_ns | u32 producer |
 *   20 producer_addr | 32 tx_root | u64 difficulty | u64 nonce | u64 slot |
 *   u32 extra_len | extra | u64 padding_bytes
 * id = BLAKE2b-256(header encoding).
 *
 * Transactions root: level 0 is the list of transaction ids; each next level
 * hashes adjacent pairs, BLAKE2b-256(left || right), pairing an odd last node
 * with itself, until one hash remains. One transaction: the root is its id.
 * No transactions: all zeros. The reduction is done in place in one scratch
 * array of ntx hashes.
 *
 * Self-pairing has a known ambiguity (Bitcoin's CVE-2012-2459): the lists
 * [a, b, c] and [a, b, c, c] have the same root, so a block with a duplicated
 * tail and the honest block would share an id. block_check_root therefore
 * also rejects a tree in which two real siblings are equal; that only happens
 * when a transaction is repeated, which no valid block does (same id means
 * same sender and nonce).
 *
 * Wire encoding (block_encode / block_decode): the header, u32 transaction
 * count, the transactions' canonical encodings back to back. The decoder
 * checks, before every read, that the bytes are there; it bounds extra_len
 * and the count before using them in arithmetic and before allocating (the
 * count must also fit in the bytes left, at TX_FIXED_BYTES each), and takes
 * each transaction's length from its payload length field (bounded by
 * TX_MAX_PAYLOAD) before handing exactly those bytes to tx_decode. So a
 * decoded block re-encodes to exactly its input.
 *
 * Lifecycle: block_new fills the header from its arguments (difficulty,
 * nonce, slot and extra are zero) and seals once, so a block is usable at
 * once; a consensus engine that sets more header fields calls block_seal
 * again. Memos start empty: valid = -1, invalid_reason = NULL, state = NULL,
 * cons = NULL.
 *
 * Ownership: a block owns one reference to each of its transactions, its
 * `extra` bytes (allocated with g_malloc; block_free g_frees them) and its
 * `state` reference. It does not own its parent (the
 * parent must outlive it; blocks are kept for the run) nor `cons`, which
 * belongs to the consensus engine and must be released by it before
 * block_free.
 */
#include "core/block.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_ASSERT(c)                                                      \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__,  \
                    __LINE__, __func__, #c);                                 \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* Headers up to this size are encoded on the stack. */
#define BLOCK_STACK_HEADER_BYTES 512

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + 8;
}

static uint8_t *put_bytes(uint8_t *p, const void *src, size_t n)
{
    if (n > 0)
        memcpy(p, src, n);
    return p + n;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

size_t block_header_encode(const block_header_t *h, uint8_t *buf, size_t cap)
{
    size_t len = (size_t)BLOCK_HEADER_FIXED_BYTES + h->extra_len;
    if (cap < len)
        return 0;
    uint8_t *p = buf;
    *p++ = BLOCK_VERSION;
    p = put_bytes(p, h->parent.b, HASH_BYTES);
    p = put_u64(p, h->height);
    p = put_u64(p, h->time_ns);
    p = put_u32(p, h->producer);
    p = put_bytes(p, h->producer_addr.b, ADDR_BYTES);
    p = put_bytes(p, h->tx_root.b, HASH_BYTES);
    p = put_u64(p, h->difficulty);
    p = put_u64(p, h->nonce);
    p = put_u64(p, h->slot);
    p = put_u32(p, h->extra_len);
    p = put_bytes(p, h->extra, h->extra_len);
    p = put_u64(p, h->padding_bytes);
    BLOCK_ASSERT((size_t)(p - buf) == len);
    return len;
}

static void hash_pair(const hash32_t *l, const hash32_t *r, hash32_t *out)
{
    hasher_t hs;
    hasher_begin(&hs);
    hasher_update(&hs, l->b, HASH_BYTES);
    hasher_update(&hs, r->b, HASH_BYTES);
    hasher_end(&hs, out);
}

/* Computes the Merkle root; *mutated (when not NULL) is set when two real
 * siblings are equal (see the file comment). */
static void merkle_root(tx_t *const *txs, uint32_t ntx, hash32_t *out, bool *mutated)
{
    if (mutated != NULL)
        *mutated = false;
    if (ntx == 0) {
        memset(out->b, 0, HASH_BYTES);
        return;
    }
    hash32_t *level = g_new(hash32_t, ntx);
    for (uint32_t i = 0; i < ntx; i++)
        level[i] = txs[i]->id;
    uint32_t n = ntx;
    while (n > 1) {
        uint32_t next = 0;
        for (uint32_t i = 0; i < n; i += 2) {
            const hash32_t *l = &level[i];
            const hash32_t *r = i + 1 < n ? &level[i + 1] : l;
            if (r != l && mutated != NULL && memcmp(l->b, r->b, HASH_BYTES) == 0)
                *mutated = true;
            hash32_t parent;
            hash_pair(l, r, &parent);
            level[next++] = parent;
        }
        n = next;
    }
    *out = level[0];
    g_free(level);
}

void block_tx_root(tx_t *const *txs, uint32_t ntx, hash32_t *out)
{
    merkle_root(txs, ntx, out, NULL);
}

bool block_check_root(const block_t *b)
{
    hash32_t root;
    bool mutated;
    merkle_root(b->txs, b->ntx, &root, &mutated);
    return !mutated && memcmp(root.b, b->h.tx_root.b, HASH_BYTES) == 0;
}

void block_seal(block_t *b)
{
    size_t len = (size_t)BLOCK_HEADER_FIXED_BYTES + b->h.extra_len;
    uint8_t stack_buf[BLOCK_STACK_HEADER_BYTES];
    uint8_t *buf = len <= sizeof stack_buf ? stack_buf : g_malloc(len);
    size_t written = block_header_encode(&b->h, buf, len);
    BLOCK_ASSERT(written == len);
    hash_blake2b(&b->id, buf, len);
    if (buf != stack_buf)
        g_free(buf);

    uint64_t size_bytes = len;
    for (uint32_t i = 0; i < b->ntx; i++)
        size_bytes = add_sat(size_bytes, b->txs[i]->size_bytes);
    b->size_bytes = add_sat(size_bytes, b->h.padding_bytes);
    b->work = add_sat(b->parent ? b->parent->work : 0, b->h.difficulty);
}

block_t *block_new(block_t *parent, uint64_t time_ns, uint32_t producer, const addr_t *producer_addr,
                   tx_t *const *txs, uint32_t ntx, uint64_t padding_bytes)
{
    hash_init();
    block_t *b = g_new0(block_t, 1);
    b->parent = parent;
    if (parent != NULL) {
        b->h.parent = parent->id;
        b->h.height = parent->h.height + 1;
    }
    b->h.time_ns = time_ns;
    b->h.producer = producer;
    if (producer_addr != NULL)
        b->h.producer_addr = *producer_addr;
    b->h.padding_bytes = padding_bytes;
    if (ntx > 0) {
        b->txs = g_new(tx_t *, ntx);
        for (uint32_t i = 0; i < ntx; i++)
            b->txs[i] = tx_ref(txs[i]);
    }
    b->ntx = ntx;
    block_tx_root(b->txs, ntx, &b->h.tx_root);
    b->index = 0;
    b->valid = -1;
    b->invalid_reason = NULL;
    b->state = NULL;
    b->cons = NULL;
    block_seal(b);
    return b;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

size_t block_encoded_bytes(const block_t *b)
{
    size_t n = (size_t)BLOCK_HEADER_FIXED_BYTES + b->h.extra_len + 4;
    for (uint32_t i = 0; i < b->ntx; i++)
        n += b->txs[i]->size_bytes;
    return n;
}

size_t block_encode(const block_t *b, uint8_t *buf, size_t cap)
{
    size_t total = block_encoded_bytes(b);
    if (cap < total)
        return 0;
    size_t n = block_header_encode(&b->h, buf, cap);
    BLOCK_ASSERT(n == (size_t)BLOCK_HEADER_FIXED_BYTES + b->h.extra_len);
    put_u32(buf + n, b->ntx);
    n += 4;
    for (uint32_t i = 0; i < b->ntx; i++) {
        size_t w = tx_encode(b->txs[i], buf + n, cap - n);
        BLOCK_ASSERT(w == b->txs[i]->size_bytes);
        n += w;
    }
    BLOCK_ASSERT(n == total);
    return total;
}

/* Offset of the payload length field in a transaction encoding (tx.h). */
#define TX_PLEN_OFFSET (1 + 1 + PK_BYTES + ADDR_BYTES + 8 + 8 + 8)

block_t *block_decode(const uint8_t *buf, size_t len, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    /* fixed part before the extra bytes, then extra, then padding */
    const size_t before_extra = BLOCK_HEADER_FIXED_BYTES - 8;
    if (len < 1) {
        *why = "truncated";
        return NULL;
    }
    if (buf[0] != BLOCK_VERSION) {
        *why = "bad version";
        return NULL;
    }
    if (len < before_extra) {
        *why = "truncated";
        return NULL;
    }
    uint32_t extra_len = get_u32(buf + before_extra - 4);
    if (extra_len > BLOCK_MAX_EXTRA_BYTES) {
        *why = "extra too long";
        return NULL;
    }
    size_t header_len = (size_t)BLOCK_HEADER_FIXED_BYTES + extra_len;
    if (len < header_len + 4) {
        *why = "truncated";
        return NULL;
    }
    uint32_t ntx = get_u32(buf + header_len);
    size_t left = len - header_len - 4;
    if (ntx > BLOCK_MAX_TXS || ntx > left / TX_FIXED_BYTES) {
        *why = ntx > BLOCK_MAX_TXS ? "too many transactions" : "truncated";
        return NULL;
    }

    block_t *b = g_new0(block_t, 1);
    const uint8_t *p = buf + 1;
    memcpy(b->h.parent.b, p, HASH_BYTES);
    p += HASH_BYTES;
    b->h.height = get_u64(p);
    p += 8;
    b->h.time_ns = get_u64(p);
    p += 8;
    b->h.producer = get_u32(p);
    p += 4;
    memcpy(b->h.producer_addr.b, p, ADDR_BYTES);
    p += ADDR_BYTES;
    memcpy(b->h.tx_root.b, p, HASH_BYTES);
    p += HASH_BYTES;
    b->h.difficulty = get_u64(p);
    p += 8;
    b->h.nonce = get_u64(p);
    p += 8;
    b->h.slot = get_u64(p);
    p += 8 + 4; /* extra_len was read above */
    b->h.extra_len = extra_len;
    if (extra_len > 0) {
        b->h.extra = g_malloc(extra_len);
        memcpy(b->h.extra, p, extra_len);
        p += extra_len;
    }
    b->h.padding_bytes = get_u64(p);
    p += 8 + 4; /* and the transaction count */
    BLOCK_ASSERT(p == buf + header_len + 4);

    b->txs = ntx > 0 ? g_new0(tx_t *, ntx) : NULL;
    const uint8_t *end = buf + len;
    for (uint32_t i = 0; i < ntx; i++) {
        size_t rest = (size_t)(end - p);
        if (rest < TX_PLEN_OFFSET + 4) {
            *why = "truncated";
            goto fail;
        }
        uint32_t plen = get_u32(p + TX_PLEN_OFFSET);
        if (plen > TX_MAX_PAYLOAD) {
            *why = "bad transaction";
            goto fail;
        }
        size_t tx_len = (size_t)TX_FIXED_BYTES + plen;
        if (rest < tx_len) {
            *why = "truncated";
            goto fail;
        }
        const char *tx_why = NULL;
        tx_t *tx = tx_decode(p, tx_len, &tx_why);
        if (tx == NULL) {
            *why = "bad transaction";
            goto fail;
        }
        b->txs[b->ntx++] = tx;
        p += tx_len;
    }
    if (p != end) {
        *why = "trailing bytes";
        goto fail;
    }
    b->parent = NULL;
    b->index = 0;
    b->valid = -1;
    b->invalid_reason = NULL;
    b->state = NULL;
    b->cons = NULL;
    hash_init();
    block_seal(b);
    *why = NULL;
    return b;

fail:
    block_free(b);
    return NULL;
}

void block_free(block_t *b)
{
    if (b == NULL)
        return;
    for (uint32_t i = 0; i < b->ntx; i++)
        tx_unref(b->txs[i]);
    g_free(b->txs);
    g_free(b->h.extra);
    if (b->state != NULL)
        state_unref(b->state);
    g_free(b);
}
