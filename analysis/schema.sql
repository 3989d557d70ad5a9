-- chainsim results schema.
--
-- One database holds one or more runs, keyed by run_id. Wall-clock values
-- live only in `runs` (started_at, ended_at, wall_seconds); every other table
-- is a pure function of the scenario, the overrides and the seed.
-- Times are integer nanoseconds of simulated time (*_ns); sizes in bytes;
-- bandwidths in bit/s.

-- Schema version, upgraded by record_open() (sim/record/record.c): 1 the
-- first schema; 2 status 'failed'; 3 runs.pid and runs.host.
PRAGMA user_version = 3;
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
    kind     TEXT NOT NULL,          -- partition, heal, latency, loss, crash, restart
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

-- Tip switches that abandoned at least one block.
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
    missed_slots INTEGER,              -- slot-based engines: slots up to the tip without a main-chain block
    slashed      INTEGER               -- pos: validators slashed on the final main chain
);
