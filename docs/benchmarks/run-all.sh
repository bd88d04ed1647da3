#!/usr/bin/env bash
# One documented run of every scenario of performance.md, in this order, on this machine.
# From the repository root, after
#   cargo build --release --features bench --bin klassenbuch --bin klassenbuch-bench
# Environment: CARGO_TARGET_DIR (default target), BENCH_DIR (scratch, default /tmp/kb-doc),
# STAMP (suffix of the JSON files), PG_BASE (PostgreSQL server URL without database; the
# database kb_doc_bench is created and dropped).
set -euo pipefail
T=${CARGO_TARGET_DIR:-target}/release
B=${BENCH_DIR:-/tmp/kb-doc}
mkdir -p "$B"
rm -f "$B"/bench.sqlite* "$B"/bench10.sqlite* "$B"/keys
J=docs/benchmarks
stamp=${STAMP:-run-$(date -u +%Y-%m-%d)}
echo "== machine"; nproc; free -m | head -2; uptime
$T/klassenbuch-bench argon2 --n 20
echo "== seed sqlite 1x"; $T/klassenbuch-bench seed --db sqlite://$B/bench.sqlite --schools 1 --history-days 280 --keys $B/keys
echo "== seed sqlite 10x"; $T/klassenbuch-bench seed --db sqlite://$B/bench10.sqlite --schools 10 --history-days 280 --keys $B/keys
echo "== 1 morning-peak sqlite"; uptime
$T/klassenbuch-bench morning-peak --server-bin $T/klassenbuch --db sqlite://$B/bench.sqlite --keys $B/keys --teachers 120 --json $J/morning-peak-sqlite-$stamp.json
echo "== 2 throughput sqlite"; uptime
$T/klassenbuch-bench throughput --server-bin $T/klassenbuch --db sqlite://$B/bench.sqlite --keys $B/keys --connections 64 --seconds 20 --ceiling-port 18081 --json $J/lesson-throughput-sqlite-$stamp.json
echo "== 3 year-of-data 1x"; uptime
$T/klassenbuch-bench year-of-data --server-bin $T/klassenbuch --db sqlite://$B/bench.sqlite --keys $B/keys --json $J/year-of-data-sqlite-1x-$stamp.json
echo "== 3 year-of-data 10x"; uptime
$T/klassenbuch-bench year-of-data --server-bin $T/klassenbuch --db sqlite://$B/bench10.sqlite --keys $B/keys --baseline $J/year-of-data-sqlite-1x-$stamp.json --json $J/year-of-data-sqlite-10x-$stamp.json
echo "== 4 state on postgres"; uptime
psql -q "${PG_BASE:-postgres://postgres@127.0.0.1}/postgres" -c "DROP DATABASE IF EXISTS kb_doc_bench" -c "CREATE DATABASE kb_doc_bench"
$T/klassenbuch-bench seed --db ${PG_BASE:-postgres://postgres@127.0.0.1}/kb_doc_bench --schools 20 --history-days 5 --keys $B/keys
$T/klassenbuch-bench morning-peak --server-bin $T/klassenbuch --db ${PG_BASE:-postgres://postgres@127.0.0.1}/kb_doc_bench --keys $B/keys --schools 20 --teachers 120 --json $J/morning-peak-postgres-20-schools-$stamp.json
psql -q "${PG_BASE:-postgres://postgres@127.0.0.1}/postgres" -c "DROP DATABASE IF EXISTS kb_doc_bench"
echo "== done"; uptime
