#!/usr/bin/env bash
# `npm run bench`: Portio against the official socket.io server and the runtime's "limit" server, same
# machine, same run, through the shared load generator (../shared/bench, see its README). Servers of one
# runtime alternate round by round (A B C A B C …) and medians are kept; then bench/report.mjs writes
# docs/benchmarks.md. About 30 minutes on 2 cores. Knobs: ROUNDS (3), RUNTIMES ("node bun deno"),
# SCENARIOS (all four), BENCH_DIR (../shared/bench), OUT (results JSONL), MSGPACK (1: then the msgpack
# variant, bench/msgpack.sh, with its own knobs MSGPACK_RUNTIMES and MSGPACK_SCENARIOS).
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1
BENCH_DIR="${BENCH_DIR:-$(cd .. && pwd)/shared/bench}"
[ -f "$BENCH_DIR/run-suite.sh" ] || { echo "bench: no load generator at $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
ROUNDS="${ROUNDS:-3}"
RUNTIMES="${RUNTIMES:-node bun deno}"
mkdir -p .tmp
OUT="${OUT:-$PWD/.tmp/bench-$(date +%Y%m%d-%H%M%S).jsonl}"
export OUT
node bench/build.mjs

servers_for() {
  case "$1" in
    node) echo "portio-node|node bench/dist/portio-node.mjs"
          echo "socketio-node|node $BENCH_DIR/servers/socketio-node.mjs"
          echo "limit-node|node $BENCH_DIR/servers/limit-node.mjs" ;;
    bun)  echo "portio-bun|node_modules/.bin/bun bench/portio-bun.ts"
          echo "socketio-bun|node_modules/.bin/bun $BENCH_DIR/servers/socketio-bun.mjs"
          echo "limit-bun|node_modules/.bin/bun $BENCH_DIR/servers/limit-bun.ts" ;;
    # the official server under Deno's Node compatibility is the comparison there (no limit server)
    deno) echo "portio-deno|node_modules/.bin/deno run -A bench/portio-deno.ts"
          echo "socketio-deno|node_modules/.bin/deno run -A $BENCH_DIR/servers/socketio-node.mjs" ;;
  esac
}

for runtime in $RUNTIMES; do
  for round in $(seq 1 "$ROUNDS"); do
    while IFS='|' read -r label cmd; do
      echo "== $runtime round $round: $label" >&2
      LABEL="$label" SERVER_CMD="$cmd" ROUND="$round" bash "$BENCH_DIR/run-suite.sh" >&2 || echo "bench: $label failed in round $round" >&2
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
