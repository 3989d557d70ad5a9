/*
 * hash.c - BLAKE2b-256 wrappers over libsodium's crypto_generichash.
 */
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>

void hash_init(void)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "chainsim: libsodium failed to initialise\n");
        abort();
    }
}

void hash_blake2b(hash32_t *out, const void *data, size_t len)
{
    crypto_generichash(out->b, HASH_BYTES, data, len, NULL, 0);
}

void hasher_begin(hasher_t *h)
{
    crypto_generichash_init(&h->st, NULL, 0, HASH_BYTES);
}

void hasher_update(hasher_t *h, const void *data, size_t len)
{
    crypto_generichash_update(&h->st, data, len);
}

void hasher_end(hasher_t *h, hash32_t *out)
{
    crypto_generichash_final(&h->st, out->b, HASH_BYTES);
}

void hash_to_hex(const hash32_t *h, char hex[2 * HASH_BYTES + 1])
{
    sodium_bin2hex(hex, 2 * HASH_BYTES + 1, h->b, HASH_BYTES);
}
