/*
 * keys.c - deterministic Ed25519 key pairs, addresses and their text form.
 *
 * Derivation. The 32-byte seed of account `index` in a run with `seed` is
 *     BLAKE2b-256("chainsim-account" || seed as u64 LE || index as u64 LE)
 * (16 + 8 + 8 = 32 bytes hashed; the tag has no NUL), and the key pair is
 * libsodium's crypto_sign_seed_keypair of it. The derivation is a pure
 * function of (seed, index): account 7 is the same whatever else was derived
 * before, and two different (seed, index) pairs give different hash inputs.
 * The seed bytes are wiped from the stack after use.
 *
 * Addresses. addr = BLAKE2b-256(pk)[0..20). Text form: "cs" followed by the
 * lowercase hex of the 20 address bytes and of a 4-byte checksum, the first
 * 4 bytes of BLAKE2b-256(addr). Parsing is strict: exactly ADDR_TEXT_LEN
 * characters, the "cs" prefix, lowercase hex digits only (no uppercase, no
 * whitespace, no separators) and a matching checksum. Any single changed hex
 * digit changes either the address or the checksum, so it is caught except
 * with probability 2^-32.
 *
 * Signatures are Ed25519 detached signatures (libsodium). libsodium is
 * initialised through hash_init() (idempotent) before signing, verifying or
 * deriving.
 *
 * Nothing here allocates; every output goes into caller-provided storage.
 */
#include "core/keys.h"

#include <string.h>

#include "core/hash.h"

#define KEYS_TAG "chainsim-account"
#define KEYS_TAG_BYTES (sizeof(KEYS_TAG) - 1) /* 16, without the NUL */
#define ADDR_CHECKSUM_BYTES 4
#define ADDR_PREFIX "cs"
#define ADDR_PREFIX_LEN 2

static void put_u64_le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void keys_derive(keypair_t *kp, uint64_t seed, uint64_t index)
{
    uint8_t input[KEYS_TAG_BYTES + 8 + 8];
    hash32_t sign_seed;

    hash_init();
    memcpy(input, KEYS_TAG, KEYS_TAG_BYTES);
    put_u64_le(input + KEYS_TAG_BYTES, seed);
    put_u64_le(input + KEYS_TAG_BYTES + 8, index);
    hash_blake2b(&sign_seed, input, sizeof input);

    crypto_sign_seed_keypair(kp->pk, kp->sk, sign_seed.b);
    addr_from_pk(&kp->addr, kp->pk);
    sodium_memzero(sign_seed.b, sizeof sign_seed.b);
}

void addr_from_pk(addr_t *out, const uint8_t pk[PK_BYTES])
{
    hash32_t h;
    hash_blake2b(&h, pk, PK_BYTES);
    memcpy(out->b, h.b, ADDR_BYTES);
}

bool addr_equal(const addr_t *a, const addr_t *b)
{
    return memcmp(a->b, b->b, ADDR_BYTES) == 0;
}

int addr_cmp(const addr_t *a, const addr_t *b)
{
    return memcmp(a->b, b->b, ADDR_BYTES);
}

/* The 4-byte checksum of an address: the first bytes of BLAKE2b-256(addr). */
static void addr_checksum(const addr_t *a, uint8_t out[ADDR_CHECKSUM_BYTES])
{
    hash32_t h;
    hash_blake2b(&h, a->b, ADDR_BYTES);
    memcpy(out, h.b, ADDR_CHECKSUM_BYTES);
}

static const char hex_digits[] = "0123456789abcdef";

static void hex_put(char *out, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digits[bytes[i] >> 4];
        out[2 * i + 1] = hex_digits[bytes[i] & 0xf];
    }
}

/* Value of a lowercase hex digit, or -1 for anything else (uppercase too). */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

void addr_to_text(const addr_t *a, char out[ADDR_TEXT_LEN + 1])
{
    uint8_t sum[ADDR_CHECKSUM_BYTES];
    addr_checksum(a, sum);
    memcpy(out, ADDR_PREFIX, ADDR_PREFIX_LEN);
    hex_put(out + ADDR_PREFIX_LEN, a->b, ADDR_BYTES);
    hex_put(out + ADDR_PREFIX_LEN + 2 * ADDR_BYTES, sum, ADDR_CHECKSUM_BYTES);
    out[ADDR_TEXT_LEN] = '\0';
}

/* Reads the text form; *out is written only on success. Never reads past the
 * terminating NUL of text (strnlen bounds the scan). */
bool addr_from_text(addr_t *out, const char *text)
{
    uint8_t raw[ADDR_BYTES + ADDR_CHECKSUM_BYTES];
    uint8_t sum[ADDR_CHECKSUM_BYTES];
    addr_t a;

    if (text == NULL || strnlen(text, ADDR_TEXT_LEN + 1) != ADDR_TEXT_LEN)
        return false;
    if (memcmp(text, ADDR_PREFIX, ADDR_PREFIX_LEN) != 0)
        return false;
    const char *hex = text + ADDR_PREFIX_LEN;
    for (size_t i = 0; i < sizeof raw; i++) {
        int hi = hex_value(hex[2 * i]);
        int lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        raw[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(a.b, raw, ADDR_BYTES);
    addr_checksum(&a, sum);
    if (memcmp(sum, raw + ADDR_BYTES, ADDR_CHECKSUM_BYTES) != 0)
        return false;
    *out = a;
    return true;
}

void keys_sign(const keypair_t *kp, const uint8_t *msg, size_t len, uint8_t sig[SIG_BYTES])
{
    hash_init();
    crypto_sign_detached(sig, NULL, msg, len, kp->sk);
}

bool keys_verify(const uint8_t pk[PK_BYTES], const uint8_t *msg, size_t len, const uint8_t sig[SIG_BYTES])
{
    hash_init();
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}
