/*
 * hash.h - content hashes (BLAKE2b-256 through libsodium) and their text form.
 *
 * hash_init() must be called once before any other function of core/ (it
 * initialises libsodium); it is idempotent.
 */
#ifndef CHAINSIM_HASH_H
#define CHAINSIM_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#define HASH_BYTES 32

typedef struct hash32 {
    uint8_t b[HASH_BYTES];
} hash32_t;

/* Incremental BLAKE2b-256. */
typedef struct hasher {
    crypto_generichash_state st;
} hasher_t;

void hash_init(void);
void hash_blake2b(hash32_t *out, const void *data, size_t len);
void hasher_begin(hasher_t *h);
void hasher_update(hasher_t *h, const void *data, size_t len);
void hasher_end(hasher_t *h, hash32_t *out);

/* Writes 64 lowercase hex digits and a NUL into hex (65 bytes). */
void hash_to_hex(const hash32_t *h, char hex[2 * HASH_BYTES + 1]);

#endif
