#!/usr/bin/env bash
# Runs the kanban-bench scenarios against kanban-server and Sockudo on this machine,
# interleaved (kanban, Sockudo, kanban, Sockudo, ...), each server fresh for each run,
# and appends one JSON line per run to bench/results/RESULTS (default: today's date).
# ONLY="subscribers 100 " runs only the matching runs; REPEAT=3 repeats each pair.
# OLD=path/to/kanban-server adds an older build of kanban-server to each round
# ("old"), to show what a change did to the figures.
# Sockudo is a measuring peer only: installed with `cargo install sockudo` (needs
# protoc), never a dependency. Loopback only.
set -euo pipefail
# Loads run without the per-person budget of changes (10 a second by default);
# an older build that has none ignores the variable.
export KANBAN_MAX_WRITES_PER_USER=0
echo "kanban-server runs without its budget of changes per person (KANBAN_MAX_WRITES_PER_USER=0)" >&2
cd "$(dirname "$0")/.."

SOCKUDO=${SOCKUDO:-$(command -v sockudo || echo "$HOME/.cargo/bin/sockudo")}
OUT=bench/results/${RESULTS:-$(date +%F)}.jsonl
mkdir -p bench/results
ID=4242 KEY=bench-key SECRET=bench-secret
BENCH="target/release/kanban-bench --app-id $ID --key $KEY --secret $SECRET"

cargo build --release -q -p kanban-server -p kanban-bench

wait_port() { # the server answers on $1 within 30 s
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on $1" >&2; return 1
}

# start_kanban_bin BINARY PORT: a fresh kanban-server with its own data.
start_kanban_bin() {
    DATA=$(mktemp -d)
    TOKEN=$("$1" --data-dir "$DATA" user add bench)
    PROJECT=$("$1" --data-dir "$DATA" project add bench --member bench)
    KANBAN_APP_SECRET=$SECRET "$1" --listen "127.0.0.1:$2" --data-dir "$DATA" \
        --app-id $ID --app-key $KEY \
        --max-connections 200000 --max-presence-members 200000 --client-event-rate 100000 \
        2>/dev/null &
    PID=$! PORT=$2
    wait_port $PORT
}

start_kanban() { start_kanban_bin target/release/kanban-server 7901; }
start_old() { start_kanban_bin "$OLD" 7903; }

start_sockudo() {
    HOST=127.0.0.1 PORT=7902 ADAPTER_DRIVER=local CACHE_DRIVER=memory QUEUE_DRIVER=memory \
    APP_MANAGER_DRIVER=memory RATE_LIMITER_ENABLED=false \
    SOCKUDO_DEFAULT_APP_ID=$ID SOCKUDO_DEFAULT_APP_KEY=$KEY SOCKUDO_DEFAULT_APP_SECRET=$SECRET \
    SOCKUDO_ENABLE_CLIENT_MESSAGES=true SOCKUDO_DEFAULT_APP_MAX_CONNECTIONS=200000 \
    SOCKUDO_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SECOND=100000 \
    SOCKUDO_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SECOND=100000 \
    SOCKUDO_DEFAULT_APP_MAX_PRESENCE_MEMBERS_PER_CHANNEL=200000 \
    "$SOCKUDO" >/dev/null 2>&1 &
    PID=$! PORT=7902
    wait_port $PORT
}

# run SERVER SCENARIO ARGS...: one fresh server, one run, one JSON line. Runs
# whose arguments do not contain $ONLY (when set) are skipped.
run() {
    local server=$1; shift
    [[ -z ${ONLY:-} || " $* " == *"$ONLY"* ]] || return 0
    "start_$server"
    local extra=()
    [[ $1 = mutations || $1 = board ]] && extra=(--token "$TOKEN" --project "$PROJECT")
    local line
    line=$($BENCH --port "$PORT" --pid "$PID" "$@" "${extra[@]}" | tail -1) || true
    # Sockudo takes a 10 s grace period on SIGTERM; neither needs one here.
    kill -9 "$PID"; wait "$PID" 2>/dev/null || true
    echo "{\"server\":\"$server\",\"args\":\"$*\",\"result\":${line:-null}}" | tee -a "$OUT"
}

if [ ! -x "$SOCKUDO" ]; then
    echo "Sockudo is not installed (cargo install sockudo): kanban-server runs alone" >&2
    SOCKUDO=
fi

both() { # each pair (or triple, with OLD) $REPEAT times (default 1), interleaved
    for _ in $(seq "${REPEAT:-1}"); do
        run kanban "$@"
        [ -n "${OLD:-}" ] && run old "$@"
        [ -n "$SOCKUDO" ] && run sockudo "$@"
    done
    true
}

for n in 100 1000 5000; do both fanout --subscribers $n --rate 100 --duration 10 --publishers 8; done
for n in 10 50 100; do both cursors --users $n --hz 60 --duration 10; done
for c in 10000 18000; do both connections --count $c; done
both connections --count 2000 --shared
# kanban-server only (Sockudo has no board):
for args in "mutations --clients 64 --duration 10" "board --cards 10000 --columns 8 --gets 20"; do
    # shellcheck disable=SC2086
    run kanban $args
    # shellcheck disable=SC2086
    [ -n "${OLD:-}" ] && run old $args
done
true
