-- chainsim results schema.
--
-- One database holds one or more runs, keyed by run_id. Wall-clock values
-- live only in `runs` (started_at, ended_at, wall_seconds); every other table
-- is a pure function of the scenario, the overrides and the seed.
-- Times are integer nanoseconds of simulated time (*_ns); sizes in bytes;
-- bandwidths in bit/s.

-- Schema version, upgraded by record_open() (sim/record/record.c): 1 the
-- first schema; 2 status 'failed'; 3 runs.pid and runs.host; 4 the fork log
-- (forks, fork_branches, fork_blocks, fork_txs, node_tips, block_marks);
-- 5 adversaries (adversaries, double_spends); 6 supply; 7 block_txs.
PRAGMA user_version = 7;
-- Marks the file as a chainsim results database: 0x4348534D, "CHSM" in
-- ASCII (RECORD_APPLICATION_ID in sim/record/record.h). chainsim refuses to
-- write to an SQLite file with another application_id; `file` shows it.
PRAGMA application_id = 1128813389;

CREATE TABLE IF NOT EXISTS runs (
    run_id        INTEGER PRIMARY KEY,
    scenario_name TEXT NOT NULL,
    scenario_path TEXT NOT NULL,
    scenario_text TEXT NOT NULL,     -- the file, verbatim
    params        TEXT NOT NULL,     -- every resolved "group.key = value", sorted
    overrides     TEXT NOT NULL,     -- the --set arguments, one a line
    seed          INTEGER NOT NULL,
    version       TEXT NOT NULL,     -- chainsim version
    command       TEXT NOT NULL,     -- command line that reproduces the run
    started_at    TEXT NOT NULL,     -- wall clock, UTC, ISO 8601
    ended_at      TEXT,              -- wall clock
    wall_seconds  REAL,              -- wall clock
    -- running: being written, or abandoned (the writer died, or could not
    --          even mark the run failed);
    -- complete: ran to its end, every row committed with this status;
    -- interrupted: stopped by SIGINT/SIGTERM, rows up to the stop;
    -- failed: a write or the run failed (error says why); the rows of the
    --          batch being written were rolled back, earlier batches stay.
    status        TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),
    error         TEXT,              -- why an interrupted or failed run stopped
    sim_end_ns    INTEGER,           -- simulated time at the end
    events        INTEGER,           -- events processed
    digest        TEXT,              -- BLAKE2b-256 of the event trace, hex
    -- The process that wrote the run (NULL in databases from before schema
    -- 3): a run still 'running' whose host is this one and whose pid is no
    -- longer alive was abandoned.
    pid           INTEGER,
    host          TEXT               -- g_get_host_name() of the writer
);

