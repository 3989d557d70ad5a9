/*
 * check_vm.c - Check suite for core/vm's building blocks: the 256-bit
 * arithmetic against GMP, Keccak-256 against published vectors, and RLP.
 *
 * The arithmetic runs every operation on many operands drawn from a fixed
 * seed (full-width words, small words, words with zero limbs, and edge
 * values such as 0, 1, 2^255 and 2^256 - 1) and compares each result with
 * the same operation done by GMP on unbounded integers and reduced the way
 * the EVM defines it.
 */
#include <check.h>
#include <gmp.h>
#include <string.h>

#include "core/vm/keccak.h"
#include "core/vm/rlp.h"
#include "core/vm/u256.h"
#include "tests/testutil.h"

/* splitmix64: the operands' source, from a fixed seed. */
static uint64_t rng_state = 0x5eed0f256ull;
static uint64_t next64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static u256_t random_word(void)
{
    u256_t r = { { 0, 0, 0, 0 } };
    switch (next64() % 8) {
    case 0: /* small */
        r.w[0] = next64() % 300;
        break;
    case 1: /* edges */ {
        static const u256_t edges[] = {
            { { 0, 0, 0, 0 } }, { { 1, 0, 0, 0 } }, { { ~0ull, ~0ull, ~0ull, ~0ull } },
            { { 0, 0, 0, 1ull << 63 } }, { { ~0ull, ~0ull, ~0ull, ~0ull >> 1 } }, { { 31, 0, 0, 0 } },
            { { 255, 0, 0, 0 } }, { { 256, 0, 0, 0 } }, { { ~0ull - 1, ~0ull, ~0ull, ~0ull } },
        };
        r = edges[next64() % G_N_ELEMENTS(edges)];
        break;
    }
    case 2: /* some limbs zero */
        for (int i = 0; i < 4; i++)
            r.w[i] = (next64() & 1) ? next64() : 0;
        break;
    case 3: /* one limb */
        r.w[next64() % 4] = next64();
        break;
    case 4: /* a 64-bit word */
        r.w[0] = next64();
        break;
    default:
        for (int i = 0; i < 4; i++)
            r.w[i] = next64();
        /* sometimes a run of top bits set (negative, near the limb edges) */
        if (next64() % 3 == 0)
            r.w[3] |= ~0ull << (next64() % 64);
    }
    return r;
}

static void to_mpz(mpz_t z, const u256_t *a)
{
    mpz_import(z, 4, -1, sizeof(uint64_t), 0, 0, a->w);
}

/* z mod 2^256 into a u256. */
static u256_t from_mpz(const mpz_t z)
{
    mpz_t t;
    mpz_init(t);
    mpz_fdiv_r_2exp(t, z, 256);
    u256_t r = { { 0, 0, 0, 0 } };
    size_t n = 0;
    mpz_export(r.w, &n, -1, sizeof(uint64_t), 0, 0, t);
    mpz_clear(t);
    return r;
}

/* a as a signed (two's complement) integer. */
static void to_signed(mpz_t z, const u256_t *a)
{
    to_mpz(z, a);
    if (mpz_tstbit(z, 255)) {
        mpz_t p;
        mpz_init(p);
        mpz_ui_pow_ui(p, 2, 256);
        mpz_sub(z, z, p);
        mpz_clear(p);
    }
}

static void assert_word(const u256_t *got, const mpz_t want, const char *op, const u256_t *a, const u256_t *b)
{
    u256_t w = from_mpz(want);
    if (!u256_eq(got, &w)) {
        ck_abort_msg("%s(%016llx%016llx%016llx%016llx, %016llx%016llx%016llx%016llx) differs from GMP", op,
                     (unsigned long long)a->w[3], (unsigned long long)a->w[2], (unsigned long long)a->w[1],
                     (unsigned long long)a->w[0], (unsigned long long)b->w[3], (unsigned long long)b->w[2],
                     (unsigned long long)b->w[1], (unsigned long long)b->w[0]);
    }
}

