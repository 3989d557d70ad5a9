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

/* rho offsets and pi destinations, walking the lanes from lane 1:
 * offsets 1 3 6 10 15 21 28 36 45 55 2 14 27 41 56 8 25 43 62 18 39 61 20 44,
 * lanes 10 7 11 17 18 3 5 16 8 21 24 4 15 23 19 13 12 2 20 14 22 9 6 1. */

static inline uint64_t rotl(uint64_t x, unsigned n)
{
    return (x << n) | (x >> (64 - n));
}

static void keccak_f(uint64_t a[25])
{
    for (int round = 0; round < 24; round++) {
        uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
        uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
        uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
        uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
        uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
        uint64_t d0 = c4 ^ rotl(c1, 1), d1 = c0 ^ rotl(c2, 1), d2 = c1 ^ rotl(c3, 1);
        uint64_t d3 = c2 ^ rotl(c4, 1), d4 = c3 ^ rotl(c0, 1);
        for (int y = 0; y < 25; y += 5) {
            a[y] ^= d0;
            a[y + 1] ^= d1;
            a[y + 2] ^= d2;
            a[y + 3] ^= d3;
            a[y + 4] ^= d4;
        }
        /* rho and pi, unrolled: lane walk from lane 1 (offsets and destinations in rho[], pi[]) */
        uint64_t t = a[1], tmp;
        tmp = a[10];
        a[10] = rotl(t, 1);
        t = tmp;
        tmp = a[7];
        a[7] = rotl(t, 3);
        t = tmp;
        tmp = a[11];
        a[11] = rotl(t, 6);
        t = tmp;
        tmp = a[17];
        a[17] = rotl(t, 10);
        t = tmp;
        tmp = a[18];
        a[18] = rotl(t, 15);
        t = tmp;
        tmp = a[3];
        a[3] = rotl(t, 21);
        t = tmp;
        tmp = a[5];
        a[5] = rotl(t, 28);
        t = tmp;
        tmp = a[16];
        a[16] = rotl(t, 36);
        t = tmp;
        tmp = a[8];
        a[8] = rotl(t, 45);
        t = tmp;
        tmp = a[21];
        a[21] = rotl(t, 55);
        t = tmp;
        tmp = a[24];
        a[24] = rotl(t, 2);
        t = tmp;
        tmp = a[4];
        a[4] = rotl(t, 14);
        t = tmp;
        tmp = a[15];
        a[15] = rotl(t, 27);
        t = tmp;
        tmp = a[23];
        a[23] = rotl(t, 41);
        t = tmp;
        tmp = a[19];
        a[19] = rotl(t, 56);
        t = tmp;
        tmp = a[13];
        a[13] = rotl(t, 8);
        t = tmp;
        tmp = a[12];
        a[12] = rotl(t, 25);
        t = tmp;
        tmp = a[2];
        a[2] = rotl(t, 43);
        t = tmp;
        tmp = a[20];
        a[20] = rotl(t, 62);
        t = tmp;
        tmp = a[14];
        a[14] = rotl(t, 18);
        t = tmp;
        tmp = a[22];
        a[22] = rotl(t, 39);
        t = tmp;
        tmp = a[9];
        a[9] = rotl(t, 61);
        t = tmp;
        tmp = a[6];
        a[6] = rotl(t, 20);
        t = tmp;
        tmp = a[1];
        a[1] = rotl(t, 44);
        t = tmp;
        for (int y = 0; y < 25; y += 5) {
            uint64_t x0 = a[y], x1 = a[y + 1], x2 = a[y + 2], x3 = a[y + 3], x4 = a[y + 4];
            a[y] = x0 ^ (~x1 & x2);
            a[y + 1] = x1 ^ (~x2 & x3);
            a[y + 2] = x2 ^ (~x3 & x4);
            a[y + 3] = x3 ^ (~x4 & x0);
            a[y + 4] = x4 ^ (~x0 & x1);
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
