#!/usr/bin/env bash
# Many nodes, one board: kanban-server nodes joined through a broker (Redis, then
# NATS), beside Sockudo nodes on the same broker (ADAPTER_DRIVER=redis or nats,
# CACHE_DRIVER=redis), interleaved, each cluster fresh for each run. Four nodes:
# subscribers (or cursor users) spread over the first three, the publisher on
# the fourth. One JSON line per run is appended to bench/results/RESULTS (default:
# today's date with -cluster).
# ONLY="cursors" runs only the matching runs; REPEAT=3 repeats each round;
# BROKERS="redis" measures one broker; SERVERS="kanban" leaves Sockudo out;
# OLD=path/to/kanban-server with SERVERS="kanban old" runs an older build beside.
# PostgreSQL is KANBAN_BENCH_DATABASE_URL (default the local test database; each
# kanban run gets a schema of its own); the brokers are KANBAN_BENCH_REDIS_URL and
# KANBAN_BENCH_NATS_URL (default the local ones). Loopback only.
set -euo pipefail
# Loads run without the per-person budget of changes (10 a second by default);
# an older build that has none ignores the variable.
export KANBAN_MAX_WRITES_PER_USER=0
echo "kanban-server runs without its budget of changes per person (KANBAN_MAX_WRITES_PER_USER=0)" >&2
cd "$(dirname "$0")/.."

SOCKUDO=${SOCKUDO:-$(command -v sockudo || echo "$HOME/.cargo/bin/sockudo")}
PG=${KANBAN_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS=${KANBAN_BENCH_REDIS_URL:-redis://127.0.0.1:6379}
NATS=${KANBAN_BENCH_NATS_URL:-nats://127.0.0.1:4222}
OUT=bench/results/${RESULTS:-$(date +%F)-cluster}.jsonl
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

broker_url() { [ "$1" = redis ] && echo "$REDIS" || echo "$NATS"; }

# cpu_ticks NAME: user + system clock ticks (1/100 s) of the local process NAME
# (the broker), 0 when it is not here.
cpu_ticks() {
    local pid
    pid=$(pgrep -x "$1" | head -1) || { echo 0; return; }
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"
}

# start_kanban BROKER [BINARY]: four nodes on fresh data; PIDS and PORTS.
start_kanban() {
    local schema data store SERVER=${2:-$SERVER}
    schema="kb_$(date +%s)_$$"
    psql "$PG" -qc "CREATE SCHEMA $schema"
    SCHEMA=$schema
    data=$(mktemp -d)
    store=(--data-dir "$data" --database "$PG?options=-csearch_path%3D$schema")
    "$SERVER" "${store[@]}" user add bench >/dev/null
    PIDS=() PORTS=()
    for i in 1 2 3 4; do
        KANBAN_APP_SECRET=$SECRET "$SERVER" --listen "127.0.0.1:$((7930 + i))" "${store[@]}" --broker "$(broker_url "$1")" \
            --app-id $ID --app-key $KEY \
            --max-connections 200000 --max-presence-members 200000 --client-event-rate 100000 \
            2>/dev/null &
        PIDS+=($!) PORTS+=($((7930 + i)))
        disown
    done
    for p in "${PORTS[@]}"; do wait_port "$p"; done
    for p in "${PORTS[@]}"; do # each node has joined the cluster
        for _ in $(seq 100); do
            curl -sf "http://127.0.0.1:$p/readyz" >/dev/null && break
            sleep 0.1
        done
    done
}

start_old() { start_kanban "$1" "$OLD"; }

# start_sockudo BROKER: four Sockudo nodes on the broker.
start_sockudo() {
    SCHEMA=""
    PIDS=() PORTS=()
    redis-cli -u "$REDIS" flushall >/dev/null
    for i in 1 2 3 4; do
        HOST=127.0.0.1 PORT=$((7940 + i)) METRICS_ENABLED=false \
        ADAPTER_DRIVER=$1 CACHE_DRIVER=redis REDIS_URL="$REDIS" NATS_SERVERS="$NATS" \
        QUEUE_DRIVER=memory APP_MANAGER_DRIVER=memory RATE_LIMITER_ENABLED=false \
        SOCKUDO_DEFAULT_APP_ID=$ID SOCKUDO_DEFAULT_APP_KEY=$KEY SOCKUDO_DEFAULT_APP_SECRET=$SECRET \
        SOCKUDO_ENABLE_CLIENT_MESSAGES=true SOCKUDO_DEFAULT_APP_MAX_CONNECTIONS=200000 \
        SOCKUDO_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SECOND=100000 \
        SOCKUDO_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SECOND=100000 \
        SOCKUDO_DEFAULT_APP_MAX_PRESENCE_MEMBERS_PER_CHANNEL=200000 \
        "$SOCKUDO" >/dev/null 2>&1 &
        PIDS+=($!) PORTS+=($((7940 + i)))
        disown # killed on purpose: no "Killed" notice from bash
    done
    for p in "${PORTS[@]}"; do wait_port "$p"; done
    sleep 2 # Sockudo nodes discover each other over the broker after they listen
}

stop_all() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do # gone before the next cluster takes the ports
        while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    done
    [ -n "$SCHEMA" ] && psql "$PG" -qc "SET client_min_messages = warning; DROP SCHEMA $SCHEMA CASCADE"
    return 0
}

# run SERVER BROKER SCENARIO ARGS...: a fresh cluster, one run, one JSON line.
run() {
    local server=$1 broker=$2; shift 2
    [[ -z ${ONLY:-} || " $* " == *"$ONLY"* ]] || return 0
    "start_$server" "$broker"
    local pids subs line target
    pids=$(IFS=,; echo "${PIDS[*]}")
    subs="${PORTS[0]},${PORTS[1]},${PORTS[2]}"
    case $1 in
        failover) target=(--port "${PORTS[0]}" --ports "${PORTS[2]}" "$@" --kill "${PIDS[2]}") ;;
        *) target=(--port "${PORTS[3]}" --ports "$subs" --pids "$pids" "$@") ;;
    esac
    local name before after
    name=$([ "$broker" = redis ] && echo redis-server || echo nats-server)
    before=$(cpu_ticks "$name")
    line=$($BENCH "${target[@]}" | tail -1) || true
    after=$(cpu_ticks "$name")
    stop_all
    echo "{\"server\":\"$server\",\"broker\":\"$broker\",\"args\":\"$*\",\"broker_cpu_s\":$(((after - before) / 100)).$(printf %02d $(((after - before) % 100))),\"result\":${line:-null}}" |
        tee -a "$OUT"
}

each() { # BROKER SCENARIO ARGS...: the run on each server in turn
    local broker=$1; shift
    for server in ${SERVERS:-kanban sockudo}; do run "$server" "$broker" "$@"; done
}

for _ in $(seq "${REPEAT:-1}"); do
    for broker in ${BROKERS:-redis nats}; do
        for rate in 20 100; do
            each "$broker" fanout --subscribers 1000 --rate "$rate" --duration 10 --publishers 8
        done
        each "$broker" fanout --subscribers 3000 --rate 100 --duration 10 --publishers 8
        each "$broker" fanout --subscribers 5000 --rate 100 --duration 10 --publishers 8
        each "$broker" fanout --subscribers 30 --rate 5000 --duration 10 --publishers 16
        each "$broker" fanout --subscribers 30 --rate 10000 --duration 10 --publishers 32
        each "$broker" cursors --users 50 --hz 60 --duration 10
        each "$broker" failover --users 50
    done
done
