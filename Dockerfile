# One build stage, three runtime targets: `api` and `worker` (docker-compose.yml builds both) and
# `sim` (the Clore simulator of the compose `sandbox` profile). The build stage compiles each app to
# one JavaScript file (`pnpm build`, docs/decisions/0139-compiled-bundles.md) and installs it with
# its production dependencies only (`pnpm deploy --prod`); the runtime images hold that and nothing
# else: no TypeScript, tsx, esbuild, vitest or test fixtures. `node scripts/check-prod-deps.mjs
# --install` reproduces these steps without Docker (scripts/test.sh runs it).
FROM node:20-bookworm-slim AS build
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN npm i -g pnpm@12.21.0
WORKDIR /src
COPY pnpm-workspace.yaml pnpm-lock.yaml package.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/cli/package.json apps/cli/
COPY apps/cli/bin apps/cli/bin
COPY packages/shared/package.json packages/shared/
COPY packages/clore/package.json packages/clore/
COPY packages/clore-sim/package.json packages/clore-sim/
COPY packages/clore-sim/bin packages/clore-sim/bin
COPY packages/runtime/package.json packages/runtime/
COPY packages/testing/package.json packages/testing/
COPY bench/package.json bench/
RUN pnpm install --frozen-lockfile --reporter=silent
COPY tsconfig.base.json turbo.json ./
COPY scripts/bundle.mjs scripts/
COPY packages packages
COPY apps apps
RUN pnpm build \
  && pnpm deploy --prod --filter @clore-batch/api /out/api \
  && pnpm deploy --prod --filter @clore-batch/worker /out/worker \
  && pnpm deploy --prod --filter @clore-batch/clore-sim /out/sim

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production DATA_DIR=/data HOST=0.0.0.0
# /data is written by the unprivileged `node` user (a named volume takes this ownership when created).
RUN mkdir -p /data && chown node:node /data
WORKDIR /app
USER node

FROM runtime AS api
COPY --from=build /out/api /app
EXPOSE 8080
CMD ["node", "dist/main.js"]

FROM runtime AS worker
COPY --from=build /out/worker /app
# SIGTERM: the worker stops taking jobs; running commands keep running on their servers and the
# next worker resumes them.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]

# The simulator runs a real sshd per rented server, listening on 127.0.0.1 of this container (the
# sandbox's api and worker share its network) and letting the worker in as root: it runs as root.
# Never for production: it only pretends to rent.
FROM node:20-bookworm-slim AS sim
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /run/sshd && chmod 755 /run/sshd
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/sim /app
EXPOSE 8077
CMD ["node", "dist/bin.js", "--host", "0.0.0.0", "--port", "8077"]
