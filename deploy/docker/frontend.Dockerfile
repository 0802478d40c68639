# Base images are pinned to a patch release; pin digests too where your registry policy asks for it.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
# Every workspace's package.json: npm ci checks the whole lockfile against them.
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY backend/package.json backend/
COPY frontend/package.json frontend/
COPY scripts/package.json scripts/
# The dashboard's dependencies plus the root's: its build runs `tsc`, which only the root declares.
RUN npm ci --no-audit --no-fund --workspace frontend --include-workspace-root
# The event map and API types the dashboard imports (@conveyor/contracts).
COPY contracts contracts
COPY frontend frontend
RUN npm run build -w frontend

# nginx as uid 101, listening on 8080 (no root needed for a port above 1024).
FROM nginxinc/nginx-unprivileged:1.27.5-alpine
COPY deploy/docker/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /app/frontend/dist /usr/share/nginx/html
USER 101
EXPOSE 8080
