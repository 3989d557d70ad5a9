/*
 * tx.c - transactions: canonical encoding, decoding, signature memo,
 * reference counting.
 *
 * Encoding (see tx.h; little-endian):
 *   offset  0  u8  version          offset 54  u64 amount
 *   offset  1  u8  kind             offset 62  u64 fee
 *   offset  2  32  sender pk        offset 70  u64 nonce
 *   offset 34  20  recipient        offset 78  u32 payload length L
 *   offset 82  L   payload          offset 82+L 64 signature
 * The signed message is bytes [0, 82 + L): everything before the signature.
 * The id is BLAKE2b-256 of all 82 + L + 64 bytes (TX_FIXED_BYTES + L).
 *
 * Decoding reads the fields in order and checks, before every read, that the
 * bytes are there, so it never reads past `len`. Reasons, in the order they
 * are checked: "truncated" (too short for the next field), "bad version",
 * "unknown kind", "payload too long" (L > TX_MAX_PAYLOAD, checked before the
 * payload length is used in any arithmetic), "truncated" again when the
 * payload or signature is cut, "trailing bytes". A decoded transaction
 * re-encodes to exactly the input bytes, so its id is the hash of the input.
 * Decoding accepts a payload on any known kind; whether a kind may carry one
 * is a ledger rule (TXERR_FORMAT), not an encoding rule.
 *
 * Memo: sig_ok is -1 until tx_verify runs the Ed25519 check once; after that
 * the answer is returned from the object. Every creator leaves it at -1, so
 * tx_verify is the only place that decides it.
 *
 * Ownership: objects are created with refs = 1; tx_ref/tx_unref count
 * references (single-threaded, a plain counter); the last unref frees the
 * payload and the object. Apart from refs, the sig_ok memo and the mempool's
 * pool_hint (a lookup hint that is not part of the content), a transaction is
 * never modified after creation.
 */
#include "core/tx.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TX_ASSERT(c)                                                         \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__,  \
                    __LINE__, __func__, #c);                                 \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* Bytes before the payload: version, kind, pk, recipient, amount, fee,
 * nonce, payload length. */
#define TX_HEAD_BYTES (1 + 1 + PK_BYTES + ADDR_BYTES + 8 + 8 + 8 + 4) /* 82 */
/* Signed bodies up to this size are built on the stack. */
#define TX_STACK_BODY_BYTES 256

_Static_assert(TX_HEAD_BYTES + SIG_BYTES == TX_FIXED_BYTES, "tx layout");

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Length of the signed body (everything before the signature). */
static size_t body_bytes(const tx_t *tx)
{
    return TX_HEAD_BYTES + (size_t)tx->payload_len;
}

/* Writes the signed body into buf, which holds at least body_bytes(tx). */
static void body_write(const tx_t *tx, uint8_t *buf)
{
    uint8_t *p = buf;
    *p++ = TX_VERSION;
    *p++ = tx->kind;
    memcpy(p, tx->sender_pk, PK_BYTES);
    p += PK_BYTES;
    memcpy(p, tx->recipient.b, ADDR_BYTES);
    p += ADDR_BYTES;
    put_u64(p, tx->amount);
    p += 8;
    put_u64(p, tx->fee);
    p += 8;
    put_u64(p, tx->nonce);
    p += 8;
    put_u32(p, tx->payload_len);
    p += 4;
    if (tx->payload_len > 0)
        memcpy(p, tx->payload, tx->payload_len);
}

/* A transfer with everything but the signature, id and size; refs = 1. */
static tx_t *transfer_alloc(const uint8_t sender_pk[PK_BYTES], const addr_t *to, uint64_t amount, uint64_t fee,
                            uint64_t nonce)
{
    tx_t *tx = g_new0(tx_t, 1);
    tx->refs = 1;
    tx->kind = TX_TRANSFER;
    tx->sig_ok = -1;
    memcpy(tx->sender_pk, sender_pk, PK_BYTES);
    addr_from_pk(&tx->sender, sender_pk);
    tx->recipient = *to;
    tx->amount = amount;
    tx->fee = fee;
    tx->nonce = nonce;
    tx->size_bytes = TX_FIXED_BYTES;
    return tx;
}

/* Computes the id from the complete canonical encoding. */
static void compute_id(tx_t *tx)
{
    size_t n = tx->size_bytes;
    uint8_t stack_buf[TX_STACK_BODY_BYTES];
    uint8_t *buf = n <= sizeof stack_buf ? stack_buf : g_malloc(n);
    size_t written = tx_encode(tx, buf, n);
    TX_ASSERT(written == n);
    hash_blake2b(&tx->id, buf, n);
    if (buf != stack_buf)
        g_free(buf);
}

tx_t *tx_new_transfer(const keypair_t *from, const addr_t *to, uint64_t amount, uint64_t fee, uint64_t nonce)
{
    tx_t *tx = transfer_alloc(from->pk, to, amount, fee, nonce);
    uint8_t body[TX_HEAD_BYTES];
    body_write(tx, body);
    keys_sign(from, body, sizeof body, tx->sig);
    compute_id(tx);
    return tx;
}

tx_t *tx_new_unchecked(const uint8_t sender_pk[PK_BYTES], const addr_t *to, uint64_t amount, uint64_t fee,
                       uint64_t nonce, const uint8_t sig[SIG_BYTES])
{
    tx_t *tx = transfer_alloc(sender_pk, to, amount, fee, nonce);
    memcpy(tx->sig, sig, SIG_BYTES);
    compute_id(tx);
    return tx;
}

