/*
 * fuzz_block.c - libFuzzer driver for the block decoder (block_decode,
 * core/block.c).
 *
 * Besides not crashing or reading past the input, an accepted input must
 * re-encode to exactly the same bytes, its id must be the BLAKE2b-256 of the
 * header bytes (the input up to the transaction count), its size the header
 * and transactions plus padding (saturated), and its work its difficulty; a
 * refused input must come with one of the documented reasons. The
 * transactions root check runs on every accepted input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/block.h"
#include "core/hash.h"

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_block: property broken: %s\n", what);
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
    block_t *b = block_decode(data, size, &why);
    if (!b) {
        static const char *const reasons[] = { "truncated", "bad version", "extra too long",
                                               "too many transactions", "bad transaction", "trailing bytes" };
        for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
            if (why && strcmp(why, reasons[i]) == 0)
                return 0;
        fail("refused without a documented reason");
    }
    if (why)
        fail("accepted with a reason");
    if (block_encoded_bytes(b) != size)
        fail("encoded size differs from the input size");
    uint8_t *out = malloc(size);
    if (block_encode(b, out, size) != size || memcmp(out, data, size) != 0)
        fail("decode -> encode is not the identity");
    if (block_encode(b, out, size - 1) != 0)
        fail("encode into too small a buffer");
    free(out);
    size_t header_len = (size_t)BLOCK_HEADER_FIXED_BYTES + b->h.extra_len;
    hash32_t id;
    hash_blake2b(&id, data, header_len);
    if (memcmp(id.b, b->id.b, HASH_BYTES) != 0)
        fail("the id is not the hash of the header bytes");
    uint64_t want = header_len;
    for (uint32_t i = 0; i < b->ntx; i++)
        want += b->txs[i]->size_bytes;
    want = want > UINT64_MAX - b->h.padding_bytes ? UINT64_MAX : want + b->h.padding_bytes;
    if (b->size_bytes != want || b->work != b->h.difficulty || b->parent != NULL)
        fail("size, work or parent wrong");
    (void)block_check_root(b);
    block_free(b);
    return 0;
}
