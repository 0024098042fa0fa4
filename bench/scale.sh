#!/usr/bin/env bash
# `npm run bench:scale`: growth curves (bench/scale/run.mjs has the parts and knobs). Raises the open-files limit
# to the hard limit first: a run with N connections needs N descriptors in the server and in the generator.
# SCALE_SYSCTL=1 also widens the ephemeral port range for the run (a machine-wide setting, restored on exit;
# needs root) when more connections than the default 28k ports are asked for.
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1
hard=$(ulimit -Hn)
soft=$(ulimit -n)
if [ "$soft" = "$hard" ]; then note="ulimit -n $soft (already the hard limit; raising the hard limit is not permitted here)"
elif ulimit -n "$hard" 2>/dev/null; then note="ulimit -n raised from $soft to the hard limit $hard"
else note="ulimit -n $soft (could not raise it)"; fi
if [ "${SCALE_SYSCTL:-0}" = 1 ]; then
  old=$(cat /proc/sys/net/ipv4/ip_local_port_range)
  if sysctl -q -w net.ipv4.ip_local_port_range="15000 64999" 2>/dev/null; then
    trap 'sysctl -q -w net.ipv4.ip_local_port_range="$old"' EXIT
    note="$note; ephemeral ports widened to 15000-64999 for the run"
  else
    note="$note; could not widen the ephemeral port range (not permitted)"
  fi
fi
echo "bench:scale: $note" >&2
SCALE_LIMITS_NOTE="$note" node bench/scale/run.mjs
