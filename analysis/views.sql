-- chainsim analysis views (see analysis/schema.sql for the tables).
--
-- Applied to every results database when chainsim opens it, right after
-- schema.sql, so every statement is CREATE VIEW IF NOT EXISTS and works on a
-- database without rows. The views are plain SQL over the tables: they can be
-- queried from the sqlite3 shell, Python or R without chainsim, e.g.
--
--   sqlite3 results/quickstart.db "SELECT * FROM v_run_summary"
--
-- Every view has a run_id column; filter on it (WHERE run_id = ...) to look
-- at one run. Views do not order their rows: add ORDER BY.
--
-- Units: the tables hold integer nanoseconds of simulated time (*_ns); the
-- views give REAL seconds (*_s) and rates per simulated second. NULL means
-- "never happened" (a block that never reached 90 % of the nodes, a
-- transaction never confirmed) or "no data" (a percentile of nothing).
--
-- Percentiles use the nearest-rank definition: the p-th percentile of n
-- sorted values is the value at 1-based rank ceil(p/100 * n), computed in
-- integers as (p * n + 99) / 100; the median is the 50th percentile.
-- v_run_summary computes the ones it reports; the helper views
-- v_distribution_samples and v_distribution_ranked give the same
-- distributions for any other percentile or a plot of the whole CDF.
--
-- Genesis (block_index 0) is never counted as a produced block.
--
-- A database keeps the views it was created with (IF NOT EXISTS): a changed
-- view reaches an existing database only after DROP VIEW.

-- One row per non-genesis block, on any branch.
-- created_ns: simulated time of creation (ns); size_bytes: wire size;
-- reached: nodes that received it; t50_s/t90_s/t100_s: seconds after creation
-- until 50/90/100 % of all nodes had it, NULL if that share never had it.
CREATE VIEW IF NOT EXISTS v_block_propagation AS
SELECT run_id,
       block_index,
       height,
       producer,
       main,
       created_ns,
       size_bytes,
       tx_count,
       reached,
       t50_ns / 1e9  AS t50_s,
       t90_ns / 1e9  AS t90_s,
       t100_ns / 1e9 AS t100_s
FROM blocks
WHERE block_index > 0;

-- One row per transaction submitted by the workload.
-- submitted_s: simulated time of submission (s); included_s: creation time of
-- the first block, on any branch, that included it (s), NULL if none;
-- confirm_latency_s = (confirmed_ns - submitted_ns) / 1e9 and
-- final_latency_s = (final_ns - submitted_ns) / 1e9, NULL when the
-- transaction was never confirmed / final.
CREATE VIEW IF NOT EXISTS v_tx_latency AS
SELECT run_id,
       tx_index,
       intent,
       submitted_ns / 1e9                  AS submitted_s,
       included_ns / 1e9                   AS included_s,
       (confirmed_ns - submitted_ns) / 1e9 AS confirm_latency_s,
       (final_ns - submitted_ns) / 1e9     AS final_latency_s
FROM txs;

-- One row per run and per 10-second window of simulated time,
-- [window_start_s, window_start_s + 10 s). The windows run from 0 to the end
-- of the run (runs.sim_end_ns; for a run still running, to the last
-- confirmation), windows without confirmations included (0 transactions).
-- confirmed_txs: transactions whose confirmed_ns falls in the window;
-- tps: confirmed_txs / 10 s, in transactions per second (the last window
-- may extend past the end of the run; it is still divided by 10 s).
CREATE VIEW IF NOT EXISTS v_throughput AS
WITH RECURSIVE
    -- (run, end of its time line in ns): covers every confirmation
    span(run_id, end_ns) AS (
        SELECT r.run_id,
               max(coalesce(r.sim_end_ns, 0),
                   coalesce((SELECT max(t.confirmed_ns) + 1 FROM txs t WHERE t.run_id = r.run_id), 0))
        FROM runs r),
    -- window numbers 0, 1, ... while the window starts before end_ns
    windows(run_id, window_no, end_ns) AS (
        SELECT run_id, 0, end_ns FROM span WHERE end_ns > 0
        UNION ALL
        SELECT run_id, window_no + 1, end_ns FROM windows
        WHERE (window_no + 1) * 10000000000 < end_ns),
    counts(run_id, window_no, confirmed_txs) AS (
        SELECT run_id, confirmed_ns / 10000000000, count(*)
        FROM txs
        WHERE confirmed_ns IS NOT NULL
        GROUP BY 1, 2)
