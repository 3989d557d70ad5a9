/*
 * record.h - the results database (SQLite; schema in analysis/schema.sql).
 *
 * A recorder owns one database connection. record_open() accepts only a
 * new or empty file or a chainsim results database (application_id
 * RECORD_APPLICATION_ID, or an older chainsim database, which it upgrades
 * and marks); anything else is refused and left untouched. It creates the
 * schema or upgrades an older one. record_begin() inserts the run's row
 * with status 'running' and commits it, so even a killed process leaves a
 * row; rows are then written with prepared statements inside a transaction
 * that is committed every RECORD_BATCH_ROWS rows. record_finish() commits
 * the last batch of rows together with the final run row (status, digest,
 * end time), so a run is 'complete' only if all its rows are there.
 *
 * Statuses of a run row:
 *   running      being written, or abandoned: the writer died (runs.pid and
 *                runs.host tell which process it was) or could not even
 *                mark the run failed;
 *   complete     ran to its end and every row is committed;
 *   interrupted  stopped by SIGINT/SIGTERM; the rows up to the stop are there;
 *   failed       a write to the database or the run itself failed; the
 *                reason is in runs.error, the open batch of rows was rolled
 *                back (earlier batches stay).
 *
 * Every SQLite call on the write path (prepare, bind, step, reset, exec) is
 * checked; the first failure is kept (record_error()) and every later call
 * returns false without writing. Functions returning bool return false on
 * such a failure.
 *
 * Test hooks (environment, read by record_open): CHAINSIM_TEST_FAIL_WRITE=N
 * makes the N-th write-path call (counted from record_open) fail as if
 * SQLite had returned an I/O error, without making it (N+: that call and
 * every later one); N = 0 fails none and prints the number of calls on
 * stderr at record_close().
 * CHAINSIM_TEST_MAX_PAGE_COUNT=N sets PRAGMA max_page_count = N once the
 * schema is ready, so that growing the file past N pages fails with
 * SQLITE_FULL as on a full disk.
 */
#ifndef CHAINSIM_RECORD_H
#define CHAINSIM_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/scenario/scenario.h"

#define RECORD_BATCH_ROWS 20000

/* PRAGMA application_id of every chainsim results database: 0x4348534D,
 * "CHSM" in ASCII. analysis/schema.sql sets it; keep the two equal. */
#define RECORD_APPLICATION_ID 0x4348534D
/* PRAGMA user_version of the current schema (analysis/schema.sql). */
#define RECORD_SCHEMA_VERSION 7

typedef struct record record_t;

typedef struct record_msg_stats {
    const char *kind;
    uint64_t sent, bytes_sent, delivered, lost, dropped_partition, dropped_down, in_flight;
} record_msg_stats_t;

/* Opens (creating if needed, with parent folders) the results database at
 * path, upgrading an older chainsim schema. Returns NULL and a newly
 * allocated message in *err on failure; then, if refused is not NULL,
 * *refused tells whether the file was refused as not a chainsim results
 * database (a folder, not SQLite, damaged, another program's database, or
 * one from a newer chainsim; the file is left untouched) rather than
 * failing on I/O or SQLite. Close with record_close(). */
record_t *record_open_checked(const char *path, char **err, bool *refused);
/* record_open_checked(path, err, NULL). */
record_t *record_open(const char *path, char **err);
/* Rolls back whatever is not committed, and closes. NULL is allowed. */
void record_close(record_t *r);
/* The first failure, or NULL. Owned by the recorder. */
const char *record_error(const record_t *r);

/* Inserts the run row (status 'running', with this process's pid and host
 * name) and the parameter rows, and commits them. On failure nothing of the run is left. */
bool record_begin(record_t *r, const scenario_t *sc, const char *command);
int64_t record_run_id(const record_t *r);

bool record_node(record_t *r, uint32_t id, const char *region, uint64_t up_bps, uint64_t down_bps,
                 uint32_t degree);
bool record_link(record_t *r, uint32_t id, uint32_t a, uint32_t b, uint64_t mean_latency_ns);
bool record_fault(record_t *r, uint32_t seq, uint64_t at_ns, const char *name, const char *kind,
                  const char *detail, uint32_t nodes_affected);
bool record_msg_stats(record_t *r, const record_msg_stats_t *m);
/* t50/t90/t100: UINT64_MAX = never reached (stored as NULL). */
bool record_broadcast(record_t *r, uint64_t msg_id, uint32_t origin, uint64_t created_ns,
                      uint64_t size_bytes, uint32_t reached, uint64_t t50_ns, uint64_t t90_ns,
                      uint64_t t100_ns);
bool record_arrival(record_t *r, uint64_t msg_id, uint32_t node, uint64_t arrival_ns);

/* Ledger and consensus rows. Signed ids of -1 and times of UINT64_MAX are
 * stored as NULL. */
bool record_block(record_t *r, uint32_t index, const char *id_hex, int64_t parent, uint64_t height,
                  int64_t producer, uint64_t created_ns, uint64_t size_bytes, uint32_t ntx, uint64_t difficulty,
                  bool main, uint32_t reached, uint64_t t50_ns, uint64_t t90_ns, uint64_t t100_ns);
