#!/usr/bin/env bash
# A big board for the client's figures (issue #19: 10,000 cards over 8 columns).
#
#   bench/big-board.sh board FILE        writes the board as a `project export` file
#   bench/big-board.sh measure [TUI]     imports it into a fresh kanban-server and
#                                        measures a kanban-tui on it (default
#                                        target/release/kanban-tui)
#
# The board: 8 columns of 1,250 cards (CARDS sets how many a column), titles like
# people write them, most cards with an assignee, a priority, labels or a due date
# around today, a quarter with a description, one in twenty with a comment; the
# same board every run. `measure` starts kanban-server on a temporary data
# directory (127.0.0.1:$PORT, default 7979), imports the board for 12 users, runs
# kanban-tui as ann in a tmux window of 200x50 (the token in KANBAN_TOKEN, never on
# a command line), and waits for a card title on screen. It prints one JSON line:
# ms from launch to the board on screen (seen by polling tmux, so it includes
# tmux's own start), VmRSS and VmHWM of kanban-tui once the board is shown, the
# board's size on the wire, and the client's own figures from its log where this
# build writes them (ms from its main: when it asked for the board, how long the
# answer took to come and to parse, the first frame with the board; that frame's
# draw in µs).
# REPEAT=5 measures five fresh clients on the same server; DATA=DIR keeps the
# server's data there (imported once, reused by later runs: an import of 10,000
# cards takes half a minute).
set -euo pipefail
# Loads run without the per-person budget of changes (10 a second by default);
# an older build that has none ignores the variable.
export KANBAN_MAX_WRITES_PER_USER=0
echo "kanban-server runs without its budget of changes per person (KANBAN_MAX_WRITES_PER_USER=0)" >&2
cd "$(dirname "$0")/.."

PEOPLE=(ann bob cy dee eve fay gus hal ivy jo kit lou)
CARDS=${CARDS:-1250}
# A tmux server of its own, whatever else runs tmux here.
TMUX_CMD="tmux -L big-board"

board() { # FILE
    CARDS=$CARDS python3 - "$1" "${PEOPLE[@]}" <<'EOF'
import datetime, json, os, random, sys
path, people = sys.argv[1], sys.argv[2:]
rng = random.Random(19)
per = int(os.environ["CARDS"])
verbs = ["Fix", "Write", "Review", "Ship", "Refactor", "Document", "Measure", "Remove", "Add", "Test"]
things = ["the login page", "token refresh on reconnect", "the export of a board with comments",
          "WIP limits in the column header", "the flaky PostgreSQL test",
          "due dates in the user's time zone", "the trash purge job", "mouse wheel scrolling",
          "the access log", "cursor markers for two people with one initial"]
labels = ["bug", "ops", "ux", "api", "docs", "security", "perf", "needs review"]
today = datetime.date.today()
names = ["Inbox", "Backlog", "Ready", "In Progress", "Review", "Testing", "Done", "Released"]
columns = []
for c, name in enumerate(names):
    cards = []
    for n in range(per):
        card = {
            "title": f"{rng.choice(verbs)} {rng.choice(things)} (#{c * per + n + 1})",
            "description": "Seen on the staging board after a restart; steps in the thread."
            if rng.random() < 0.25 else "",
            "priority": rng.choice(["none", "low", "medium", "high", "urgent"]),
            "labels": sorted({rng.choice(labels) for _ in range(rng.randrange(3))}),
            "comments": [],
        }
        if rng.random() < 0.75:
            card["assignee"] = rng.choice(people)
        if rng.random() < 0.33:
            card["due_date"] = (today + datetime.timedelta(days=rng.randrange(-10, 30))).isoformat()
        if rng.random() < 0.05:
            card["comments"] = [{"author": rng.choice(people), "body": "Still seen after the fix?"}]
        cards.append(card)
    column = {"name": name, "cards": cards}
    if c == 3:
        column["wip_limit"] = 20
    columns.append(column)
members = [{"name": p, "role": "owner" if i == 0 else "member"} for i, p in enumerate(people)]
with open(path, "w") as f:
    json.dump({"format": "kanban", "version": 1, "name": "Big", "columns": columns, "members": members}, f)
EOF
}

