/*
 * u256.h - 256-bit unsigned words, the EVM's arithmetic (modulo 2^256).
 *
 * A u256_t is four 64-bit limbs, least significant first (w[0]). Signed
 * operations (sdiv, smod, slt, sgt, sar, signextend) read the same bits as
 * two's complement. Division by zero gives zero, as the EVM defines it. The
 * small operations are inline (the interpreter's hot path); division,
 * modular arithmetic and exponentiation are in u256.c (Knuth's algorithm D
 * on 32-bit digits, with a one-limb fast path).
 *
 * Byte conversion is big-endian, as the EVM stores words in memory, code and
 * storage keys.
 */
#ifndef CHAINSIM_VM_U256_H
#define CHAINSIM_VM_U256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct u256 {
    uint64_t w[4]; /* w[0] least significant */
} u256_t;

static inline u256_t u256_from_u64(uint64_t v)
{
    u256_t r = { { v, 0, 0, 0 } };
    return r;
}

static inline bool u256_is_zero(const u256_t *a)
{
    return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

/* True when a fits in 64 bits. */
static inline bool u256_fits_u64(const u256_t *a)
{
    return (a->w[1] | a->w[2] | a->w[3]) == 0;
}

static inline bool u256_eq(const u256_t *a, const u256_t *b)
{
    return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) | (a->w[3] ^ b->w[3])) == 0;
}

static inline bool u256_lt(const u256_t *a, const u256_t *b)
{
    for (int i = 3; i >= 0; i--)
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i];
    return false;
}

static inline bool u256_is_neg(const u256_t *a)
{
    return (a->w[3] >> 63) != 0;
}

static inline bool u256_slt(const u256_t *a, const u256_t *b)
{
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    if (na != nb)
        return na;
    return u256_lt(a, b);
}

static inline u256_t u256_add(const u256_t *a, const u256_t *b)
{
    u256_t r;
    unsigned __int128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (unsigned __int128)a->w[i] + b->w[i];
        r.w[i] = (uint64_t)c;
        c >>= 64;
    }
    return r;
}

static inline u256_t u256_sub(const u256_t *a, const u256_t *b)
{
    u256_t r;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a->w[i], y = b->w[i];
        uint64_t d = x - y - borrow;
        borrow = (x < y) | ((x == y) & borrow);
        r.w[i] = d;
    }
    return r;
}

static inline u256_t u256_neg(const u256_t *a)
{
    u256_t z = { { 0, 0, 0, 0 } };
    return u256_sub(&z, a);
}

static inline u256_t u256_mul(const u256_t *a, const u256_t *b)
{
    u256_t r = { { 0, 0, 0, 0 } };
    for (int i = 0; i < 4; i++) {
        unsigned __int128 c = 0;
        for (int j = 0; i + j < 4; j++) {
            c += (unsigned __int128)a->w[i] * b->w[j] + r.w[i + j];
            r.w[i + j] = (uint64_t)c;
            c >>= 64;
        }
    }
    return r;
}

static inline u256_t u256_and(const u256_t *a, const u256_t *b)
{
    u256_t r = { { a->w[0] & b->w[0], a->w[1] & b->w[1], a->w[2] & b->w[2], a->w[3] & b->w[3] } };
    return r;
}

static inline u256_t u256_or(const u256_t *a, const u256_t *b)
{
    u256_t r = { { a->w[0] | b->w[0], a->w[1] | b->w[1], a->w[2] | b->w[2], a->w[3] | b->w[3] } };
    return r;
}

static inline u256_t u256_xor(const u256_t *a, const u256_t *b)
{
    u256_t r = { { a->w[0] ^ b->w[0], a->w[1] ^ b->w[1], a->w[2] ^ b->w[2], a->w[3] ^ b->w[3] } };
    return r;
}

static inline u256_t u256_not(const u256_t *a)
{
    u256_t r = { { ~a->w[0], ~a->w[1], ~a->w[2], ~a->w[3] } };
    return r;
}

/* a << shift; shift >= 256 gives 0. */
static inline u256_t u256_shl(const u256_t *a, unsigned shift)
{
    u256_t r = { { 0, 0, 0, 0 } };
    if (shift >= 256)
        return r;
    unsigned limbs = shift / 64, bits = shift % 64;
    for (int i = 3; i >= (int)limbs; i--) {
        uint64_t v = a->w[i - limbs] << bits;
        if (bits && i - (int)limbs - 1 >= 0)
            v |= a->w[i - limbs - 1] >> (64 - bits);
        r.w[i] = v;
    }
    return r;
}

/* a >> shift (logical); shift >= 256 gives 0. */
static inline u256_t u256_shr(const u256_t *a, unsigned shift)
{
    u256_t r = { { 0, 0, 0, 0 } };
    if (shift >= 256)
        return r;
    unsigned limbs = shift / 64, bits = shift % 64;
    for (unsigned i = 0; i + limbs < 4; i++) {
        uint64_t v = a->w[i + limbs] >> bits;
        if (bits && i + limbs + 1 < 4)
            v |= a->w[i + limbs + 1] << (64 - bits);
        r.w[i] = v;
    }
    return r;
}

/* The shift amount of SHL/SHR/SAR: the word itself, or 256 when larger. */
static inline unsigned u256_shift_amount(const u256_t *a)
{
    return (u256_fits_u64(a) && a->w[0] < 256) ? (unsigned)a->w[0] : 256;
}

/* Big-endian conversion: 32 bytes. */
void u256_to_be(const u256_t *a, uint8_t out[32]);
u256_t u256_from_be(const uint8_t in[32]);
/* n <= 32 big-endian bytes, right-aligned (as PUSHn and short values). */
u256_t u256_from_be_n(const uint8_t *in, size_t n);

/* Quotient and remainder (q or r may be NULL); division by zero gives 0, 0. */
void u256_divmod(const u256_t *a, const u256_t *b, u256_t *q, u256_t *r);
u256_t u256_div(const u256_t *a, const u256_t *b);
u256_t u256_mod(const u256_t *a, const u256_t *b);
/* Signed (two's complement) division, truncated toward zero; -2^255 / -1 is -2^255. */
u256_t u256_sdiv(const u256_t *a, const u256_t *b);
/* Signed remainder, with the sign of a. */
u256_t u256_smod(const u256_t *a, const u256_t *b);
/* (a + b) mod m and (a * b) mod m without overflow; m = 0 gives 0. */
u256_t u256_addmod(const u256_t *a, const u256_t *b, const u256_t *m);
u256_t u256_mulmod(const u256_t *a, const u256_t *b, const u256_t *m);
/* base^exp mod 2^256. */
u256_t u256_exp(const u256_t *base, const u256_t *exp);
/* SIGNEXTEND: extends the sign bit of byte b (0 = least significant) of x. */
u256_t u256_signextend(const u256_t *b, const u256_t *x);
/* BYTE: byte i of x counted from the most significant (0); i >= 32 gives 0. */
u256_t u256_byte(const u256_t *i, const u256_t *x);
/* SAR: arithmetic shift right; shift >= 256 gives 0 or all ones. */
u256_t u256_sar(const u256_t *a, unsigned shift);
/* Number of significant bytes of a (0 for zero). */
unsigned u256_byte_len(const u256_t *a);
/* Parses hex (optional 0x, up to 64 digits, at least one). False otherwise. */
bool u256_from_hex(const char *s, u256_t *out);
/* Decimal text of a into buf (at least 79 bytes). */
void u256_to_dec(const u256_t *a, char *buf);

#endif
