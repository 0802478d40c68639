# One image for the API, the worker and the migrate job; the command picks the process:
#   node dist/backend/src/main.api.js | node dist/backend/src/main.worker.js | node dist/scripts/src/migrate.js up
# (node dist/scripts/src/create-user.js <tenant> [<key>] [--admin] works in it too.)
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Every workspace's package.json: npm ci checks the whole lockfile against them.
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY backend/package.json backend/
COPY frontend/package.json frontend/
COPY scripts/package.json scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY contracts contracts
COPY backend backend
COPY migrations migrations
COPY scripts scripts
# The root tsconfig compiles the tests too; they stay out of the image.
# --omit=optional drops the embedded PostgreSQL binaries (60 MB, only `npm start` uses them) and with them
# typescript + ts-node, which typeorm keeps as an optional peer: node_modules 222 MB -> 136 MB.
RUN npm run build:backend \
  && rm -rf dist/backend/test dist/scripts/test dist/.tsbuildinfo \
  && npm prune --omit=dev --omit=optional --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# uid 1000; Kubernetes pins runAsUser to the same number.
USER node
EXPOSE 8000
CMD ["node", "dist/backend/src/main.api.js"]
