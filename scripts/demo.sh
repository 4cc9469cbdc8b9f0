#!/usr/bin/env bash
# The demo soak: leakwatch runs the bundled leaky service in a 1 GiB memory cgroup, hammers it, snapshots its heap
# every 5 s, serves the live view and /metrics, and after 3 minutes (or Ctrl-C) writes a report.
# A leak is what the demo is for: leakwatch's "leak suspected" exit code (3) counts as success here.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run build --silent || exit 1
# 1 GiB, not 300 MiB: before it has measured one, leakwatch takes a V8 snapshot only when a careful estimate of its
# cost (40 × the target's anonymous memory, ~25 MiB here) fits in the cgroup's headroom (docs/reliability.md).
limit=(--memory-limit 1g)
if [ "$(id -u)" != 0 ]; then
  echo "demo: not root, so no memory cgroup: running without --memory-limit" >&2
  limit=()
fi
export PORT="${PORT:-18080}" LEAK_BYTES="${LEAK_BYTES:-4096}"
./bin/leakwatch.js run --duration "${DEMO_DURATION:-3m}" --report leakwatch-report --data-dir .leakwatch \
  --listen 127.0.0.1:9477 --name demo "${limit[@]}" \
  --dump-every 5s --min-growth 256k --min-growth-objects 200 \
  --load-url "http://127.0.0.1:${PORT}/" --load-concurrency 4 --load-rate 20 \
  -- node examples/leaky-service.js
code=$?
if [ "$code" = 3 ]; then
  echo "demo: leakwatch found the leak (exit 3 = leak suspected). Open leakwatch-report/report.html" >&2
  exit 0
fi
exit "$code"