SELECT w.run_id                       AS run_id,
       w.window_no * 10.0             AS window_start_s,
       coalesce(c.confirmed_txs, 0)   AS confirmed_txs,
       coalesce(c.confirmed_txs, 0) / 10.0 AS tps
FROM windows w
LEFT JOIN counts c ON c.run_id = w.run_id AND c.window_no = w.window_no;

-- One row per reorganisation (a tip switch that abandoned at least one block).
-- node_id: the node that switched; at_s: simulated time (s); depth: blocks
-- disconnected; old_tip/new_tip: block_index of the tips; fork_height: height
-- of the common ancestor.
CREATE VIEW IF NOT EXISTS v_reorgs AS
SELECT run_id,
       node_id,
       at_ns / 1e9 AS at_s,
       depth,
       old_tip,
       new_tip,
       fork_height
FROM reorgs;

-- Helper: one row per sample of each per-run distribution that v_run_summary
-- summarises by percentiles (it repeats these definitions inline, see
-- there), in integer nanoseconds (exact ordering).
-- metric is one of
--   confirm_latency   confirmed_ns - submitted_ns of each confirmed transaction
--   finality_latency  final_ns - submitted_ns of each final transaction
--   block_t50         t50_ns of each non-genesis block that reached 50 %
--   block_t90         t90_ns of each non-genesis block that reached 90 %
--   broadcast_t50     t50_ns of each broadcast (network study) that reached 50 %
--   broadcast_t90     t90_ns of each broadcast that reached 90 %
-- Samples that never happened (NULL) are left out.
CREATE VIEW IF NOT EXISTS v_distribution_samples AS
SELECT run_id, 'confirm_latency' AS metric, confirmed_ns - submitted_ns AS value_ns
    FROM txs WHERE confirmed_ns IS NOT NULL
UNION ALL
SELECT run_id, 'finality_latency', final_ns - submitted_ns
    FROM txs WHERE final_ns IS NOT NULL
UNION ALL
SELECT run_id, 'block_t50', t50_ns
    FROM blocks WHERE block_index > 0 AND t50_ns IS NOT NULL
UNION ALL
SELECT run_id, 'block_t90', t90_ns
    FROM blocks WHERE block_index > 0 AND t90_ns IS NOT NULL
UNION ALL
SELECT run_id, 'broadcast_t50', t50_ns
    FROM broadcasts WHERE t50_ns IS NOT NULL
UNION ALL
SELECT run_id, 'broadcast_t90', t90_ns
    FROM broadcasts WHERE t90_ns IS NOT NULL;


-- Helper: v_distribution_samples ranked within each (run, metric), for any
-- percentile of any distribution:
--   SELECT run_id, metric, value_ns / 1e9 FROM v_distribution_ranked
--   WHERE metric = 'confirm_latency' AND value_rank = (99 * sample_count + 99) / 100;
-- value_rank: 1-based position in ascending order of value_ns (ties broken
-- arbitrarily; tied values are equal, so percentiles do not depend on it);
-- sample_count: number of samples of that run and metric. A constant filter
-- on run_id and metric (WHERE run_id = 3 AND metric = '...') is applied
-- before the ranking, so one distribution of one run costs only its rows.
CREATE VIEW IF NOT EXISTS v_distribution_ranked AS
SELECT run_id,
       metric,
       value_ns,
       ROW_NUMBER() OVER w AS value_rank,
       COUNT(*) OVER w     AS sample_count
FROM v_distribution_samples
WINDOW w AS (PARTITION BY run_id, metric ORDER BY value_ns
             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);