bool record_block_arrival(record_t *r, uint32_t index, uint32_t node, uint64_t arrival_ns);
/* Transaction number `position` of block `index`: tx_index 0 is stored as NULL. */
bool record_block_tx(record_t *r, uint32_t index, uint32_t position, uint32_t tx_index, const char *id_hex);
bool record_tx(record_t *r, uint32_t index, const char *id_hex, uint32_t sender, uint64_t nonce, uint64_t amount,
               uint64_t fee, uint32_t size_bytes, uint32_t origin, const char *intent, uint64_t submitted_ns,
               uint64_t included_ns, int64_t main_block, uint64_t confirmed_ns, uint64_t final_ns);
bool record_reorg(record_t *r, uint32_t seq, uint32_t node, uint64_t at_ns, uint64_t depth, uint32_t old_tip,
                  uint32_t new_tip, uint64_t fork_height);
bool record_rejection(record_t *r, const char *object, const char *reason, uint64_t count);
bool record_sample(record_t *r, uint64_t t_ns, double mempool_mean, uint64_t mempool_max, uint64_t height_min,
                   uint64_t height_max, uint64_t height_median, uint32_t tips);

/* missed_slots / slashed: -1 = not applicable (NULL). */
bool record_chain_summary(record_t *r, const char *engine, uint64_t main_height, uint64_t final_height,
                          int64_t missed_slots, int64_t slashed);

/* Conservation of coins (schema 5): the total at genesis, minted by the
 * main chain's rewards, and the sum of all balances at its tip; ok is
 * genesis + minted == end_total. */
bool record_supply(record_t *r, uint64_t genesis, uint64_t minted, uint64_t end_total, bool ok);

/* The fork log (schema 4; sim/node/forklog.c fills these). Signed ids of
 * -1 and times of UINT64_MAX are stored as NULL, as above. */
typedef struct record_fork {
    uint32_t fork_id;
    uint32_t parent_index;
    uint64_t fork_height;
    uint64_t created_ns;
    uint32_t branches;
    int64_t winner;       /* branch number, -1 = none */
    const char *status;   /* resolved, open, abandoned */
    uint64_t depth;
    uint32_t stale_blocks;
    uint64_t decided_ns;  /* UINT64_MAX = none */
    uint32_t open_nodes;
    bool equivocation;
} record_fork_t;

typedef struct record_fork_branch {
    uint32_t fork_id;
    uint32_t branch;
    uint32_t root_index;
    uint32_t tip_index;
    uint32_t blocks;
    uint64_t length;
    bool won;
    uint32_t reached;
    uint64_t reach_ns[4]; /* 10, 50, 90, 100 %; UINT64_MAX = never */
    uint32_t tip_nodes;
} record_fork_branch_t;

bool record_fork(record_t *r, const record_fork_t *f);
bool record_fork_branch(record_t *r, const record_fork_branch_t *b);
bool record_fork_block(record_t *r, uint32_t fork_id, uint32_t branch, uint32_t block_index);
/* tx_index, sender, main_block: -1 = NULL; conflict_hex may be NULL. */
bool record_fork_tx(record_t *r, uint32_t fork_id, uint32_t block_index, const char *tx_id_hex, int64_t tx_index,
                    int64_t sender, uint64_t nonce, const char *fate, int64_t main_block, const char *conflict_hex);
bool record_node_tip(record_t *r, uint32_t node, uint32_t tip_index, uint32_t final_index, bool up);
/* checkpoint, adversary: NULL = none. */
/* One adversary's figures (adversaries table). share, gamma < 0: NULL;
 * stop_ns UINT64_MAX: NULL (to the end). */
typedef struct record_adversary {
    uint32_t adversary;
    const char *name, *kind;
    uint32_t nodes, leader;
    double share, gamma;
    uint64_t start_ns, stop_ns;
    uint64_t blocks_made, blocks_main, main_blocks, honest_blocks, honest_stale, released;
} record_adversary_t;
bool record_adversary(record_t *r, const record_adversary_t *a);

/* One double-spend attempt (double_spends table); accepted_ns and end_ns
 * UINT64_MAX: NULL. */
typedef struct record_double_spend {
    uint32_t adversary, attempt, merchant;
    uint64_t start_ns, accepted_ns, end_ns;
    const char *outcome;
    uint64_t blocks_lost;
} record_double_spend_t;
bool record_double_spend(record_t *r, const record_double_spend_t *d);

bool record_block_mark(record_t *r, uint32_t block_index, uint32_t evidence, const char *checkpoint,
                       const char *adversary);

/* Commits the open batch now. */
bool record_flush(record_t *r);

/* Ends the run: status is "complete", "interrupted" or "failed" (error, may
 * be NULL, says why it did not complete). Without an earlier failure, the
 * final run row and the open batch of rows are committed together. After a
 * failure (earlier, or in this commit) the open batch is rolled back and the
 * run row alone is set to 'failed' with the first failure as its error; if
 * even that fails, the row stays 'running' (abandoned). Returns true when the
 * row says `status` with every row committed; false otherwise, with
 * record_error() and record_final_status() telling what happened. */
bool record_finish(record_t *r, const char *status, const char *error, uint64_t sim_end_ns,
                   uint64_t events, const char *digest);

/* What the run row says after record_finish(): "complete", "interrupted",
 * "failed", or "running" if the row could not be updated; NULL before. */
const char *record_final_status(const record_t *r);

/* After the process that ran a run died without finishing it: marks the
 * runs of the database at path that process (pid, on this host) left
 * 'running' as 'failed' with `cause` as their error. Returns how many rows
 * it changed, or -1 with a newly allocated message in *err. */
int record_mark_abandoned(const char *path, int64_t pid, const char *cause, char **err);

#endif
