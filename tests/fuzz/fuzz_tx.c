/*
 * fuzz_tx.c - libFuzzer driver for the transaction decoder (tx_decode,
 * core/tx.c).
 *
 * Besides not crashing or reading past the input (the input is handed over
 * in a buffer of exactly its size), an accepted input must re-encode to
 * exactly the same bytes, have that length as its size, the BLAKE2b-256 of
 * the input as its id and the address of its public key as its sender; a
 * refused input must come with one of the documented reasons. The signature
 * check and the fee rate run on every accepted input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/keys.h"
#include "core/tx.h"

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_tx: property broken: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        hash_init();
        ready = 1;
    }
    const char *why = NULL;
    tx_t *tx = tx_decode(data, size, &why);
    if (!tx) {
        static const char *const reasons[] = { "truncated", "trailing bytes", "bad version", "unknown kind",
                                               "payload too long" };
        for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
            if (why && strcmp(why, reasons[i]) == 0)
                return 0;
        fail("refused without a documented reason");
    }
    if (why)
        fail("accepted with a reason");
    if (tx->size_bytes != size || tx->refs != 1 || tx->sig_ok != -1)
        fail("size, references or signature memo wrong");
    uint8_t *out = malloc(size);
    if (tx_encode(tx, out, size) != size || memcmp(out, data, size) != 0)
        fail("decode -> encode is not the identity");
    if (size > 0 && tx_encode(tx, out, size - 1) != 0)
        fail("encode into too small a buffer");
    free(out);
    hash32_t id;
    hash_blake2b(&id, data, size);
    if (memcmp(id.b, tx->id.b, HASH_BYTES) != 0)
        fail("the id is not the hash of the input");
    addr_t sender;
    addr_from_pk(&sender, tx->sender_pk);
    if (!addr_equal(&sender, &tx->sender))
        fail("the sender is not the address of the public key");
    bool ok = tx_verify(tx);
    if (tx_verify(tx) != ok || tx->sig_ok != (ok ? 1 : 0))
        fail("the signature memo disagrees");
    (void)tx_feerate_ppm(tx);
    (void)tx_target(tx);
    tx_unref(tx_ref(tx));
    tx_unref(tx);
    return 0;
}