-- One row per run: the headline metrics (what `chainsim report` prints).
--   run_id, scenario_name, seed, status   from runs
--   sim_seconds            simulated time at the end (s); NULL while running
--   blocks_total           non-genesis blocks, on any branch
--   blocks_stale           non-genesis blocks not on the final main chain
--   stale_rate             blocks_stale / blocks_total (a fraction; 0.0 when no blocks)
--   txs_submitted          transactions submitted (rows of txs)
--   txs_confirmed          transactions with a confirmation time
--   tps                    txs_confirmed / tps_window_s (tx/s): confirmed transactions
--                          per second of the workload's active window; NULL without
--                          sim_seconds
--   confirm_latency_p50_s, confirm_latency_p90_s
--                          percentiles of confirmed_ns - submitted_ns (s)
--   finality_latency_p50_s, finality_latency_p90_s
--                          percentiles of final_ns - submitted_ns (s)
--   propagation_p50_s      median over non-genesis blocks of t50_s (s)
--   propagation_p90_s      median over non-genesis blocks of t90_s (s)
--   reorgs                 rows of reorgs (all nodes)
--   reorg_max_depth        deepest reorg in blocks (0 when none)
--   tx_rejected            sum of rejections.count for object 'tx'
--   blocks_rejected        sum of rejections.count for object 'block'
--   broadcast_p50_s        median over broadcasts of t50 (s)
--   broadcast_p90_s        median over broadcasts of t90 (s)
--   engine                 consensus engine (chain_summary; NULL without one)
--   missed_slots           slot-based engines: slots without a main-chain block
--   slashed                pos: validators slashed on the final main chain
--   txs_confirmable        transactions that could be confirmed: every submitted
--                          transaction but the deliberately invalid ones (intent
--                          bad-signature, double-spend, overspend) that were never
--                          confirmed nor final
--   txs_finalized          transactions with a finality time
--   confirmed_share        txs_confirmed / txs_confirmable: the share of the
--                          transactions the confirmation latency percentiles cover
--                          (the others were not confirmed before the run ended, so
--                          the percentiles are biased low when it is small); NULL
--                          when no transaction could be confirmed
--   finalized_share        txs_finalized / txs_confirmable: likewise for finality
--   tps_window_start_s, tps_window_end_s, tps_window_s
--                          the workload's active window that tps divides by: from
--                          the first submission (0 without transactions) to the
--                          workload's stop (run_params workload.stop when it is not
--                          0) or the end of the run, whichever is first; its length
--                          in s. A drain period after the workload stopped does not
--                          dilute tps. NULL without sim_seconds
-- Counts are integers, 0 when there is nothing to count; a percentile is
-- NULL when it has no sample (blocks or broadcasts that never reached the
-- share, transactions never confirmed, are not samples).
--
-- Every metric is a scalar subquery correlated on the run that reads the
-- tables through their (run_id, ...) primary keys, so a row costs only its
-- run's rows and "WHERE run_id = N" reads one run. SQLite pushes neither a
-- join nor a correlated filter into a window subquery or a UNION ALL view:
-- built on v_distribution_ranked, the summary of one run would rank the
-- samples of every run in the file. Hence each percentile repeats the
-- nearest-rank pattern and its sample definition (v_distribution_samples)
-- inline: rank the run's samples with ROW_NUMBER() OVER (ORDER BY value_ns),
-- count them with COUNT(*) OVER (), keep rank (p * count + 99) / 100.
CREATE VIEW IF NOT EXISTS v_run_summary AS
SELECT run_id,
       scenario_name,
       seed,
       status,
       sim_seconds,
       blocks_total,
       blocks_stale,
       CASE WHEN blocks_total = 0 THEN 0.0 ELSE 1.0 * blocks_stale / blocks_total END AS stale_rate,
       txs_submitted,
       txs_confirmed,
       CASE WHEN win_end_ns > win_start_ns THEN txs_confirmed / ((win_end_ns - win_start_ns) / 1e9)
            WHEN sim_seconds > 0 THEN txs_confirmed / sim_seconds END AS tps,
       confirm_latency_p50_s,
       confirm_latency_p90_s,
       finality_latency_p50_s,
       finality_latency_p90_s,
       propagation_p50_s,
       propagation_p90_s,
       reorgs,
       reorg_max_depth,
       tx_rejected,
       blocks_rejected,
       broadcast_p50_s,
       broadcast_p90_s,
       engine,
       missed_slots,
       slashed,
       txs_confirmable,
       txs_finalized,
       CASE WHEN txs_confirmable > 0 THEN 1.0 * txs_confirmed / txs_confirmable END AS confirmed_share,
       CASE WHEN txs_confirmable > 0 THEN 1.0 * txs_finalized / txs_confirmable END AS finalized_share,
       win_start_ns / 1e9 AS tps_window_start_s,
       win_end_ns / 1e9 AS tps_window_end_s,
       (win_end_ns - win_start_ns) / 1e9 AS tps_window_s,
       adversary_revenue_share,
       adversary_blocks_main,
       double_spend_attempts,
       double_spend_successes,
       honest_stale_rate
