# One image recipe, two targets: `api` and `worker` (docker-compose.yml builds both).
# The packages are TypeScript run in place with tsx (docs/decisions/0002-typescript-in-place.md).
FROM node:20-bookworm-slim AS base
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true NODE_ENV=production
# /data is written by the unprivileged `node` user (a named volume takes this ownership when created).
RUN npm i -g pnpm@12.21.0 && mkdir -p /data && chown node:node /data
WORKDIR /app
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
COPY tsconfig.base.json ./
COPY packages packages
COPY apps apps
ENV DATA_DIR=/data HOST=0.0.0.0
USER node

FROM base AS api
EXPOSE 8080
CMD ["node", "--import", "tsx", "apps/api/src/main.ts"]

FROM base AS worker
# SIGTERM: the worker stops taking jobs; running commands keep running on their servers and the
# next worker resumes them.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]
