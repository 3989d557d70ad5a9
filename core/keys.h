/*
 * keys.h - Ed25519 key pairs and addresses.
 *
 * Key pairs are derived deterministically: the 32-byte Ed25519 seed of
 * account i in a run is BLAKE2b-256("chainsim-account" || run seed || i), so
 * the same scenario and seed always give the same accounts.
 *
 * An address is the first 20 bytes of BLAKE2b-256(public key). Its text form
 * is "cs" followed by 48 lowercase hex digits: the 20 address bytes and a
 * 4-byte checksum (the first 4 bytes of BLAKE2b-256 of the 20 bytes). A typo
 * in the text changes the checksum and is rejected.
 */
#ifndef CHAINSIM_KEYS_H
#define CHAINSIM_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_BYTES 20
#define ADDR_TEXT_LEN 50 /* "cs" + 48 hex digits */
#define PK_BYTES 32
#define SK_BYTES 64
#define SIG_BYTES 64

typedef struct addr {
    uint8_t b[ADDR_BYTES];
} addr_t;

typedef struct keypair {
    uint8_t pk[PK_BYTES];
    uint8_t sk[SK_BYTES];
    addr_t addr;
} keypair_t;

/* Derives account `index` of the run with `seed`. */
void keys_derive(keypair_t *kp, uint64_t seed, uint64_t index);

void addr_from_pk(addr_t *out, const uint8_t pk[PK_BYTES]);
bool addr_equal(const addr_t *a, const addr_t *b);
int addr_cmp(const addr_t *a, const addr_t *b);

/* Writes ADDR_TEXT_LEN characters and a NUL. */
void addr_to_text(const addr_t *a, char out[ADDR_TEXT_LEN + 1]);
/* Parses the text form; false on wrong length, prefix, digits or checksum. */
bool addr_from_text(addr_t *out, const char *text);

/* Ed25519 detached signatures over msg. */
void keys_sign(const keypair_t *kp, const uint8_t *msg, size_t len, uint8_t sig[SIG_BYTES]);
bool keys_verify(const uint8_t pk[PK_BYTES], const uint8_t *msg, size_t len, const uint8_t sig[SIG_BYTES]);

#endif