FROM (
SELECT *,
       -- the workload's active window, in ns: first submission to the
       -- workload's stop (a duration as written: number and unit) or the end
       CASE WHEN sim_end_ns IS NOT NULL THEN coalesce(first_submit_ns, 0) END AS win_start_ns,
       CASE WHEN sim_end_ns IS NULL THEN NULL
            WHEN stop_ns > 0 AND stop_ns < sim_end_ns THEN max(stop_ns, coalesce(first_submit_ns, 0))
            ELSE sim_end_ns END AS win_end_ns
FROM (
SELECT *,
       CASE WHEN stop_text IS NULL THEN 0
            WHEN stop_text GLOB '*ns' THEN CAST(trim(substr(stop_text, 1, length(stop_text) - 2)) AS REAL)
            WHEN stop_text GLOB '*us' THEN CAST(trim(substr(stop_text, 1, length(stop_text) - 2)) AS REAL) * 1e3
            WHEN stop_text GLOB '*ms' THEN CAST(trim(substr(stop_text, 1, length(stop_text) - 2)) AS REAL) * 1e6
            WHEN stop_text GLOB '*s' THEN CAST(trim(substr(stop_text, 1, length(stop_text) - 1)) AS REAL) * 1e9
            WHEN stop_text GLOB '*m' THEN CAST(trim(substr(stop_text, 1, length(stop_text) - 1)) AS REAL) * 60e9
            WHEN stop_text GLOB '*h' THEN CAST(trim(substr(stop_text, 1, length(stop_text) - 1)) AS REAL) * 3600e9
            ELSE CAST(stop_text AS REAL) END AS stop_ns
FROM (
    SELECT r.run_id,
           r.scenario_name,
           r.seed,
           r.status,
           r.sim_end_ns / 1e9 AS sim_seconds,
           (SELECT count(*) FROM blocks b
            WHERE b.run_id = r.run_id AND b.block_index > 0) AS blocks_total,
           (SELECT count(*) FROM blocks b
            WHERE b.run_id = r.run_id AND b.block_index > 0 AND b.main = 0) AS blocks_stale,
           (SELECT count(*) FROM txs t WHERE t.run_id = r.run_id) AS txs_submitted,
           (SELECT count(*) FROM txs t
            WHERE t.run_id = r.run_id AND t.confirmed_ns IS NOT NULL) AS txs_confirmed,
           (SELECT value_ns / 1e9 FROM (
                SELECT value_ns, ROW_NUMBER() OVER (ORDER BY value_ns) AS value_rank,
                       COUNT(*) OVER () AS sample_count
                FROM (SELECT confirmed_ns - submitted_ns AS value_ns FROM txs x
                      WHERE x.run_id = r.run_id AND confirmed_ns IS NOT NULL))
            WHERE value_rank = (50 * sample_count + 99) / 100) AS confirm_latency_p50_s,
           (SELECT value_ns / 1e9 FROM (
                SELECT value_ns, ROW_NUMBER() OVER (ORDER BY value_ns) AS value_rank,
                       COUNT(*) OVER () AS sample_count
                FROM (SELECT confirmed_ns - submitted_ns AS value_ns FROM txs x
                      WHERE x.run_id = r.run_id AND confirmed_ns IS NOT NULL))
            WHERE value_rank = (90 * sample_count + 99) / 100) AS confirm_latency_p90_s,
           (SELECT value_ns / 1e9 FROM (
                SELECT value_ns, ROW_NUMBER() OVER (ORDER BY value_ns) AS value_rank,
                       COUNT(*) OVER () AS sample_count
                FROM (SELECT final_ns - submitted_ns AS value_ns FROM txs x
                      WHERE x.run_id = r.run_id AND final_ns IS NOT NULL))
            WHERE value_rank = (50 * sample_count + 99) / 100) AS finality_latency_p50_s,
           (SELECT value_ns / 1e9 FROM (
                SELECT value_ns, ROW_NUMBER() OVER (ORDER BY value_ns) AS value_rank,
                       COUNT(*) OVER () AS sample_count
                FROM (SELECT final_ns - submitted_ns AS value_ns FROM txs x
                      WHERE x.run_id = r.run_id AND final_ns IS NOT NULL))
            WHERE value_rank = (90 * sample_count + 99) / 100) AS finality_latency_p90_s,
           (SELECT value_ns / 1e9 FROM (
                SELECT value_ns, ROW_NUMBER() OVER (ORDER BY value_ns) AS value_rank,
                       COUNT(*) OVER () AS sample_count
                FROM (SELECT t50_ns AS value_ns FROM blocks x
                      WHERE x.run_id = r.run_id AND block_index > 0 AND t50_ns IS NOT NULL))
            WHERE value_rank = (50 * sample_count + 99) / 100) AS propagation_p50_s,
           (SELECT value_ns / 1e9 FROM (
                SELECT value_ns, ROW_NUMBER() OVER (ORDER BY value_ns) AS value_rank,
                       COUNT(*) OVER () AS sample_count
                FROM (SELECT t90_ns AS value_ns FROM blocks x
                      WHERE x.run_id = r.run_id AND block_index > 0 AND t90_ns IS NOT NULL))
            WHERE value_rank = (50 * sample_count + 99) / 100) AS propagation_p90_s,
           (SELECT count(*) FROM reorgs g WHERE g.run_id = r.run_id) AS reorgs,
           (SELECT coalesce(max(g.depth), 0) FROM reorgs g WHERE g.run_id = r.run_id) AS reorg_max_depth,
           (SELECT coalesce(sum(j.count), 0) FROM rejections j
            WHERE j.run_id = r.run_id AND j.object = 'tx') AS tx_rejected,
           (SELECT coalesce(sum(j.count), 0) FROM rejections j
            WHERE j.run_id = r.run_id AND j.object = 'block') AS blocks_rejected,
           (SELECT value_ns / 1e9 FROM (
                SELECT value_ns, ROW_NUMBER() OVER (ORDER BY value_ns) AS value_rank,
                       COUNT(*) OVER () AS sample_count
                FROM (SELECT t50_ns AS value_ns FROM broadcasts x
                      WHERE x.run_id = r.run_id AND t50_ns IS NOT NULL))
            WHERE value_rank = (50 * sample_count + 99) / 100) AS broadcast_p50_s,
           (SELECT value_ns / 1e9 FROM (
                SELECT value_ns, ROW_NUMBER() OVER (ORDER BY value_ns) AS value_rank,
                       COUNT(*) OVER () AS sample_count
                FROM (SELECT t90_ns AS value_ns FROM broadcasts x
                      WHERE x.run_id = r.run_id AND t90_ns IS NOT NULL))
            WHERE value_rank = (50 * sample_count + 99) / 100) AS broadcast_p90_s,
           (SELECT c.engine FROM chain_summary c WHERE c.run_id = r.run_id) AS engine,
           (SELECT c.missed_slots FROM chain_summary c WHERE c.run_id = r.run_id) AS missed_slots,
           (SELECT c.slashed FROM chain_summary c WHERE c.run_id = r.run_id) AS slashed,
           (SELECT count(*) FROM txs t
            WHERE t.run_id = r.run_id AND (t.intent NOT IN ('bad-signature', 'double-spend', 'overspend')
                                           OR t.confirmed_ns IS NOT NULL OR t.final_ns IS NOT NULL)) AS txs_confirmable,
           (SELECT count(*) FROM txs t
            WHERE t.run_id = r.run_id AND t.final_ns IS NOT NULL) AS txs_finalized,
           (SELECT min(t.submitted_ns) FROM txs t WHERE t.run_id = r.run_id) AS first_submit_ns,
           (SELECT trim(p.value) FROM run_params p
            WHERE p.run_id = r.run_id AND p.key = 'workload.stop') AS stop_text,
           r.sim_end_ns,
           -- adversaries (schema 5): the first adversary's figures, NULL without one
           (SELECT a.revenue_share FROM adversaries a WHERE a.run_id = r.run_id
            ORDER BY a.adversary LIMIT 1) AS adversary_revenue_share,
           (SELECT a.blocks_main FROM adversaries a WHERE a.run_id = r.run_id
            ORDER BY a.adversary LIMIT 1) AS adversary_blocks_main,
           (SELECT CASE WHEN count(*) > 0 THEN (SELECT count(*) FROM double_spends d WHERE d.run_id = r.run_id) END
            FROM adversaries a WHERE a.run_id = r.run_id AND a.kind = 'double-spend') AS double_spend_attempts,
           (SELECT CASE WHEN count(*) > 0 THEN (SELECT count(*) FROM double_spends d
                                                WHERE d.run_id = r.run_id AND d.outcome = 'success') END
            FROM adversaries a WHERE a.run_id = r.run_id AND a.kind = 'double-spend') AS double_spend_successes,
           (SELECT CASE WHEN a.honest_blocks > 0 THEN 1.0 * a.honest_stale / a.honest_blocks END
            FROM adversaries a WHERE a.run_id = r.run_id ORDER BY a.adversary LIMIT 1) AS honest_stale_rate
    FROM runs r)));


