/*
 * check_block.c - Check suite for the block wire encoding of core/block
 * (block_encode / block_decode).
 *
 * Real blocks (signed transfers and stake calls, extra bytes, padding)
 * round-trip byte for byte and keep their id; every truncation, trailing
 * bytes, a bad version, an oversized extra length or transaction count and
 * a broken transaction inside are refused with their reason. Inputs are
 * copied to exact-size buffers so that ASan sees any read past the end.
 */
#include "core/block.h"
#include "core/hash.h"
#include "core/keys.h"
#include "core/tx.h"

#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

static keypair_t alice, bob;

static void setup(void)
{
    hash_init();
    keys_derive(&alice, 7, 0);
    keys_derive(&bob, 7, 1);
}

/* A block of three transactions on a genesis, with extra bytes. */
static block_t *sample(block_t **genesis)
{
    *genesis = block_new(NULL, 0, 0, NULL, NULL, 0, 0);
    tx_t *txs[3] = {
        tx_new_transfer(&alice, &bob.addr, 1000, 10, 0),
        tx_new_call(&alice, TX_STAKE, 5, 2000, 20, 1),
        tx_new_transfer(&bob, &alice.addr, 7, 1, 0),
    };
    block_t *b = block_new(*genesis, 12000000000ull, 3, &alice.addr, txs, 3, 535000);
    b->h.difficulty = 99;
    b->h.nonce = 12345;
    b->h.slot = 1;
    b->h.extra_len = 5;
    b->h.extra = g_memdup2("\x01\x02\x03\x04\x05", 5);
    block_seal(b);
    for (int i = 0; i < 3; i++)
        tx_unref(txs[i]);
    return b;
}

static uint8_t *encode(const block_t *b, size_t *len)
{
    *len = block_encoded_bytes(b);
    uint8_t *buf = g_malloc(*len);
    ck_assert_uint_eq(block_encode(b, buf, *len), *len);
    return buf;
}

/* Decodes an exact-size copy of buf[0, len). */
static block_t *decode(const uint8_t *buf, size_t len, const char **why)
{
    uint8_t *copy = g_malloc(len ? len : 1);
    memcpy(copy, buf, len);
    block_t *b = block_decode(copy, len, why);
    g_free(copy);
    return b;
}

START_TEST(test_roundtrip)
{
    block_t *g, *b = sample(&g);
    size_t len;
    uint8_t *buf = encode(b, &len);
    ck_assert_uint_eq(block_encode(b, buf, len - 1), 0);
    const char *why = "unset";
    block_t *d = decode(buf, len, &why);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_null(why);
    ck_assert_mem_eq(d->id.b, b->id.b, HASH_BYTES);
    ck_assert_mem_eq(d->h.parent.b, g->id.b, HASH_BYTES);
    ck_assert_ptr_null(d->parent);
    ck_assert_uint_eq(d->ntx, 3);
    ck_assert_uint_eq(d->h.height, 1);
    ck_assert_uint_eq(d->h.time_ns, 12000000000ull);
    ck_assert_uint_eq(d->h.producer, 3);
    ck_assert_uint_eq(d->h.difficulty, 99);
    ck_assert_uint_eq(d->h.nonce, 12345);
    ck_assert_uint_eq(d->h.padding_bytes, 535000);
    ck_assert_uint_eq(d->h.extra_len, 5);
    ck_assert_mem_eq(d->h.extra, b->h.extra, 5);
    ck_assert_uint_eq(d->size_bytes, b->size_bytes);
    ck_assert_uint_eq(d->work, 99);
    ck_assert(block_check_root(d));
    for (uint32_t i = 0; i < 3; i++)
        ck_assert_mem_eq(d->txs[i]->id.b, b->txs[i]->id.b, HASH_BYTES);
    size_t len2;
    uint8_t *again = encode(d, &len2);
    ck_assert_uint_eq(len2, len);
    ck_assert_mem_eq(again, buf, len);

    /* the genesis (no transactions, no extra) too */
    g_free(again);
    uint8_t *gbuf = encode(g, &len2);
    block_t *gd = decode(gbuf, len2, &why);
    ck_assert_ptr_nonnull(gd);
    ck_assert_mem_eq(gd->id.b, g->id.b, HASH_BYTES);
    ck_assert_uint_eq(gd->ntx, 0);
    block_free(gd);
    g_free(gbuf);
    block_free(d);
    block_free(b);
    block_free(g);
    g_free(buf);
}
END_TEST

START_TEST(test_truncated_and_trailing)
{
    block_t *g, *b = sample(&g);
    size_t len;
    uint8_t *buf = encode(b, &len);
    for (size_t n = 0; n < len; n++) {
        const char *why = NULL;
        block_t *d = decode(buf, n, &why);
        ck_assert_msg(d == NULL, "a block cut to %zu of %zu bytes decoded", n, len);
        ck_assert_str_eq(why, "truncated");
    }
    uint8_t *longer = g_malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    const char *why = NULL;
    ck_assert_ptr_null(decode(longer, len + 1, &why));
    ck_assert_str_eq(why, "trailing bytes");
    g_free(longer);
    block_free(b);
    block_free(g);
    g_free(buf);
}
END_TEST

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

START_TEST(test_bad_fields)
{
    block_t *g, *b = sample(&g);
    size_t len;
    uint8_t *buf = encode(b, &len);
    uint8_t *w = g_malloc(len);
    const size_t extra_len_at = BLOCK_HEADER_FIXED_BYTES - 8 - 4;
    const size_t ntx_at = BLOCK_HEADER_FIXED_BYTES + 5;
    const char *why = NULL;

    memcpy(w, buf, len);
    w[0] = 2;
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "bad version");

    memcpy(w, buf, len);
    put_u32(w + extra_len_at, BLOCK_MAX_EXTRA_BYTES + 1);
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "extra too long");
    put_u32(w + extra_len_at, UINT32_MAX);
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "extra too long");

    memcpy(w, buf, len);
    put_u32(w + ntx_at, UINT32_MAX);
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "too many transactions");
    put_u32(w + ntx_at, 4);
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "truncated");
    put_u32(w + ntx_at, 2);
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "trailing bytes");

    /* the first transaction's version, kind and payload length */
    memcpy(w, buf, len);
    w[ntx_at + 4] = 9;
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "bad transaction");
    memcpy(w, buf, len);
    w[ntx_at + 5] = 0;
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "bad transaction");
    memcpy(w, buf, len);
    put_u32(w + ntx_at + 4 + 78, TX_MAX_PAYLOAD + 1);
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "bad transaction");
    put_u32(w + ntx_at + 4 + 78, 100000);
    ck_assert_ptr_null(decode(w, len, &why));
    ck_assert_str_eq(why, "bad transaction");

    g_free(w);
    g_free(buf);
    block_free(b);
    block_free(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("block");
    TCase *tc = tcase_create("wire");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_truncated_and_trailing);
    tcase_add_test(tc, test_bad_fields);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
