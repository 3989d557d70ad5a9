/*
 * check_keys.c - Check suite for core/keys (key derivation, addresses,
 * signatures).
 *
 * Derivation must be a pure function of (seed, index) and differ when either
 * changes. The address text form must round-trip and reject every malformed
 * input: each single hex digit changed (all 48 positions, every other digit
 * value), a wrong prefix, wrong lengths, uppercase and non-hex characters.
 * Signatures verify, and fail after any single bit flip of the message, the
 * signature or the public key.
 */
#include "core/hash.h"
#include "core/keys.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_derive_deterministic)
{
    keypair_t a, b;
    keys_derive(&a, 42, 7);
    keys_derive(&b, 42, 7);
    ck_assert_mem_eq(a.pk, b.pk, PK_BYTES);
    ck_assert_mem_eq(a.sk, b.sk, SK_BYTES);
    ck_assert(addr_equal(&a.addr, &b.addr));

    /* The address is derived from the public key. */
    addr_t from_pk;
    addr_from_pk(&from_pk, a.pk);
    ck_assert(addr_equal(&from_pk, &a.addr));
    /* libsodium's secret key carries the public key in its second half. */
    ck_assert_mem_eq(a.sk + 32, a.pk, PK_BYTES);
}
END_TEST

START_TEST(test_derive_differs)
{
    enum { N = 16 };
    keypair_t kp[2 * N];
    for (int i = 0; i < N; i++) {
        keys_derive(&kp[i], 1, (uint64_t)i);     /* seed 1, indexes 0..N-1 */
        keys_derive(&kp[N + i], 2, (uint64_t)i); /* seed 2, same indexes */
    }
    for (int i = 0; i < 2 * N; i++) {
        for (int j = i + 1; j < 2 * N; j++) {
            ck_assert(memcmp(kp[i].pk, kp[j].pk, PK_BYTES) != 0);
            ck_assert(!addr_equal(&kp[i].addr, &kp[j].addr));
            ck_assert_int_ne(addr_cmp(&kp[i].addr, &kp[j].addr), 0);
        }
    }
    /* Seed and index are not interchangeable. */
    keypair_t x, y;
    keys_derive(&x, 3, 5);
    keys_derive(&y, 5, 3);
    ck_assert(!addr_equal(&x.addr, &y.addr));
}
END_TEST

START_TEST(test_addr_cmp_order)
{
    addr_t a, b;
    memset(a.b, 0, ADDR_BYTES);
    memset(b.b, 0, ADDR_BYTES);
    b.b[ADDR_BYTES - 1] = 1;
    ck_assert_int_lt(addr_cmp(&a, &b), 0);
    ck_assert_int_gt(addr_cmp(&b, &a), 0);
    ck_assert_int_eq(addr_cmp(&a, &a), 0);
    a.b[0] = 1;
    ck_assert_int_gt(addr_cmp(&a, &b), 0);
}
END_TEST

START_TEST(test_addr_text_roundtrip)
{
    for (uint64_t i = 0; i < 32; i++) {
        keypair_t kp;
        keys_derive(&kp, 99, i);
        char text[ADDR_TEXT_LEN + 1];
        memset(text, 'x', sizeof text);
        addr_to_text(&kp.addr, text);
        ck_assert_uint_eq(strlen(text), ADDR_TEXT_LEN);
        ck_assert(text[0] == 'c' && text[1] == 's');
        for (int k = 2; k < ADDR_TEXT_LEN; k++)
            ck_assert(strchr("0123456789abcdef", text[k]) != NULL);
        addr_t back;
        ck_assert(addr_from_text(&back, text));
        ck_assert(addr_equal(&back, &kp.addr));
    }
    /* A fixed address gives a fixed text (the format never changes). */
    addr_t zero;
    memset(zero.b, 0, ADDR_BYTES);
    char text[ADDR_TEXT_LEN + 1];
    addr_to_text(&zero, text);
    ck_assert(strncmp(text, "cs0000000000000000000000000000000000000000", 42) == 0);
    addr_t back;
    ck_assert(addr_from_text(&back, text));
    ck_assert(addr_equal(&back, &zero));
}
END_TEST

START_TEST(test_addr_text_single_digit_changes)
{
    keypair_t kp;
    keys_derive(&kp, 5, 5);
    char good[ADDR_TEXT_LEN + 1];
    addr_to_text(&kp.addr, good);
    static const char digits[] = "0123456789abcdef";
    int tried = 0;
    for (int pos = 2; pos < ADDR_TEXT_LEN; pos++) {
        for (int d = 0; d < 16; d++) {
            if (digits[d] == good[pos])
                continue;
            char bad[ADDR_TEXT_LEN + 1];
            memcpy(bad, good, sizeof bad);
            bad[pos] = digits[d];
            addr_t out = kp.addr;
            ck_assert_msg(!addr_from_text(&out, bad), "accepted %s", bad);
            ck_assert(addr_equal(&out, &kp.addr)); /* untouched on failure */
            tried++;
        }
    }
    ck_assert_int_eq(tried, 48 * 15);
}
END_TEST