START_TEST(test_arith_vs_gmp)
{
    mpz_t x, y, m, r, sx, sy, t;
    mpz_inits(x, y, m, r, sx, sy, t, NULL);
    for (int it = 0; it < 40000; it++) {
        u256_t a = random_word(), b = random_word(), c = random_word();
        to_mpz(x, &a);
        to_mpz(y, &b);
        to_mpz(m, &c);
        to_signed(sx, &a);
        to_signed(sy, &b);
        u256_t got;

        got = u256_add(&a, &b);
        mpz_add(r, x, y);
        assert_word(&got, r, "add", &a, &b);
        got = u256_sub(&a, &b);
        mpz_sub(r, x, y);
        assert_word(&got, r, "sub", &a, &b);
        got = u256_mul(&a, &b);
        mpz_mul(r, x, y);
        assert_word(&got, r, "mul", &a, &b);

        got = u256_div(&a, &b);
        if (mpz_sgn(y))
            mpz_fdiv_q(r, x, y);
        else
            mpz_set_ui(r, 0);
        assert_word(&got, r, "div", &a, &b);
        got = u256_mod(&a, &b);
        if (mpz_sgn(y))
            mpz_fdiv_r(r, x, y);
        else
            mpz_set_ui(r, 0);
        assert_word(&got, r, "mod", &a, &b);
        got = u256_sdiv(&a, &b);
        if (mpz_sgn(sy))
            mpz_tdiv_q(r, sx, sy);
        else
            mpz_set_ui(r, 0);
        assert_word(&got, r, "sdiv", &a, &b);
        got = u256_smod(&a, &b);
        if (mpz_sgn(sy))
            mpz_tdiv_r(r, sx, sy);
        else
            mpz_set_ui(r, 0);
        assert_word(&got, r, "smod", &a, &b);

        got = u256_addmod(&a, &b, &c);
        if (mpz_sgn(m)) {
            mpz_add(t, x, y);
            mpz_fdiv_r(r, t, m);
        } else {
            mpz_set_ui(r, 0);
        }
        assert_word(&got, r, "addmod", &a, &b);
        got = u256_mulmod(&a, &b, &c);
        if (mpz_sgn(m)) {
            mpz_mul(t, x, y);
            mpz_fdiv_r(r, t, m);
        } else {
            mpz_set_ui(r, 0);
        }
        assert_word(&got, r, "mulmod", &a, &b);

        got = u256_exp(&a, &b);
        mpz_ui_pow_ui(t, 2, 256);
        mpz_powm(r, x, y, t);
        assert_word(&got, r, "exp", &a, &b);

        /* comparisons */
        ck_assert_int_eq(u256_lt(&a, &b), mpz_cmp(x, y) < 0);
        ck_assert_int_eq(u256_eq(&a, &b), mpz_cmp(x, y) == 0);
        ck_assert_int_eq(u256_slt(&a, &b), mpz_cmp(sx, sy) < 0);
        ck_assert_uint_eq(u256_byte_len(&a), mpz_sgn(x) ? (mpz_sizeinbase(x, 2) + 7) / 8 : 0);

        /* bitwise */
        got = u256_and(&a, &b);
        mpz_and(r, x, y);
        assert_word(&got, r, "and", &a, &b);
        got = u256_or(&a, &b);
        mpz_ior(r, x, y);
        assert_word(&got, r, "or", &a, &b);
        got = u256_xor(&a, &b);
        mpz_xor(r, x, y);
        assert_word(&got, r, "xor", &a, &b);
        got = u256_not(&a);
        mpz_com(r, x);
        assert_word(&got, r, "not", &a, &b);

        /* shifts: the shift amount is b taken small */
        u256_t sh = u256_from_u64(b.w[0] % 300);
        unsigned s = u256_shift_amount(&sh);
        got = u256_shl(&a, s);
        mpz_mul_2exp(r, x, s);
        assert_word(&got, r, "shl", &a, &sh);
        got = u256_shr(&a, s);
        mpz_fdiv_q_2exp(r, x, s);
        assert_word(&got, r, "shr", &a, &sh);
        got = u256_sar(&a, s);
        mpz_fdiv_q_2exp(r, sx, s);
        assert_word(&got, r, "sar", &a, &sh);
        /* a shift amount above 2^64 counts as >= 256 */
        ck_assert_uint_eq(u256_shift_amount(&c), (u256_fits_u64(&c) && c.w[0] < 256) ? c.w[0] : 256);

        /* byte i of a, from the most significant */
        u256_t idx = u256_from_u64(b.w[0] % 40);
        got = u256_byte(&idx, &a);
        if (idx.w[0] < 32) {
            mpz_fdiv_q_2exp(t, x, 8 * (31 - idx.w[0]));
            mpz_fdiv_r_2exp(r, t, 8);
        } else {
            mpz_set_ui(r, 0);
        }
        assert_word(&got, r, "byte", &idx, &a);

        /* signextend from byte k */
        u256_t k = u256_from_u64(b.w[0] % 40);
        got = u256_signextend(&k, &a);
        if (k.w[0] < 31) {
            unsigned bits = 8 * (unsigned)k.w[0] + 8;
            mpz_fdiv_r_2exp(r, x, bits);
            if (mpz_tstbit(r, bits - 1)) {
                mpz_ui_pow_ui(t, 2, bits);
                mpz_sub(r, r, t);
            }
        } else {
            mpz_set(r, x);
        }
        assert_word(&got, r, "signextend", &k, &a);
    }
    mpz_clears(x, y, m, r, sx, sy, t, NULL);
}
END_TEST

