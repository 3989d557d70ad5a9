-- chainsim results schema.
--
-- One database holds one or more runs, keyed by run_id. Wall-clock values
-- live only in `runs` (started_at, ended_at, wall_seconds); every other table
-- is a pure function of the scenario, the overrides and the seed.
-- Times are integer nanoseconds of simulated time (*_ns); sizes in bytes;
-- bandwidths in bit/s.

PRAGMA user_version = 1;

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
    status        TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted')),
    error         TEXT,              -- why an interrupted run stopped
    sim_end_ns    INTEGER,           -- simulated time at the end
    events        INTEGER,           -- events processed
    digest        TEXT               -- BLAKE2b-256 of the event trace, hex
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
