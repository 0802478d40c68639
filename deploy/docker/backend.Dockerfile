# One image for the API, the worker, the migrate job and create-user; the command picks the process:
#   node dist/backend/src/main.api.js | node dist/backend/src/main.worker.js | node dist/scripts/src/migrate.js up
#   node dist/scripts/src/create-user.js <tenant> [<key>] [--admin]
# Base images are pinned to a patch release (the Node this repository is tested on); pin a digest too
# (node:20.20.2-bookworm-slim@sha256:…) where your registry policy asks for it.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
# Every workspace's package.json: npm ci checks the whole lockfile against them.
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY backend/package.json backend/
COPY frontend/package.json frontend/
COPY scripts/package.json scripts/
# The dashboard's workspace is left out: its dependencies (vite, react, jsdom) are not the backend's.
RUN npm ci --no-audit --no-fund --workspace contracts --workspace backend --workspace scripts --include-workspace-root
COPY tsconfig.json ./
COPY contracts contracts
COPY backend backend
COPY migrations migrations
COPY scripts scripts
# The root tsconfig compiles the tests too; they stay out of the image.
# --omit=optional drops the embedded PostgreSQL binaries (60 MB, only `npm start` uses them) and with them
# typescript + ts-node, which typeorm keeps as an optional peer.
RUN npm run build:backend \
  && rm -rf dist/backend/test dist/scripts/test dist/.tsbuildinfo \
  && npm prune --omit=dev --omit=optional --no-audit --no-fund --workspace contracts --workspace backend --workspace scripts --include-workspace-root

FROM node:20.20.2-bookworm-slim
# Workers serve /health, /ready and /metrics on 9464 (the API and the one-off commands ignore it).
ENV NODE_ENV=production PORT=8000 WORKER_METRICS_PORT=9464
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# uid 1000; Kubernetes pins runAsUser to the same number.
USER node
EXPOSE 8000 9464
CMD ["node", "dist/backend/src/main.api.js"]
