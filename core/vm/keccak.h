/*
 * keccak.h - Keccak-256 as Ethereum uses it (the original Keccak padding
 * 0x01, not SHA3-256's 0x06): rate 136 bytes, capacity 512 bits, 32-byte
 * digest.
 */
#ifndef CHAINSIM_VM_KECCAK_H
#define CHAINSIM_VM_KECCAK_H

#include <stddef.h>
#include <stdint.h>

/* Incremental hashing: init, any number of updates, final. */
typedef struct keccak {
    uint64_t a[25];
    size_t pos; /* bytes absorbed into the current block */
} keccak_t;

void keccak_init(keccak_t *k);
void keccak_update(keccak_t *k, const uint8_t *data, size_t len);
void keccak_final(keccak_t *k, uint8_t out[32]);

/* One-shot Keccak-256 of data. */
void keccak256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