START_TEST(test_bytes_and_text)
{
    uint8_t be[32];
    for (int i = 0; i < 32; i++)
        be[i] = (uint8_t)(i + 1);
    u256_t a = u256_from_be(be);
    ck_assert_uint_eq(a.w[3], 0x0102030405060708ull);
    ck_assert_uint_eq(a.w[0], 0x191a1b1c1d1e1f20ull);
    uint8_t back[32];
    u256_to_be(&a, back);
    ck_assert_mem_eq(be, back, 32);
    u256_t b = u256_from_be_n(be, 3);
    ck_assert_uint_eq(b.w[0], 0x010203);
    u256_t h;
    ck_assert(u256_from_hex("0xff", &h) && h.w[0] == 255);
    ck_assert(!u256_from_hex("0x", &h));
    ck_assert(!u256_from_hex("12g", &h));
    char dec[80];
    u256_t max = { { ~0ull, ~0ull, ~0ull, ~0ull } };
    u256_to_dec(&max, dec);
    ck_assert_str_eq(dec, "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    u256_t zero = u256_from_u64(0);
    u256_to_dec(&zero, dec);
    ck_assert_str_eq(dec, "0");
}
END_TEST

static void hex32(const uint8_t h[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", h[i]);
}

/* Published Keccak-256 vectors (the Keccak team's and Ethereum's). */
START_TEST(test_keccak_vectors)
{
    uint8_t h[32];
    char hex[65];
    keccak256((const uint8_t *)"", 0, h);
    hex32(h, hex);
    ck_assert_str_eq(hex, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    keccak256((const uint8_t *)"abc", 3, h);
    hex32(h, hex);
    ck_assert_str_eq(hex, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    const char *fox = "The quick brown fox jumps over the lazy dog";
    keccak256((const uint8_t *)fox, strlen(fox), h);
    hex32(h, hex);
    ck_assert_str_eq(hex, "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
    /* 200 bytes of 0xa3 (more than one 136-byte block) */
    uint8_t a3[200];
    memset(a3, 0xa3, sizeof a3);
    keccak256(a3, sizeof a3, h);
    hex32(h, hex);
    ck_assert_str_eq(hex, "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a");
    /* the ERC20 Transfer event topic */
    const char *ev = "Transfer(address,address,uint256)";
    keccak256((const uint8_t *)ev, strlen(ev), h);
    hex32(h, hex);
    ck_assert_str_eq(hex, "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
}
END_TEST

/* Incremental hashing in pieces of every size equals the one-shot hash. */
START_TEST(test_keccak_incremental)
{
    uint8_t data[600], want[32], got[32];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof data; len += 37) {
        keccak256(data, len, want);
        for (size_t piece = 1; piece < 300; piece += 41) {
            keccak_t k;
            keccak_init(&k);
            for (size_t off = 0; off < len; off += piece)
                keccak_update(&k, data + off, off + piece <= len ? piece : len - off);
            keccak_final(&k, got);
            ck_assert_mem_eq(got, want, 32);
        }
    }
}
END_TEST

START_TEST(test_rlp)
{
    GByteArray *b = g_byte_array_new();
    rlp_bytes(b, (const uint8_t *)"dog", 3);
    ck_assert_mem_eq(b->data, "\x83" "dog", 4);
    g_byte_array_set_size(b, 0);
    rlp_uint(b, 0);
    ck_assert_uint_eq(b->len, 1);
    ck_assert_uint_eq(b->data[0], 0x80);
    g_byte_array_set_size(b, 0);
    rlp_uint(b, 15);
    ck_assert_uint_eq(b->data[0], 0x0f);
    g_byte_array_set_size(b, 0);
    rlp_uint(b, 1024);
    ck_assert_mem_eq(b->data, "\x82\x04\x00", 3);
    g_byte_array_set_size(b, 0);
    uint8_t lorem[56];
    memset(lorem, 'a', sizeof lorem);
    rlp_bytes(b, lorem, sizeof lorem);
    ck_assert_uint_eq(b->data[0], 0xb8);
    ck_assert_uint_eq(b->data[1], 56);
    ck_assert_uint_eq(b->len, 58);
    GByteArray *items = g_byte_array_new();
    rlp_bytes(items, (const uint8_t *)"cat", 3);
    rlp_bytes(items, (const uint8_t *)"dog", 3);
    g_byte_array_set_size(b, 0);
    rlp_list(b, items->data, items->len);
    ck_assert_mem_eq(b->data, "\xc8\x83" "cat" "\x83" "dog", 9);
    g_byte_array_set_size(b, 0);
    rlp_list(b, NULL, 0);
    ck_assert_uint_eq(b->data[0], 0xc0);
    g_byte_array_free(items, TRUE);
    g_byte_array_free(b, TRUE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vm");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_arith_vs_gmp);
    tcase_add_test(tc, test_bytes_and_text);
    tcase_add_test(tc, test_keccak_vectors);
    tcase_add_test(tc, test_keccak_incremental);
    tcase_add_test(tc, test_rlp);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
