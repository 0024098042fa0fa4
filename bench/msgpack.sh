#!/usr/bin/env bash
# The msgpack variant of the bench (`npm run bench` runs it after the main one; `npm run bench:msgpack`
# alone): fan-out and echo, Portio against the official socket.io server, both with socket.io-msgpack-parser,
# through the shared load generator. The generator speaks JSON text frames only, so it runs from a folder
# whose `ws` is bench/msgpack-ws.cjs (the real ws, translating at the generator's edge): the servers see
# msgpack binary frames only. Servers of one runtime alternate round by round. Alone, it prints the
# "msgpack" section of docs/benchmarks.md to stdout. Knobs: ROUNDS (3), MSGPACK_RUNTIMES ("node bun"),
# MSGPACK_SCENARIOS ("fanout echo"), BENCH_DIR (../shared/bench), OUT (results JSONL, appended to).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export DENO_NO_UPDATE_CHECK=1
BENCH_DIR="${BENCH_DIR:-$(cd .. && pwd)/shared/bench}"
[ -f "$BENCH_DIR/run-suite.sh" ] || { echo "bench: no load generator at $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
ROUNDS="${ROUNDS:-3}"
RUNTIMES="${MSGPACK_RUNTIMES:-node bun}"
mkdir -p .tmp
OUT="${OUT:-$ROOT/.tmp/bench-msgpack-$(date +%Y%m%d-%H%M%S).jsonl}"
case "$OUT" in /*) ;; *) OUT="$ROOT/$OUT" ;; esac # run-suite runs from the generator folder
[ -f bench/dist/portio-node.mjs ] || node bench/build.mjs

# the generator's working directory: its `ws` is the translating one
GEN="$ROOT/.tmp/msgpack-generator"
mkdir -p "$GEN/node_modules/ws"
echo '{"name":"ws","version":"msgpack-shim","main":"index.js"}' > "$GEN/node_modules/ws/package.json"
echo "module.exports = require(\"$ROOT/bench/msgpack-ws.cjs\");" > "$GEN/node_modules/ws/index.js"

servers_for() {
  case "$1" in
    node) echo "portio-node-msgpack|env PARSER=msgpack node $ROOT/bench/dist/portio-node.mjs"
          echo "socketio-node-msgpack|node $ROOT/bench/socketio-msgpack.mjs" ;;
    bun)  echo "portio-bun-msgpack|env PARSER=msgpack $ROOT/node_modules/.bin/bun $ROOT/bench/portio-bun.ts"
          echo "socketio-bun-msgpack|$ROOT/node_modules/.bin/bun $ROOT/bench/socketio-msgpack.mjs" ;;
  esac
}

for runtime in $RUNTIMES; do
  for round in $(seq 1 "$ROUNDS"); do
    while IFS='|' read -r label cmd; do
      echo "== msgpack $runtime round $round: $label" >&2
      # fan-out: 1000 members as in the main bench, 200 measured broadcasts instead of 1000: the translation
      # makes the generator several times slower (~12 k msgs/s on the loaded 2-core box), and 1000 would not
      # fit the generator's time limit
      (cd "$GEN" && LABEL="$label" SERVER_CMD="$cmd" ROUND="$round" OUT="$OUT" \
        SCENARIOS="${MSGPACK_SCENARIOS:-fanout echo}" FANOUT_ARGS="${MSGPACK_FANOUT_ARGS:---messages 200}" \
        BENCH_TIMEOUT="${BENCH_TIMEOUT:-120}" bash "$BENCH_DIR/run-suite.sh" >&2) ||
        echo "bench: $label failed in round $round" >&2
    done < <(servers_for "$runtime")
  done
done
echo "msgpack results: $OUT" >&2
[ -n "${MSGPACK_QUIET:-}" ] || node bench/report.mjs --msgpack "$OUT"
