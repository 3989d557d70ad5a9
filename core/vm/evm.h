/*
 * evm.h - an Ethereum virtual machine: executes bytecode against a world
 * state reached through a host interface.
 *
 * The interpreter owns nothing of the world: balances, nonces, code and
 * storage are read and written through evm_host_t, a table of callbacks
 * (core/vm/vmstate.h is an in-memory implementation; the simulator's
 * versioned state can be another). What the interpreter keeps for the
 * length of one execution (evm_execute): the journal of every write it made
 * through the host, with the value before, so that a failed frame undoes
 * exactly its own writes; the logs; the accounts that self-destructed
 * (removed when the execution succeeds); the refund counter; and, under the
 * shanghai schedule, the warm accounts and slots (EIP-2929) and the
 * storage values at the start (EIP-2200). Across executions it keeps the
 * jump-destination analysis of every code it ran, by code hash.
 *
 * Two gas schedules (evm_fork_t): homestead, as the Ethereum VM reference
 * tests assume (Frontier costs, no 63/64 rule, no opcode after DELEGATECALL),
 * and shanghai (every opcode up to PUSH0, EIP-150, 160, 161, 1884, 2200,
 * 2929, 3529, 3541, 3651, 3855, 3860). See core/vm/evm.c for the rules.
 *
 * Precompiled contracts (addresses 1..4 under homestead, 1..9 under
 * shanghai) are not implemented: a call to one fails like an exceptional
 * halt of the callee (the caller sees 0 and the gas it passed is gone).
 */
#ifndef CHAINSIM_VM_EVM_H
#define CHAINSIM_VM_EVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vm/u256.h"

typedef struct evm_addr {
    uint8_t b[20];
} evm_addr_t;

typedef enum evm_fork { EVM_HOMESTEAD = 0, EVM_SHANGHAI = 1 } evm_fork_t;

/* How a frame (or an execution) ended. Everything after EVM_REVERT is an
 * exceptional halt: the frame's gas is consumed and its writes undone. */
typedef enum evm_status {
    EVM_SUCCESS = 0,
    EVM_REVERT,
    EVM_OUT_OF_GAS,
    EVM_BAD_JUMP,
    EVM_STACK_UNDERFLOW,
    EVM_STACK_OVERFLOW,
    EVM_INVALID_OPCODE,
    EVM_STATIC_WRITE,
    EVM_RETURNDATA_OOB,    /* RETURNDATACOPY past the return data */
    EVM_DEPTH,             /* call depth above 1024 */
    EVM_INSUFFICIENT_BALANCE,
    EVM_CREATE_COLLISION,  /* CREATE onto an account with code or a nonce */
    EVM_CODE_TOO_LARGE,    /* EIP-170 / EIP-3860 limits */
    EVM_CODE_EF,           /* deployed code starting with 0xEF (EIP-3541) */
    EVM_PRECOMPILE,        /* a call to a precompiled contract (not implemented) */
    EVM_NONCE_OVERFLOW,
} evm_status_t;

/* A short name for a status: "success", "revert", "out of gas", ... */
const char *evm_status_name(evm_status_t s);
/* Parses "homestead" or "shanghai". */
bool evm_fork_parse(const char *name, evm_fork_t *out);
const char *evm_fork_name(evm_fork_t f);

/* The world state, as the interpreter sees it. Every callback gets ctx.
 * An account exists once any of its fields was written (even to zero) and
 * until remove(). Code pointers stay valid until the next set_code or
 * remove of that account. The interpreter calls nothing else. */
typedef struct evm_host {
    bool (*exists)(void *ctx, const evm_addr_t *a);
    u256_t (*balance)(void *ctx, const evm_addr_t *a);
    void (*set_balance)(void *ctx, const evm_addr_t *a, const u256_t *v);
    uint64_t (*nonce)(void *ctx, const evm_addr_t *a);
    void (*set_nonce)(void *ctx, const evm_addr_t *a, uint64_t v);
    /* The code of a (empty: *len 0) and its Keccak-256 hash (of empty code
     * for an account without code). */
    void (*code)(void *ctx, const evm_addr_t *a, const uint8_t **code, size_t *len, uint8_t hash[32]);
    void (*set_code)(void *ctx, const evm_addr_t *a, const uint8_t *code, size_t len);
    u256_t (*sload)(void *ctx, const evm_addr_t *a, const u256_t *key);
    void (*sstore)(void *ctx, const evm_addr_t *a, const u256_t *key, const u256_t *v);
    /* Removes the account with its code and storage. */
    void (*remove)(void *ctx, const evm_addr_t *a);
    /* The hash of block number (BLOCKHASH asks only for the last 256). */
    void (*block_hash)(void *ctx, uint64_t number, uint8_t out[32]);
} evm_host_t;

/* The block and transaction an execution belongs to. */
typedef struct evm_env {
    evm_addr_t coinbase;
    uint64_t number;
    uint64_t timestamp;
    uint64_t gas_limit;
    uint64_t chain_id;
    u256_t difficulty; /* DIFFICULTY (homestead) / PREVRANDAO (shanghai) */
    u256_t base_fee;
    evm_addr_t origin;
    u256_t gas_price;
} evm_env_t;

typedef enum evm_kind { EVM_CALL = 0, EVM_CREATE = 1 } evm_kind_t;

/* One message: a call of `to` (its code, or `code` when set) or the creation
 * of a contract from the init code `input`. */
typedef struct evm_message {
    evm_kind_t kind;
    evm_addr_t caller;
    evm_addr_t to;       /* EVM_CALL */
    u256_t value;
    const uint8_t *input;
    size_t input_len;
    uint64_t gas;
    bool no_transfer;    /* true: value is CALLVALUE only, no balance moves */
} evm_message_t;

typedef struct evm_log {
    evm_addr_t address;
    uint8_t topics[4][32];
    unsigned n_topics;
    uint8_t *data; /* owned by the result */
    size_t data_len;
} evm_log_t;

/* What evm_execute() gives back; free with evm_result_clear(). */
typedef struct evm_result {
    evm_status_t status;
    uint64_t gas_left;    /* 0 after an exceptional halt */
    int64_t gas_refund;   /* the refund counter at the end (not applied) */
    uint8_t *output;      /* return data (RETURN or REVERT); NULL when empty */
    size_t output_len;
    evm_log_t *logs;      /* empty unless status is EVM_SUCCESS */
    size_t n_logs;
    evm_addr_t created;   /* EVM_CREATE: the new contract's address */
} evm_result_t;

typedef struct evm evm_t;

/* A new interpreter over host (ctx is passed to every callback). The host
 * must outlive it. Free with evm_free(). Never fails. */
evm_t *evm_new(evm_fork_t fork, const evm_host_t *host, void *ctx);
void evm_free(evm_t *vm);

/* Executes msg in env at depth 0 and fills *res (free with
 * evm_result_clear). Writes to the world through the host: kept when
 * res->status is EVM_SUCCESS, undone otherwise. No intrinsic gas is charged
 * and no refund applied. Any bytecode is safe: errors are statuses. */
void evm_execute(evm_t *vm, const evm_env_t *env, const evm_message_t *msg, evm_result_t *res);
void evm_result_clear(evm_result_t *res);

/* The address of the contract `sender` creates with `nonce` (CREATE). */
evm_addr_t evm_create_address(const evm_addr_t *sender, uint64_t nonce);
/* Keccak-256 of the RLP encoding of the logs, [[address, [topics...], data], ...]. */
void evm_logs_hash(const evm_log_t *logs, size_t n, uint8_t out[32]);

#endif
