FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY backend/package.json backend/
COPY frontend/package.json frontend/
COPY scripts/package.json scripts/
RUN npm ci --no-audit --no-fund --workspace frontend --include-workspace-root=false
COPY frontend frontend
RUN npm run build -w frontend

FROM nginx:1.27-alpine
COPY deploy/docker/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /app/frontend/dist /usr/share/nginx/html
EXPOSE 80