START_TEST(test_addr_text_malformed)
{
    keypair_t kp;
    keys_derive(&kp, 8, 1);
    char good[ADDR_TEXT_LEN + 1];
    addr_to_text(&kp.addr, good);
    addr_t out;
    char bad[ADDR_TEXT_LEN + 8];

    /* Wrong prefix. */
    static const char *const prefixes[] = {"CS", "cS", "Cs", "ca", "xs", "00", "c ", " s"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        memcpy(bad, good, sizeof good);
        memcpy(bad, prefixes[i], 2);
        ck_assert(!addr_from_text(&out, bad));
    }
    /* Wrong lengths: every shorter prefix of the text, and longer texts. */
    for (size_t n = 0; n < ADDR_TEXT_LEN; n++) {
        memcpy(bad, good, n);
        bad[n] = '\0';
        ck_assert(!addr_from_text(&out, bad));
    }
    memcpy(bad, good, ADDR_TEXT_LEN);
    strcpy(bad + ADDR_TEXT_LEN, "0");
    ck_assert(!addr_from_text(&out, bad));
    strcpy(bad + ADDR_TEXT_LEN, " ");
    ck_assert(!addr_from_text(&out, bad));
    strcpy(bad + ADDR_TEXT_LEN, "00");
    ck_assert(!addr_from_text(&out, bad));
    ck_assert(!addr_from_text(&out, ""));
    ck_assert(!addr_from_text(&out, NULL));

    /* Uppercase: the same digits in upper case are rejected. */
    int upper = 0;
    for (int pos = 2; pos < ADDR_TEXT_LEN; pos++) {
        if (good[pos] >= 'a' && good[pos] <= 'f') {
            memcpy(bad, good, sizeof good);
            bad[pos] = (char)(good[pos] - 'a' + 'A');
            ck_assert(!addr_from_text(&out, bad));
            upper++;
        }
    }
    ck_assert_int_gt(upper, 0);
    memcpy(bad, good, sizeof good);
    for (int pos = 0; pos < ADDR_TEXT_LEN; pos++)
        if (bad[pos] >= 'a' && bad[pos] <= 'z')
            bad[pos] = (char)(bad[pos] - 'a' + 'A');
    ck_assert(!addr_from_text(&out, bad));

    /* Non-hex characters at every position. */
    static const char nonhex[] = "gxz G-+ \t.:/\x7f\x80\xff";
    for (int pos = 2; pos < ADDR_TEXT_LEN; pos++) {
        for (size_t k = 0; k < sizeof nonhex - 1; k++) {
            memcpy(bad, good, sizeof good);
            bad[pos] = nonhex[k];
            ck_assert(!addr_from_text(&out, bad));
        }
    }
    /* An embedded NUL shortens the text. */
    memcpy(bad, good, sizeof good);
    bad[20] = '\0';
    ck_assert(!addr_from_text(&out, bad));

    /* The good text still parses. */
    ck_assert(addr_from_text(&out, good));
    ck_assert(addr_equal(&out, &kp.addr));
}
END_TEST

START_TEST(test_sign_verify)
{
    keypair_t kp, other;
    keys_derive(&kp, 11, 0);
    keys_derive(&other, 11, 1);
    uint8_t msg[100];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 37 + 1);
    uint8_t sig[SIG_BYTES];
    keys_sign(&kp, msg, sizeof msg, sig);
    ck_assert(keys_verify(kp.pk, msg, sizeof msg, sig));
    ck_assert(!keys_verify(other.pk, msg, sizeof msg, sig));

    /* Ed25519 is deterministic: signing again gives the same bytes. */
    uint8_t sig2[SIG_BYTES];
    keys_sign(&kp, msg, sizeof msg, sig2);
    ck_assert_mem_eq(sig, sig2, SIG_BYTES);

    /* Any flipped bit of the message fails. */
    for (size_t bit = 0; bit < 8 * sizeof msg; bit += 7) {
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert(!keys_verify(kp.pk, msg, sizeof msg, sig));
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* Any flipped bit of the signature fails. */
    for (size_t bit = 0; bit < 8 * SIG_BYTES; bit++) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_msg(!keys_verify(kp.pk, msg, sizeof msg, sig), "bit %zu", bit);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* A flipped bit of the public key fails. */
    uint8_t pk[PK_BYTES];
    memcpy(pk, kp.pk, PK_BYTES);
    pk[3] ^= 0x10;
    ck_assert(!keys_verify(pk, msg, sizeof msg, sig));
    /* A truncated message fails. */
    ck_assert(!keys_verify(kp.pk, msg, sizeof msg - 1, sig));
    ck_assert(keys_verify(kp.pk, msg, sizeof msg, sig));

    /* The empty message can be signed too. */
    keys_sign(&kp, NULL, 0, sig);
    ck_assert(keys_verify(kp.pk, NULL, 0, sig));
}
END_TEST

static Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");

    TCase *tc = tcase_create("derive");
    tcase_add_test(tc, test_derive_deterministic);
    tcase_add_test(tc, test_derive_differs);
    tcase_add_test(tc, test_addr_cmp_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_test(tc, test_addr_text_roundtrip);
    tcase_add_test(tc, test_addr_text_single_digit_changes);
    tcase_add_test(tc, test_addr_text_malformed);
    suite_add_tcase(s, tc);

    tc = tcase_create("sign");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sign_verify);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    hash_init();
    SRunner *sr = srunner_create(keys_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
