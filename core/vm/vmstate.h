/*
 * vmstate.h - an in-memory world state for the EVM: accounts with balance,
 * nonce, code (stored once by hash, shared between accounts) and storage.
 *
 * It implements the interpreter's host interface (vmstate_host), so
 * `chainsim evm run`, the reference tests and the contract tests run the
 * interpreter on it. A zero storage value is not stored. Accounts are
 * listed in address order (vmstate_addresses), so anything built from a
 * listing is deterministic.
 */
#ifndef CHAINSIM_VM_VMSTATE_H
#define CHAINSIM_VM_VMSTATE_H

#include <glib.h>

#include "core/vm/evm.h"

typedef struct vmstate vmstate_t;

/* A new empty state; free with vmstate_free(). */
vmstate_t *vmstate_new(void);
void vmstate_free(vmstate_t *s);

/* The host callbacks over a vmstate_t (pass the state as ctx). BLOCKHASH of
 * n is keccak256 of the decimal text of n, as the reference tests define. */
const evm_host_t *vmstate_host(void);

/* Direct access (creating the account as needed). */
void vmstate_set_balance(vmstate_t *s, const evm_addr_t *a, const u256_t *v);
void vmstate_set_nonce(vmstate_t *s, const evm_addr_t *a, uint64_t v);
void vmstate_set_code(vmstate_t *s, const evm_addr_t *a, const uint8_t *code, size_t len);
void vmstate_set_storage(vmstate_t *s, const evm_addr_t *a, const u256_t *key, const u256_t *v);
bool vmstate_exists(vmstate_t *s, const evm_addr_t *a);
u256_t vmstate_balance(vmstate_t *s, const evm_addr_t *a);
uint64_t vmstate_nonce(vmstate_t *s, const evm_addr_t *a);
u256_t vmstate_storage(vmstate_t *s, const evm_addr_t *a, const u256_t *key);
/* The code of a (NULL and 0 when none); valid until it changes. */
const uint8_t *vmstate_code(vmstate_t *s, const evm_addr_t *a, size_t *len);

/* Every account's address, sorted (g_free the array). */
evm_addr_t *vmstate_addresses(vmstate_t *s, size_t *n);
/* Every non-zero slot of a, sorted by key: keys and values in two new
 * arrays (g_free both). */
size_t vmstate_slots(vmstate_t *s, const evm_addr_t *a, u256_t **keys, u256_t **values);
/* How many distinct codes are stored (each once, however many accounts share it). */
size_t vmstate_code_count(vmstate_t *s);

#endif
