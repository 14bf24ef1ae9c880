#!/usr/bin/env bash
# Board mutations on PostgreSQL: one kanban-server process, then three sharing the
# database, beside one on SQLite, interleaved (sqlite, pg x1, pg x3, ...), each run
# on fresh data; one JSON line per run appended to bench/results/RESULTS (default:
# today's date with -shared). PostgreSQL is KANBAN_BENCH_DATABASE_URL (default the
# local test database); each run gets a schema of its own, dropped after it.
# PROJECTS=3 spreads the clients over three projects instead of one (client i
# writes project i mod 3, through process i mod N). REPEAT=3 repeats each round.
set -euo pipefail
# Loads run without the per-person budget of changes (10 a second by default);
# an older build that has none ignores the variable.
export KANBAN_MAX_WRITES_PER_USER=0
echo "kanban-server runs without its budget of changes per person (KANBAN_MAX_WRITES_PER_USER=0)" >&2
cd "$(dirname "$0")/.."

PG=${KANBAN_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
OUT=bench/results/${RESULTS:-$(date +%F)-shared}.jsonl
CLIENTS=${CLIENTS:-64}
mkdir -p bench/results
ID=4242 KEY=bench-key SECRET=bench-secret
BENCH="target/release/kanban-bench --app-id $ID --key $KEY --secret $SECRET"
SERVER=target/release/kanban-server

cargo build --release -q -p kanban-server -p kanban-bench

wait_port() { # the server answers on $1 within 30 s
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on $1" >&2; return 1
}

serve() { # PORT ARGS...: a server in the background; its pid in PIDS
    local port=$1; shift
    KANBAN_APP_SECRET=$SECRET "$SERVER" --listen "127.0.0.1:$port" "$@" --app-id $ID --app-key $KEY 2>/dev/null &
    PIDS+=($!)
    wait_port "$port"
}

# run LABEL PROCESSES: fresh data, the servers, one mutations run, one JSON line.
run() {
    local label=$1 n=$2 store=() schema="" data
    data=$(mktemp -d)
    if [ "$label" = sqlite ]; then
        store=(--data-dir "$data")
    else
        schema="kb_$(date +%s)_$$"
        psql "$PG" -qc "CREATE SCHEMA $schema"
        store=(--data-dir "$data" --database "$PG?options=-csearch_path%3D$schema")
    fi
    local token projects=()
    token=$("$SERVER" "${store[@]}" user add bench)
    for p in $(seq "${PROJECTS:-1}"); do
        projects+=("$("$SERVER" "${store[@]}" project add "bench $p" --member bench)")
    done
    PIDS=()
    local ports=()
    for i in $(seq "$n"); do
        serve $((7910 + i)) "${store[@]}"
        ports+=($((7910 + i)))
    done
    local line
    line=$($BENCH --port "${ports[0]}" mutations --clients "$CLIENTS" --duration 10 --token "$token" \
        --project "$(IFS=,; echo "${projects[*]}")" --ports "$(IFS=,; echo "${ports[*]}")" --pids "$(IFS=,; echo "${PIDS[*]}")" | tail -1) || true
    kill -9 "${PIDS[@]}"; wait "${PIDS[@]}" 2>/dev/null || true
    [ -n "$schema" ] && psql "$PG" -qc "DROP SCHEMA $schema CASCADE"
    rm -rf "$data"
    echo "{\"store\":\"$label\",\"processes\":$n,\"projects\":${PROJECTS:-1},\"result\":${line:-null}}" | tee -a "$OUT"
}

for _ in $(seq "${REPEAT:-1}"); do
    run sqlite 1
    run postgres 1
    run postgres 3
done
