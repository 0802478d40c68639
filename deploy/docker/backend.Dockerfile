# One image for the API, the worker and the migrate job; the command picks the process.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY backend/package.json backend/
COPY frontend/package.json frontend/
COPY scripts/package.json scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY backend backend
COPY migrations migrations
COPY scripts scripts
RUN npm run build:backend && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
EXPOSE 8000
CMD ["node", "dist/backend/src/main.api.js"]