-- ---------------------------------------------------------------------------
-- The fork log (tables forks, fork_branches, fork_blocks, fork_txs; see
-- analysis/schema.sql).

-- One row per reorganisation, with the fork it belongs to: the fork whose
-- fork point is the common ancestor of the old and the new tip (at
-- fork_height), and the branches the node left (from_branch) and joined
-- (to_branch). Found by walking both tips up the blocks table to the height
-- just above the common ancestor: the branches' first blocks. Columns as in
-- v_reorgs, with at_ns kept in nanoseconds, plus fork_id, from_branch,
-- to_branch (NULL when the new tip is the common ancestor itself).
-- Reorgs of runs recorded before the fork log (schema 4) have no row.
CREATE VIEW IF NOT EXISTS v_fork_reorgs AS
WITH RECURSIVE
    walk(run_id, seq, side, block_index, height, stop) AS (
        SELECT g.run_id, g.seq, 0, g.old_tip, b.height, g.fork_height + 1
        FROM reorgs g JOIN blocks b ON b.run_id = g.run_id AND b.block_index = g.old_tip
        UNION ALL
        SELECT g.run_id, g.seq, 1, g.new_tip, b.height, g.fork_height + 1
        FROM reorgs g JOIN blocks b ON b.run_id = g.run_id AND b.block_index = g.new_tip
        UNION ALL
        SELECT w.run_id, w.seq, w.side, b.parent_index, w.height - 1, w.stop
        FROM walk w JOIN blocks b ON b.run_id = w.run_id AND b.block_index = w.block_index
        WHERE w.height > w.stop),
    roots(run_id, seq, old_root, new_root) AS (
        SELECT run_id, seq,
               max(CASE WHEN side = 0 THEN block_index END),
               max(CASE WHEN side = 1 THEN block_index END)
        FROM walk WHERE height = stop
        GROUP BY run_id, seq)
