/*
 * keccak.c - Keccak-256: the Keccak-f[1600] permutation (24 rounds of theta,
 * rho, pi, chi, iota on 25 64-bit lanes, FIPS 202 section 3) and the sponge
 * with Keccak's multi-rate padding (first pad byte 0x01, last bit 0x80).
 *
 * Invariant: the state absorbs bytes little-endian into its lanes, so the
 * code is the same on any host byte order.
 */
#include "core/vm/keccak.h"

#include <string.h>

#define RATE 136

static const uint64_t round_consts[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* rho offsets and pi destinations, in the order of the lane walk from lane 1. */
static const unsigned rho[24] = { 1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14,
                                  27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44 };
static const unsigned pi[24] = { 10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4,
                                 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1 };

static inline uint64_t rotl(uint64_t x, unsigned n)
{
    return (x << n) | (x >> (64 - n));
}

static void keccak_f(uint64_t a[25])
{
    for (int round = 0; round < 24; round++) {
        uint64_t c[5], t;
        for (int x = 0; x < 5; x++)
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; x++) {
            t = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                a[y + x] ^= t;
        }
        t = a[1];
        for (int i = 0; i < 24; i++) {
            unsigned j = pi[i];
            uint64_t tmp = a[j];
            a[j] = rotl(t, rho[i]);
            t = tmp;
        }
        for (int y = 0; y < 25; y += 5) {
            for (int x = 0; x < 5; x++)
                c[x] = a[y + x];
            for (int x = 0; x < 5; x++)
                a[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
        }
        a[0] ^= round_consts[round];
    }
}

void keccak_init(keccak_t *k)
{
    memset(k, 0, sizeof *k);
}

static inline void absorb_byte(keccak_t *k, size_t pos, uint8_t b)
{
    k->a[pos / 8] ^= (uint64_t)b << (8 * (pos % 8));
}

void keccak_update(keccak_t *k, const uint8_t *data, size_t len)
{
    while (len > 0) {
        if (k->pos == 0 && len >= RATE) {
            for (size_t i = 0; i < RATE / 8; i++) {
                uint64_t lane = 0;
                for (int j = 7; j >= 0; j--)
                    lane = (lane << 8) | data[i * 8 + (size_t)j];
                k->a[i] ^= lane;
            }
            keccak_f(k->a);
            data += RATE;
            len -= RATE;
            continue;
        }
        absorb_byte(k, k->pos++, *data++);
        len--;
        if (k->pos == RATE) {
            keccak_f(k->a);
            k->pos = 0;
        }
    }
}

void keccak_final(keccak_t *k, uint8_t out[32])
{
    absorb_byte(k, k->pos, 0x01);
    absorb_byte(k, RATE - 1, 0x80);
    keccak_f(k->a);
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(k->a[i / 8] >> (8 * (i % 8)));
}

void keccak256(const uint8_t *data, size_t len, uint8_t out[32])
{
    keccak_t k;
    keccak_init(&k);
    keccak_update(&k, data, len);
    keccak_final(&k, out);
}