-- The resolved parameters again, one row each, for queries and sweeps.
CREATE TABLE IF NOT EXISTS run_params (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    key    TEXT NOT NULL,            -- group.key
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS nodes (
    run_id       INTEGER NOT NULL REFERENCES runs(run_id),
    node_id      INTEGER NOT NULL,
    region       TEXT NOT NULL,
    upload_bps   INTEGER NOT NULL,
    download_bps INTEGER NOT NULL,
    degree       INTEGER NOT NULL,   -- number of links
    PRIMARY KEY (run_id, node_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS links (
    run_id  INTEGER NOT NULL REFERENCES runs(run_id),
    link_id INTEGER NOT NULL,
    a       INTEGER NOT NULL,        -- node that opened the link (outbound side)
    b       INTEGER NOT NULL,
    mean_latency_ns INTEGER NOT NULL, -- the profile's mean for the two regions
    PRIMARY KEY (run_id, link_id)
) WITHOUT ROWID;

-- Timed events of the scenario, as they were applied.
CREATE TABLE IF NOT EXISTS faults (
    run_id   INTEGER NOT NULL REFERENCES runs(run_id),
    seq      INTEGER NOT NULL,       -- order of application
    at_ns    INTEGER NOT NULL,
    name     TEXT NOT NULL,          -- the NAME of [event NAME]
    kind     TEXT NOT NULL,          -- partition, heal, latency, loss, crash, restart, fork, send
    detail   TEXT NOT NULL,          -- what changed, in words
    nodes_affected INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- Messages by kind over the whole run.
CREATE TABLE IF NOT EXISTS msg_stats (
    run_id            INTEGER NOT NULL REFERENCES runs(run_id),
    kind              TEXT NOT NULL,
    sent              INTEGER NOT NULL,  -- handed to the network
    bytes_sent        INTEGER NOT NULL,
    delivered         INTEGER NOT NULL,
    lost              INTEGER NOT NULL,  -- random loss
    dropped_partition INTEGER NOT NULL,  -- sender and receiver in different partition groups
    dropped_down      INTEGER NOT NULL,  -- sender or receiver crashed
    in_flight         INTEGER NOT NULL,  -- still travelling when the run ended
    PRIMARY KEY (run_id, kind)
) WITHOUT ROWID;

-- Broadcast study: one row per message (record.detail = messages or arrivals).
-- tNN_ns: time after creation until NN % of all nodes had it (NULL if never).
CREATE TABLE IF NOT EXISTS broadcasts (
    run_id     INTEGER NOT NULL REFERENCES runs(run_id),
    msg_id     INTEGER NOT NULL,
    origin     INTEGER NOT NULL,
    created_ns INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    reached    INTEGER NOT NULL,     -- nodes that received it, origin included
    t50_ns     INTEGER,
    t90_ns     INTEGER,
    t100_ns    INTEGER,
    PRIMARY KEY (run_id, msg_id)
) WITHOUT ROWID;

-- Per-node arrival times (record.detail = arrivals).
CREATE TABLE IF NOT EXISTS arrivals (
    run_id     INTEGER NOT NULL REFERENCES runs(run_id),
    msg_id     INTEGER NOT NULL,
    node_id    INTEGER NOT NULL,
    arrival_ns INTEGER NOT NULL,
    PRIMARY KEY (run_id, msg_id, node_id)
) WITHOUT ROWID;

-- ---------------------------------------------------------------------------
-- Ledger and consensus (consensus.kind other than none).

-- Every block produced in the run, on any branch.
CREATE TABLE IF NOT EXISTS blocks (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    block_index INTEGER NOT NULL,     -- dense number in the run; 0 = genesis
    block_id    TEXT NOT NULL,        -- BLAKE2b-256 of the header, hex
    parent_index INTEGER,             -- NULL for genesis
    height      INTEGER NOT NULL,
    producer    INTEGER,              -- node id; NULL for genesis
    created_ns  INTEGER NOT NULL,
    size_bytes  INTEGER NOT NULL,
    tx_count    INTEGER NOT NULL,
    difficulty  INTEGER NOT NULL,
    main        INTEGER NOT NULL,     -- 1 if on the final main chain, 0 if stale
    reached     INTEGER NOT NULL,     -- nodes that received it
    t50_ns      INTEGER,              -- time after creation until 50 % of all nodes had it
    t90_ns      INTEGER,
    t100_ns     INTEGER,
    PRIMARY KEY (run_id, block_index)
) WITHOUT ROWID;

-- The transactions of every block (any branch), in block order, at every
-- record.detail level: which transactions a stale block held.
CREATE TABLE IF NOT EXISTS block_txs (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    block_index INTEGER NOT NULL,
    position    INTEGER NOT NULL,     -- 0 = the block's first transaction
    tx_index    INTEGER,              -- txs.tx_index; NULL for a transaction the run did not submit
    tx_id       TEXT NOT NULL,        -- hex
    PRIMARY KEY (run_id, block_index, position)
) WITHOUT ROWID;

-- When each node first received each block (record.detail = arrivals).
CREATE TABLE IF NOT EXISTS block_arrivals (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    block_index INTEGER NOT NULL,
    node_id     INTEGER NOT NULL,
    arrival_ns  INTEGER NOT NULL,
    PRIMARY KEY (run_id, block_index, node_id)
) WITHOUT ROWID;

-- Every transaction submitted by the workload (record.detail = messages or arrivals).
CREATE TABLE IF NOT EXISTS txs (
    run_id       INTEGER NOT NULL REFERENCES runs(run_id),
    tx_index     INTEGER NOT NULL,    -- dense number in the run, from 1
    tx_id        TEXT NOT NULL,       -- hex
    sender       INTEGER NOT NULL,    -- account number
    nonce        INTEGER NOT NULL,
    amount       INTEGER NOT NULL,
    fee          INTEGER NOT NULL,
    size_bytes   INTEGER NOT NULL,
    origin       INTEGER NOT NULL,    -- node it was submitted to
    intent       TEXT NOT NULL,       -- valid, bad-signature, double-spend, overspend
    submitted_ns INTEGER NOT NULL,
    included_ns  INTEGER,             -- creation time of the first block (any branch) that included it
    main_block   INTEGER,             -- block_index on the final main chain that includes it
    confirmed_ns INTEGER,             -- when the origin node received the block that made it
                                      -- consensus.confirmations deep on the final main chain
    final_ns     INTEGER,             -- when the origin node saw it final (PoW: = confirmed_ns)
    PRIMARY KEY (run_id, tx_index)
) WITHOUT ROWID;

-- One row per tip switch of one node that abandoned at least one block.
-- old_tip is the node's tip before the switch; new_tip is the block that
-- made the switch, the node's tip right after it (the first block of the
-- other branch that overtook its chain), not the tip it ends the run on: a
-- node that follows a branch for five more blocks has one reorg row whose
-- new_tip is that branch's first overtaking block. reorgs in `chainsim
-- report` counts these rows, so one fork seen by N nodes counts up to N.
CREATE TABLE IF NOT EXISTS reorgs (
    run_id     INTEGER NOT NULL REFERENCES runs(run_id),
    seq        INTEGER NOT NULL,
    node_id    INTEGER NOT NULL,
    at_ns      INTEGER NOT NULL,
    depth      INTEGER NOT NULL,      -- blocks disconnected
    old_tip    INTEGER NOT NULL,      -- block_index
    new_tip    INTEGER NOT NULL,
    fork_height INTEGER NOT NULL,     -- height of the common ancestor
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- Rejected transactions and blocks, counted by reason over all nodes.
CREATE TABLE IF NOT EXISTS rejections (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    object TEXT NOT NULL,             -- tx, block
    reason TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (run_id, object, reason)
) WITHOUT ROWID;

-- Time series sampled every record.sample_interval.
CREATE TABLE IF NOT EXISTS samples (
    run_id        INTEGER NOT NULL REFERENCES runs(run_id),
    t_ns          INTEGER NOT NULL,
    mempool_mean  REAL NOT NULL,      -- transactions per node, over nodes that are up
    mempool_max   INTEGER NOT NULL,
    height_min    INTEGER NOT NULL,   -- tip heights over nodes that are up
    height_max    INTEGER NOT NULL,
    height_median INTEGER NOT NULL,
    tips          INTEGER NOT NULL,   -- distinct tips among nodes that are up
    PRIMARY KEY (run_id, t_ns)
) WITHOUT ROWID;

-- One row per run with consensus: the final main chain in figures.
CREATE TABLE IF NOT EXISTS chain_summary (
    run_id       INTEGER NOT NULL PRIMARY KEY REFERENCES runs(run_id),
    engine       TEXT NOT NULL,        -- pow, pos, dpos
    main_height  INTEGER NOT NULL,     -- height of the final main chain's tip
    final_height INTEGER NOT NULL,     -- height of its latest final block
    -- slot-based engines: slots from genesis to the final main chain's tip
    -- that hold no block of that chain, i.e. the tip's slot minus its
    -- height: slots whose proposer was down, whose block went stale (lost a
    -- fork) or came too late. It is not only "the proposer was down".
    missed_slots INTEGER,
    slashed      INTEGER               -- pos: validators slashed on the final main chain
);

-- Conservation of coins (schema 5), one row per run with consensus: the
-- ledger creates coins only as block rewards, so end_total must equal
-- genesis + minted; a run where it does not is marked failed.
CREATE TABLE IF NOT EXISTS supply (
    run_id    INTEGER NOT NULL PRIMARY KEY REFERENCES runs(run_id),
    genesis   INTEGER NOT NULL,   -- sum of the genesis balances (ledger.accounts x ledger.balance)
    minted    INTEGER NOT NULL,   -- consensus.reward x blocks of the final main chain (genesis excluded)
    end_total INTEGER NOT NULL,   -- sum of all balances in the state of the final main chain's tip
    ok        INTEGER NOT NULL    -- 1 when end_total = genesis + minted
);

-- ---------------------------------------------------------------------------
-- The fork log (schema 4): written at the end of every run with consensus
-- (sim/node/forklog.c), from the blocks and the nodes' tips as they stand
-- then. A fork is a block with two or more children, whatever made them (a
-- race between producers, a partition, an equivocating proposer, an
-- adversary). Its branches are the subtrees of those children. The branch
-- on the final main chain won; the others lost. The reorganisations a fork
-- caused, and when it was resolved, come from the reorgs table: see the
-- views v_fork_reorgs and v_forks (analysis/views.sql).

-- One row per fork.
CREATE TABLE IF NOT EXISTS forks (
    run_id       INTEGER NOT NULL REFERENCES runs(run_id),
    fork_id      INTEGER NOT NULL,    -- 1, 2, ... in order of created_ns, then parent_index
    parent_index INTEGER NOT NULL,    -- the fork point: block_index of the common parent
    fork_height  INTEGER NOT NULL,    -- its height
    created_ns   INTEGER NOT NULL,    -- creation of the second branch's first block: the fork began
    branches     INTEGER NOT NULL,    -- children of the fork point (2 or more)
    winner       INTEGER,             -- the branch on the final main chain; NULL when the fork point is stale
    -- resolved: a branch won and no node's tip is on a losing branch at the end;
    -- open: a branch won but some nodes' tips are still on a losing branch
    --       at the end (nodes cut off, down, or the race still running);
    -- abandoned: the fork point itself is stale, every branch lost.
    status       TEXT NOT NULL CHECK (status IN ('resolved', 'open', 'abandoned')),
    depth        INTEGER NOT NULL,    -- length of the longest losing branch (of any branch when abandoned)
    stale_blocks INTEGER NOT NULL,    -- blocks on the losing branches
    decided_ns   INTEGER,             -- creation of the winning branch's first block higher than every
                                      -- losing block (longest chain decides); NULL when there is none
    open_nodes   INTEGER NOT NULL,    -- nodes whose tip at the end is on a losing branch
    equivocation INTEGER NOT NULL,    -- 1 when two branches start with blocks of one producer for one slot
    PRIMARY KEY (run_id, fork_id)
) WITHOUT ROWID;

-- One row per branch of a fork.
CREATE TABLE IF NOT EXISTS fork_branches (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    fork_id     INTEGER NOT NULL,
    branch      INTEGER NOT NULL,     -- 0, 1, ... in creation order of their first blocks
    root_index  INTEGER NOT NULL,     -- its first block, a child of the fork point
    tip_index   INTEGER NOT NULL,     -- its highest block listed in fork_blocks (ties: the earliest)
    blocks      INTEGER NOT NULL,     -- blocks listed in fork_blocks
    length      INTEGER NOT NULL,     -- height of tip_index - fork_height
    won         INTEGER NOT NULL,     -- 1 for the branch on the final main chain
    reached     INTEGER NOT NULL,     -- nodes that received its first block
    reach10_ns  INTEGER,              -- when 10 / 50 / 90 / 100 % of all nodes had received its first
    reach50_ns  INTEGER,              -- block (simulated time, not a delay); NULL if that share never did
    reach90_ns  INTEGER,
    reach100_ns INTEGER,
    tip_nodes   INTEGER NOT NULL,     -- nodes whose tip at the end is this branch's first block or a
                                      -- descendant of it
    PRIMARY KEY (run_id, fork_id, branch)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fork_branches_root ON fork_branches (run_id, root_index);

-- The blocks of each branch: every block of a losing branch (its whole
-- subtree); for the winning branch, the main-chain blocks from its first
-- block up to one above the highest losing block (the part that competed
-- and the block that decided it), or to the main chain's tip.
-- (The key columns come first: SQLite 3.40's integrity_check wrongly reports
-- NULLs in a WITHOUT ROWID table whose key columns are not its first.)
CREATE TABLE IF NOT EXISTS fork_blocks (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    fork_id     INTEGER NOT NULL,
    block_index INTEGER NOT NULL,
    branch      INTEGER NOT NULL,
    PRIMARY KEY (run_id, fork_id, block_index)
) WITHOUT ROWID;

-- The transactions of the losing branches' blocks, for forks with a winner,
-- and what became of each on the final main chain.
CREATE TABLE IF NOT EXISTS fork_txs (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    fork_id     INTEGER NOT NULL,
    block_index INTEGER NOT NULL,     -- the stale block that included it
    tx_id       TEXT NOT NULL,        -- hex
    tx_index    INTEGER,              -- txs.tx_index; NULL for a transaction not from the workload
    sender      INTEGER,              -- account number; NULL when not from the workload
    nonce       INTEGER NOT NULL,
    -- reincluded: the final main chain includes it too (main_block);
    -- double-spent: the final main chain includes another transaction of the
    --   same sender with the same nonce (main_block, conflict_tx);
    -- dropped: neither.
    fate        TEXT NOT NULL CHECK (fate IN ('reincluded', 'dropped', 'double-spent')),
    main_block  INTEGER,
    conflict_tx TEXT,                 -- double-spent: the id of the transaction that used the nonce
    PRIMARY KEY (run_id, fork_id, block_index, tx_id)
) WITHOUT ROWID;

-- Every node's view at the end of the run.
CREATE TABLE IF NOT EXISTS node_tips (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    node_id     INTEGER NOT NULL,
    tip_index   INTEGER NOT NULL,     -- the node's tip (block_index)
    final_index INTEGER NOT NULL,     -- the latest final block of its chain
    up          INTEGER NOT NULL,     -- 0 when the node is down (crashed) at the end
    PRIMARY KEY (run_id, node_id)
) WITHOUT ROWID;

-- Blocks with something to mark in a drawing of the block tree; only
-- blocks with at least one mark have a row.
CREATE TABLE IF NOT EXISTS block_marks (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    block_index INTEGER NOT NULL,
    evidence    INTEGER NOT NULL,     -- pieces of slashing evidence the block carries (pos)
    -- finalized: a checkpoint finalized on the final main chain (pos);
    -- justified: the latest justified checkpoint of the final main chain
    --   when it is not finalized (pos);
    -- final: the latest final block of the final main chain (pow: confirmations
    --   deep; dpos: the last irreversible block). NULL: none of these.
    checkpoint  TEXT CHECK (checkpoint IN ('finalized', 'justified', 'final')),
    adversary   TEXT,                 -- "kind NAME" of the adversary that made it; NULL: honest
                                      -- until adversaries exist
    PRIMARY KEY (run_id, block_index)
) WITHOUT ROWID;

-- ---------------------------------------------------------------------------
-- Adversaries (schema 5): one row per [adversary NAME] group of the run
-- (sim/node/adversary.c), counted over the blocks made in its window
-- [start_ns, stop_ns).
CREATE TABLE IF NOT EXISTS adversaries (
    run_id        INTEGER NOT NULL REFERENCES runs(run_id),
    adversary     INTEGER NOT NULL,     -- 0, 1, ... in file order
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,        -- selfish, double-spend, withhold, equivocate, eclipse
    nodes         INTEGER NOT NULL,     -- nodes it controls
    leader        INTEGER NOT NULL,     -- the node that mines with its whole share
    share         REAL,                 -- hashpower or stake share; NULL when not given
    gamma         REAL,                 -- selfish: numeric gamma; NULL for network or other kinds
    start_ns      INTEGER NOT NULL,
    stop_ns       INTEGER,              -- NULL: to the end of the run
    blocks_made   INTEGER NOT NULL,     -- blocks its nodes made in the window
    blocks_main   INTEGER NOT NULL,     -- of those, on the final main chain
    main_blocks   INTEGER NOT NULL,     -- all main-chain blocks made in the window
    revenue_share REAL,                 -- blocks_main / main_blocks; NULL when main_blocks is 0
    honest_blocks INTEGER NOT NULL,     -- blocks of honest nodes made in the window
    honest_stale  INTEGER NOT NULL,     -- of those, not on the final main chain
    released      INTEGER NOT NULL,     -- blocks it published after holding them back
    PRIMARY KEY (run_id, adversary)
) WITHOUT ROWID;

-- Double-spend attempts (kind double-spend), one row each.
CREATE TABLE IF NOT EXISTS double_spends (
    run_id       INTEGER NOT NULL REFERENCES runs(run_id),
    adversary    INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,      -- 1, 2, ...
    merchant     INTEGER NOT NULL,      -- node id
    start_ns     INTEGER NOT NULL,      -- payment sent, private branch started
    accepted_ns  INTEGER,               -- the merchant saw the payment confirmations deep; NULL: never
    end_ns       INTEGER,               -- success or give-up; NULL: still open at the end
    outcome      TEXT NOT NULL CHECK (outcome IN ('success', 'failed', 'gave-up', 'open')),
    blocks_lost  INTEGER NOT NULL,      -- its private blocks of the attempt that ended stale
    PRIMARY KEY (run_id, adversary, attempt)
) WITHOUT ROWID;