SELECT g.run_id,
       g.seq,
       g.node_id,
       g.at_ns,
       g.depth,
       g.old_tip,
       g.new_tip,
       g.fork_height,
       fo.fork_id,
       fo.branch AS from_branch,
       fn.branch AS to_branch
FROM reorgs g
JOIN roots x ON x.run_id = g.run_id AND x.seq = g.seq
JOIN fork_branches fo ON fo.run_id = g.run_id AND fo.root_index = x.old_root
LEFT JOIN fork_branches fn ON fn.run_id = g.run_id AND fn.root_index = x.new_root AND fn.fork_id = fo.fork_id;

-- One row per branch of a fork: fork_branches with times in seconds and
--   producers   the distinct producers of its blocks (fork_blocks), in block
--               order, separated by ','
--   left_nodes  distinct nodes that had a block of the branch as their tip
--               and reorganised away from it (v_fork_reorgs)
-- reachNN_s: simulated time (s) when NN % of all nodes had its first block.
CREATE VIEW IF NOT EXISTS v_fork_branches AS
SELECT b.run_id,
       b.fork_id,
       b.branch,
       b.won,
       b.root_index,
       b.tip_index,
       b.blocks,
       b.length,
       (SELECT group_concat(producer, ',') FROM (
            SELECT k.producer FROM fork_blocks fb
            JOIN blocks k ON k.run_id = fb.run_id AND k.block_index = fb.block_index
            WHERE fb.run_id = b.run_id AND fb.fork_id = b.fork_id AND fb.branch = b.branch
            GROUP BY k.producer ORDER BY min(k.block_index))) AS producers,
       b.reached,
       b.reach10_ns / 1e9  AS reach10_s,
       b.reach50_ns / 1e9  AS reach50_s,
       b.reach90_ns / 1e9  AS reach90_s,
       b.reach100_ns / 1e9 AS reach100_s,
       b.tip_nodes,
       coalesce(l.left_nodes, 0) AS left_nodes
