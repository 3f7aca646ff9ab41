#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for clore-batch: redis-server, OpenSSH (server and
# client), pnpm 12.21.0 and the workspace's packages. Safe to run again: it skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
# The full test run (CI) also needs Chromium (dashboard browser tests) and docker-compose (checks the
# compose file without a Docker engine).
if [ "${CLORE_BATCH_BROWSER_TESTS:-0}" = 1 ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} (apt)"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "12.21.0" ]; then
  echo "bootstrap: installing pnpm 12.21.0 (npm)"
  corepack disable >/dev/null 2>&1 || true
  npm i -g pnpm@12.21.0 >/dev/null 2>&1
fi

pnpm install --frozen-lockfile --reporter=silent
