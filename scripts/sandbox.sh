#!/usr/bin/env bash
# The whole system on this machine, for a first look: Redis (REDIS_URL when it answers, else a
# private redis-server), the Clore simulator with a real sshd per rented server, the API and a
# worker. It prints the API URL, a dev token and a first `clore-batch submit ... --wait` to paste.
# Ctrl-C stops everything it started. With CLORE_API_KEY set it uses the REAL Clore API (real money).
#
#   bash scripts/sandbox.sh [--port N] [--provisioning-ms MIN-MAX] ...   (clore-batch sandbox --help)
#
# CLORE_BATCH_SKIP_BOOTSTRAP=1 skips scripts/bootstrap.sh (apt packages, pnpm, pnpm install).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CLORE_BATCH_SKIP_BOOTSTRAP:-0}" != 1 ]; then
  bash scripts/bootstrap.sh
fi
# exec: Ctrl-C and SIGTERM reach the sandbox itself, which stops its children in order.
exec node apps/cli/bin/clore-batch.mjs sandbox "$@"
