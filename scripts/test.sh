#!/usr/bin/env bash
# The test command of the README: installs what is missing, then lint, typecheck, the default
# test suite, the slow suite (the cases at the real 1 s / 5 s Clore limits) and the chaos suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
find apps packages -path '*/.vitest/*.json' -not -path '*/node_modules/*' -delete 2>/dev/null || true
trap 'node scripts/summarize-tests.mjs' EXIT
pnpm lint
pnpm typecheck
# The production install (~25 s): `pnpm build`, `pnpm deploy --prod` as the Dockerfile does, no test
# or build tool in it, and the deployed compiled api + worker run a job on the deployed simulator.
node scripts/check-prod-deps.mjs --install
pnpm test
pnpm test:slow
# The chaos suite (SIGKILLed workers at every lifecycle point, Redis restarts, 10 % simulator
# faults, SSH drops): about 5 minutes.
pnpm --filter @clore-batch/worker chaos
