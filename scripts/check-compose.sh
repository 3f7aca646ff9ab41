#!/usr/bin/env bash
# Validates docker-compose.yml with `docker-compose config -q` (Debian's docker-compose v1 works
# without a Docker engine), using a throw-away .env made from .env.example with the required
# values filled in. Installs docker-compose with apt when it is missing, as bootstrap.sh does for
# redis-server and OpenSSH. CHECK_COMPOSE_FILE=<file> validates another file (the test uses it to
# prove a broken file fails).
set -euo pipefail
cd "$(dirname "$0")/.."
file="${CHECK_COMPOSE_FILE:-docker-compose.yml}"
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "check-compose: installing docker-compose (apt)"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq docker-compose >/dev/null
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
key="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
sed -e "s/^SECRETS_KEY=\$/SECRETS_KEY=$key/" \
  -e 's/^API_TOKENS=$/API_TOKENS=ci:admin:compose-check-token-0123/' \
  .env.example >"$dir/.env"
echo "CLORE_API_KEY=compose-check-placeholder" >>"$dir/.env"
# The project directory holds the .env the services' env_file names; the file itself is the repo's.
docker-compose -f "$file" --project-directory "$dir" config -q
echo "check-compose: $file is valid"
