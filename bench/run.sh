#!/usr/bin/env bash
# `npm run bench`: Portio against the official socket.io server and the runtime's "limit" server, same
# machine, same run, through the shared load generator (../shared/bench, see its README). Servers of one
# runtime alternate round by round (A B C A B C …) and medians are kept; then bench/report.mjs writes
# docs/benchmarks.md. About 40 minutes on 2 cores. Knobs: ROUNDS (3), RUNTIMES ("node bun deno workerd"),
# SCENARIOS (all four), PORT (run-suite.sh's, 3999), BENCH_DIR (../shared/bench), OUT (results JSONL),
# MSGPACK (1: then the msgpack variant, bench/msgpack.sh, with its own knobs MSGPACK_RUNTIMES and
# MSGPACK_SCENARIOS). workerd runs through Miniflare (bench/workerd-server.mjs), offline.
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1 CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false
BENCH_DIR="${BENCH_DIR:-$(cd .. && pwd)/shared/bench}"
[ -f "$BENCH_DIR/run-suite.sh" ] || { echo "bench: no load generator at $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
ROUNDS="${ROUNDS:-3}"
RUNTIMES="${RUNTIMES:-node bun deno workerd}"
SCENARIOS="${SCENARIOS:-connect fanout echo polling}"
mkdir -p .tmp
OUT="${OUT:-$PWD/.tmp/bench-$(date +%Y%m%d-%H%M%S).jsonl}"
export OUT
node bench/build.mjs

# label|command[|the scenarios it serves, when not all]
servers_for() {
  case "$1" in
    node) echo "portio-node|node bench/dist/portio-node.mjs"
          echo "socketio-node|node $BENCH_DIR/servers/socketio-node.mjs"
          echo "limit-node|node $BENCH_DIR/servers/limit-node.mjs" ;;
    bun)  echo "portio-bun|node_modules/.bin/bun bench/portio-bun.ts"
          echo "socketio-bun|node_modules/.bin/bun $BENCH_DIR/servers/socketio-bun.mjs"
          echo "limit-bun|node_modules/.bin/bun $BENCH_DIR/servers/limit-bun.ts" ;;
    # the official server under Deno's Node compatibility is the socket.io comparison there
    deno) echo "portio-deno|node_modules/.bin/deno run -A bench/portio-deno.ts"
          echo "socketio-deno|node_modules/.bin/deno run -A $BENCH_DIR/servers/socketio-node.mjs"
          echo "limit-deno|node_modules/.bin/deno run -A $BENCH_DIR/servers/limit-deno.ts" ;;
    # one Durable Object holding every connection, in workerd through Miniflare (no socket.io there); the
    # limit Worker serves WebSocket only, so no polling for it
    workerd) echo "portio-workerd|node bench/workerd-server.mjs portio"
          echo "limit-workerd|node bench/workerd-server.mjs limit|connect fanout echo" ;;
  esac
}

for runtime in $RUNTIMES; do
  for round in $(seq 1 "$ROUNDS"); do
    while IFS='|' read -r label cmd serves; do
      scenarios="$SCENARIOS"
      if [ -n "$serves" ]; then
        scenarios="$(for s in $SCENARIOS; do case " $serves " in *" $s "*) echo "$s" ;; esac; done | xargs)"
      fi
      [ -n "$scenarios" ] || continue
      # workerd delivers ~10-20 k msgs/s here: 1000 broadcasts to 1000 members would not fit the generator's
      # 60 s limit, 200 measured ones do (a later flag wins, so FANOUT_ARGS still can say otherwise)
      fanout_args="${FANOUT_ARGS:-}"
      [ "$runtime" = workerd ] && fanout_args="--messages 200 $fanout_args"
      echo "== $runtime round $round: $label" >&2
      LABEL="$label" SERVER_CMD="$cmd" ROUND="$round" SCENARIOS="$scenarios" FANOUT_ARGS="$fanout_args" bash "$BENCH_DIR/run-suite.sh" </dev/null >&2 ||
        echo "bench: $label failed in round $round" >&2
    done < <(servers_for "$runtime")
  done
done

# the msgpack variant (socket.io-msgpack-parser on both sides), into the same results; MSGPACK=0 skips it
if [ "${MSGPACK:-1}" != 0 ]; then
  MSGPACK_QUIET=1 OUT="$OUT" ROUNDS="$ROUNDS" BENCH_DIR="$BENCH_DIR" bash bench/msgpack.sh ||
    echo "bench: the msgpack variant failed" >&2
fi

node bench/report.mjs "$OUT" > docs/benchmarks.md.new
mv docs/benchmarks.md.new docs/benchmarks.md
echo "results: $OUT; table: docs/benchmarks.md" >&2
