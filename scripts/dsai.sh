#!/usr/bin/env bash
# Entry point of the README's commands: `npm start`, `npm test`, `npm run setup`.
# It needs only Node and npm to exist; everything else is installed or checked by
# scripts/setup.ts. Each step is idempotent, so a second run skips work already done.
set -euo pipefail
cd "$(dirname "$0")/.."
command=${1:?usage: dsai.sh setup|start|test}
shift

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "dsai: Node.js >= 20.19 is required (found: $(node --version 2>/dev/null || echo none)); install it from your distribution or nodejs.org" >&2
  exit 1
fi

# Dependencies: (re)install when package-lock.json changed since the last install.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.dsai-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "dsai: installing npm dependencies (npm ci)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  echo "$lock_sum" > "$stamp"
fi

export NEXT_TELEMETRY_DISABLED=1
npx --no-install tsx scripts/setup.ts

case "$command" in
  setup) ;;
  start) exec npx --no-install tsx scripts/start.ts "$@" ;;
  test) exec npx --no-install tsx scripts/test.ts "$@" ;;
  *) echo "dsai: unknown command '$command' (expected setup, start or test)" >&2; exit 2 ;;
esac