tx_t *tx_new_call(const keypair_t *from, tx_kind_t kind, uint32_t target, uint64_t amount, uint64_t fee,
                  uint64_t nonce)
{
    addr_t none = { { 0 } };
    tx_t *tx = transfer_alloc(from->pk, &none, amount, fee, nonce);
    tx->kind = (uint8_t)kind;
    tx->payload_len = 4;
    tx->payload = g_malloc(4);
    put_u32(tx->payload, target);
    tx->size_bytes = TX_FIXED_BYTES + 4;
    size_t n = body_bytes(tx);
    uint8_t *buf = g_malloc(n);
    body_write(tx, buf);
    keys_sign(from, buf, n, tx->sig);
    g_free(buf);
    compute_id(tx);
    return tx;
}

uint32_t tx_target(const tx_t *tx)
{
    if (tx->payload_len != 4)
        return UINT32_MAX;
    return (uint32_t)tx->payload[0] | (uint32_t)tx->payload[1] << 8 | (uint32_t)tx->payload[2] << 16 |
           (uint32_t)tx->payload[3] << 24;
}

size_t tx_encode(const tx_t *tx, uint8_t *buf, size_t cap)
{
    size_t body = body_bytes(tx);
    size_t total = body + SIG_BYTES;
    TX_ASSERT(total == tx->size_bytes);
    if (cap < total)
        return 0;
    body_write(tx, buf);
    memcpy(buf + body, tx->sig, SIG_BYTES);
    return total;
}

tx_t *tx_decode(const uint8_t *buf, size_t len, const char **why)
{
    const char *reason = NULL;
    const char *dummy;
    if (why == NULL)
        why = &dummy;

    if (len < 1) {
        reason = "truncated";
        goto fail;
    }
    if (buf[0] != TX_VERSION) {
        reason = "bad version";
        goto fail;
    }
    if (len < 2) {
        reason = "truncated";
        goto fail;
    }
    if (buf[1] < TX_TRANSFER || buf[1] > TX_KIND_MAX) {
        reason = "unknown kind";
        goto fail;
    }
    if (len < TX_HEAD_BYTES) {
        reason = "truncated";
        goto fail;
    }
    uint32_t payload_len = get_u32(buf + TX_HEAD_BYTES - 4);
    if (payload_len > TX_MAX_PAYLOAD) {
        reason = "payload too long";
        goto fail;
    }
    /* payload_len <= 65536, so this cannot overflow. */
    size_t total = (size_t)TX_HEAD_BYTES + payload_len + SIG_BYTES;
    if (len < total) {
        reason = "truncated";
        goto fail;
    }
    if (len > total) {
        reason = "trailing bytes";
        goto fail;
    }

    const uint8_t *p = buf + 2;
    tx_t *tx = g_new0(tx_t, 1);
    tx->refs = 1;
    tx->kind = buf[1];
    tx->sig_ok = -1;
    memcpy(tx->sender_pk, p, PK_BYTES);
    p += PK_BYTES;
    addr_from_pk(&tx->sender, tx->sender_pk);
    memcpy(tx->recipient.b, p, ADDR_BYTES);
    p += ADDR_BYTES;
    tx->amount = get_u64(p);
    p += 8;
    tx->fee = get_u64(p);
    p += 8;
    tx->nonce = get_u64(p);
    p += 8 + 4; /* the payload length was read above */
    tx->payload_len = payload_len;
    if (payload_len > 0) {
        tx->payload = g_malloc(payload_len);
        memcpy(tx->payload, p, payload_len);
        p += payload_len;
    }
    memcpy(tx->sig, p, SIG_BYTES);
    tx->size_bytes = (uint32_t)total;
    /* Canonical: the input is exactly the encoding, so hash it directly. */
    hash_blake2b(&tx->id, buf, total);
    *why = NULL;
    return tx;

fail:
    *why = reason;
    return NULL;
}

bool tx_verify(tx_t *tx)
{
    if (tx->sig_ok >= 0)
        return tx->sig_ok == 1;
    size_t n = body_bytes(tx);
    uint8_t stack_buf[TX_STACK_BODY_BYTES];
    uint8_t *buf = n <= sizeof stack_buf ? stack_buf : g_malloc(n);
    body_write(tx, buf);
    bool ok = keys_verify(tx->sender_pk, buf, n, tx->sig);
    if (buf != stack_buf)
        g_free(buf);
    tx->sig_ok = ok ? 1 : 0;
    return ok;
}

tx_t *tx_ref(tx_t *tx)
{
    TX_ASSERT(tx->refs > 0 && tx->refs < UINT32_MAX);
    tx->refs++;
    return tx;
}

void tx_unref(tx_t *tx)
{
    if (tx == NULL)
        return;
    TX_ASSERT(tx->refs > 0);
    if (--tx->refs > 0)
        return;
    g_free(tx->payload);
    g_free(tx);
}

/* fee * 10^6 / size_bytes, exact, computed without a 128-bit product:
 * fee = q * size + r with r < size, so the result is q * 10^6 + r * 10^6 /
 * size (r * 10^6 < 2^32 * 10^6 fits). Saturates at UINT64_MAX. */
uint64_t tx_feerate_ppm(const tx_t *tx)
{
    const uint64_t ppm = 1000000u;
    uint64_t size = tx->size_bytes;
    TX_ASSERT(size > 0);
    uint64_t q = tx->fee / size;
    uint64_t r = tx->fee % size;
    if (q > UINT64_MAX / ppm)
        return UINT64_MAX;
    uint64_t whole = q * ppm;
    uint64_t part = r * ppm / size;
    return whole > UINT64_MAX - part ? UINT64_MAX : whole + part;
}
