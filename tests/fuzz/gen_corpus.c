/*
 * gen_corpus.c - writes the seed corpora of the transaction and block
 * fuzzers: real encodings built with the core API (signed transfers, stake,
 * unstake and vote calls, a forged signature, a transaction with a longer
 * payload; a genesis, blocks with transactions, extra bytes and padding).
 *
 * Keys derive from a fixed seed and Ed25519 signatures are deterministic, so
 * the output is the same on every run: the committed files in
 * tests/fuzz/corpus/{tx,block}/ are this program's output.
 *
 *   usage: gen_corpus DIR     (writes DIR/tx/seed-*.bin and DIR/block/seed-*.bin)
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/block.h"
#include "core/hash.h"
#include "core/keys.h"
#include "core/tx.h"

static void write_file(const char *dir, const char *sub, const char *name, const uint8_t *buf, size_t len)
{
    char *folder = g_build_filename(dir, sub, NULL);
    g_mkdir_with_parents(folder, 0755);
    char *path = g_strdup_printf("%s/seed-%s.bin", folder, name);
    GError *err = NULL;
    /* g_file_set_contents writes a temporary file and renames it */
    if (!g_file_set_contents(path, (const char *)buf, (gssize)len, &err)) {
        fprintf(stderr, "gen_corpus: %s\n", err->message);
        exit(1);
    }
    g_free(path);
    g_free(folder);
}

static void write_tx(const char *dir, const char *name, const tx_t *tx)
{
    uint8_t *buf = g_malloc(tx->size_bytes);
    size_t n = tx_encode(tx, buf, tx->size_bytes);
    g_assert(n == tx->size_bytes);
    write_file(dir, "tx", name, buf, n);
    g_free(buf);
}

static void write_block(const char *dir, const char *name, const block_t *b)
{
    size_t len = block_encoded_bytes(b);
    uint8_t *buf = g_malloc(len);
    size_t n = block_encode(b, buf, len);
    g_assert(n == len);
    write_file(dir, "block", name, buf, n);
    g_free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    hash_init();
    keypair_t k[4];
    for (int i = 0; i < 4; i++)
        keys_derive(&k[i], 20240601, (uint64_t)i);

    tx_t *t[8];
    t[0] = tx_new_transfer(&k[0], &k[1].addr, 100000, 1000, 0);
    t[1] = tx_new_transfer(&k[1], &k[2].addr, UINT64_MAX, UINT64_MAX, UINT64_MAX);
    t[2] = tx_new_call(&k[0], TX_STAKE, 3, 5000000, 2000, 1);
    t[3] = tx_new_call(&k[0], TX_UNSTAKE, 3, 2500000, 2000, 2);
    t[4] = tx_new_call(&k[2], TX_VOTE, 17, 0, 1500, 0);
    uint8_t bad_sig[SIG_BYTES];
    memset(bad_sig, 0xab, sizeof bad_sig);
    t[5] = tx_new_unchecked(k[3].pk, &k[0].addr, 1, 1, 5, bad_sig);
    t[6] = tx_new_transfer(&k[3], &k[3].addr, 0, 0, 7);
    const char *names[] = { "transfer", "transfer-max", "stake", "unstake", "vote", "bad-signature", "self" };
    for (int i = 0; i < 7; i++)
        write_tx(dir, names[i], t[i]);

    /* a transaction with a 100-byte payload (not signed over it: the
     * decoder does not check signatures) */
    uint8_t big[TX_FIXED_BYTES + 100];
    uint8_t base[TX_FIXED_BYTES];
    tx_encode(t[0], base, sizeof base);
    memcpy(big, base, TX_FIXED_BYTES - SIG_BYTES);
    big[78] = 100;
    big[79] = big[80] = big[81] = 0;
    for (int i = 0; i < 100; i++)
        big[TX_FIXED_BYTES - SIG_BYTES + i] = (uint8_t)i;
    memcpy(big + TX_FIXED_BYTES - SIG_BYTES + 100, base + TX_FIXED_BYTES - SIG_BYTES, SIG_BYTES);
    write_file(dir, "tx", "payload-100", big, sizeof big);

    block_t *genesis = block_new(NULL, 0, 0, NULL, NULL, 0, 0);
    write_block(dir, "genesis", genesis);
    block_t *b1 = block_new(genesis, 600000000000ull, 1, &k[1].addr, t, 3, 0);
    b1->h.difficulty = 1000000;
    b1->h.nonce = 77;
    block_seal(b1);
    write_block(dir, "pow-3tx", b1);
    block_t *b2 = block_new(b1, 612000000000ull, 2, &k[2].addr, t + 3, 4, 535000);
    b2->h.slot = 51;
    b2->h.extra_len = 2 * SIG_BYTES + 8;
    b2->h.extra = g_malloc0(b2->h.extra_len);
    keys_sign(&k[2], b2->h.tx_root.b, HASH_BYTES, b2->h.extra);
    block_seal(b2);
    write_block(dir, "slot-extra-padding", b2);
    block_t *b3 = block_new(b2, 613000000000ull, 3, &k[3].addr, NULL, 0, 0);
    write_block(dir, "empty", b3);

    block_free(b3);
    block_free(b2);
    block_free(b1);
    block_free(genesis);
    for (int i = 0; i < 7; i++)
        tx_unref(t[i]);
    return 0;
}