FROM fork_branches b
LEFT JOIN (SELECT run_id, fork_id, from_branch, count(DISTINCT node_id) AS left_nodes
           FROM v_fork_reorgs GROUP BY run_id, fork_id, from_branch) l
       ON l.run_id = b.run_id AND l.fork_id = b.fork_id AND l.from_branch = b.branch;

-- One row per fork, in the facts `chainsim forks` prints:
--   created_s        when the fork began (its second branch's first block was made)
--   cause            adversary: a block of the fork was made by an adversary
--                    (block_marks.adversary); equivocation: two
--                    branches begin with blocks of one producer for one slot;
--                    forced: an [event] of type fork made blocks at the instant
--                    the fork began;
--                    partition: a partition was in force when the fork began
--                    (the latest partition or heal of faults at or before
--                    created_ns is a partition); race: none of these
--   status, winner, depth, stale_blocks, open_nodes   as in forks
--   decided_s        creation of the winner's first block above every losing block
--   resolved_s       resolved forks: when the last node left a losing branch
--                    (the latest of the fork's reorgs), or decided_s when no
--                    node ever had a losing block as its tip; NULL otherwise
--   created_ns, decided_ns, resolved_ns   the same times in integer nanoseconds
--   reorgs, reorg_nodes, reorg_max_depth   the fork's reorgs (v_fork_reorgs):
--                    how many, at how many distinct nodes, the deepest
--   txs_reincluded, txs_dropped, txs_double_spent   fates of the losing
--                    branches' transactions (fork_txs)
CREATE VIEW IF NOT EXISTS v_forks AS
SELECT f.run_id,
       f.fork_id,
       f.parent_index,
       f.fork_height,
       f.created_ns / 1e9 AS created_s,
       CASE
           WHEN EXISTS (SELECT 1 FROM fork_blocks fb
                        JOIN block_marks m ON m.run_id = fb.run_id AND m.block_index = fb.block_index
                        WHERE fb.run_id = f.run_id AND fb.fork_id = f.fork_id AND m.adversary IS NOT NULL)
               THEN 'adversary'
           WHEN EXISTS (SELECT 1 FROM faults q
                        WHERE q.run_id = f.run_id AND q.kind = 'fork' AND q.at_ns = f.created_ns)
               THEN 'forced'
           WHEN f.equivocation THEN 'equivocation'
           WHEN (SELECT q.kind FROM faults q
                 WHERE q.run_id = f.run_id AND q.at_ns <= f.created_ns AND q.kind IN ('partition', 'heal')
                 ORDER BY q.at_ns DESC, q.seq DESC LIMIT 1) = 'partition'
               THEN 'partition'
           ELSE 'race'
       END AS cause,
       f.branches,
       f.winner,
       f.status,
       f.depth,
       f.stale_blocks,
       f.open_nodes,
       f.decided_ns / 1e9 AS decided_s,
       CASE WHEN f.status = 'resolved'
            THEN coalesce(g.last_ns, f.decided_ns) / 1e9 END AS resolved_s,
       f.created_ns,
       f.decided_ns,
       CASE WHEN f.status = 'resolved' THEN coalesce(g.last_ns, f.decided_ns) END AS resolved_ns,
       coalesce(g.reorgs, 0) AS reorgs,
       coalesce(g.reorg_nodes, 0) AS reorg_nodes,
       coalesce(g.reorg_max_depth, 0) AS reorg_max_depth,
       coalesce(t.reincluded, 0) AS txs_reincluded,
       coalesce(t.dropped, 0) AS txs_dropped,
       coalesce(t.double_spent, 0) AS txs_double_spent
FROM forks f
LEFT JOIN (SELECT run_id, fork_id, count(*) AS reorgs, count(DISTINCT node_id) AS reorg_nodes,
                  max(depth) AS reorg_max_depth, max(at_ns) AS last_ns
           FROM v_fork_reorgs GROUP BY run_id, fork_id) g
       ON g.run_id = f.run_id AND g.fork_id = f.fork_id
LEFT JOIN (SELECT run_id, fork_id, sum(fate = 'reincluded') AS reincluded, sum(fate = 'dropped') AS dropped,
                  sum(fate = 'double-spent') AS double_spent
           FROM fork_txs GROUP BY run_id, fork_id) t
       ON t.run_id = f.run_id AND t.fork_id = f.fork_id;