measure() { # [TUI]
    local tui server port=${PORT:-7979}
    tui=$(realpath "${1:-target/release/kanban-tui}")
    server=$(realpath "${SERVER:-target/release/kanban-server}")
    # Tokens are kept in files only their owner reads.
    umask 077
    DIR=$(mktemp -d)
    local dir=$DIR data=${DATA:-$DIR/data}
    local s=("$server" --data-dir "$data")
    if [ ! -s "$data/token-ann" ]; then
        mkdir -p "$data"
        board "$dir/board.json"
        for p in "${PEOPLE[@]}"; do "${s[@]}" user add "$p" >"$data/token-$p"; done
        local t0
        t0=$(date +%s%N)
        "${s[@]}" project import "$dir/board.json" >"$data/project"
        echo "imported $(du -h "$dir/board.json" | cut -f1) in $((($(date +%s%N) - t0) / 1000000)) ms" >&2
    fi
    local pid
    pid=$(cat "$data/project")
    printf 'Authorization: Bearer %s\n' "$(cat "$data/token-ann")" >"$dir/auth"
    unset TMUX
    "${s[@]}" --listen "127.0.0.1:$port" 2>"$dir/server.log" &
    SERVER_PID=$!
    trap 'kill $SERVER_PID 2>/dev/null; $TMUX_CMD kill-server 2>/dev/null; rm -rf "$DIR"' EXIT
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    # A session that outlives the runs: a tmux server that exits with its last
    # session races the next run's start.
    $TMUX_CMD new-session -d -s keep
    local bytes
    bytes=$(curl -s -H @"$dir/auth" "http://127.0.0.1:$port/api/projects/$pid/board" | wc -c)
    for i in $(seq "${REPEAT:-1}"); do
        local log="$dir/tui-$i.log" shown="" tui_pid t0
        # The token reaches the client through its environment, read from the
        # data directory's file by the pane's own shell: never on a command line.
        cat >"$dir/run-$i" <<RUN
#!/usr/bin/env bash
export KANBAN_TOKEN=\$(cat "$data/token-ann") KANBAN_STATE_DIR="$dir/state-$i" RUST_LOG=info,kanban_tui=debug
exec "$tui" --server "http://127.0.0.1:$port" --log "$log"
RUN
        chmod 700 "$dir/run-$i"
        t0=$(date +%s%N)
        $TMUX_CMD new-session -d -s big-board -x 200 -y 50 -c "$dir" "$dir/run-$i"
        for _ in $(seq 2000); do
            if $TMUX_CMD capture-pane -p -t big-board 2>/dev/null | grep -q "Inbox $CARDS"; then
                shown=$((($(date +%s%N) - t0) / 1000000))
                break
            fi
            sleep 0.002
        done
        tui_pid=$($TMUX_CMD list-panes -t big-board -F '#{pane_pid}')
        local rss hwm own=""
        rss=$(awk '/^VmRSS/ {print $2}' "/proc/$tui_pid/status")
        hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$tui_pid/status")
        # The client's own figures, where this build logs them: when it asked for
        # the board, how long the answer took to come and to read, and when the
        # first frame with the board was drawn (all from the start of its main).
        for _ in $(seq 100); do grep -q 'first frame with the board' "$log" 2>/dev/null && break; sleep 0.01; done
        for field in asked_at_ms fetch_ms parse_ms since_start_ms draw_us; do
            local value
            value=$(grep -o "$field=[0-9.]*" "$log" 2>/dev/null | head -1 | cut -d= -f2 || true)
            [ -n "$value" ] && own="$own,\"$field\":$value"
        done
        printf '{"run":%d,"shown_ms":%s,"rss_kib":%s,"hwm_kib":%s,"board_bytes":%s%s}\n' \
            "$i" "${shown:-null}" "$rss" "$hwm" "$bytes" "$own"
        $TMUX_CMD kill-session -t big-board
    done
}

case "${1:-}" in
    board) board "${2:?a file to write}" ;;
    measure) measure "${2:-}" ;;
    *) sed -n '2,21p' "$0" >&2; exit 2 ;;
esac
