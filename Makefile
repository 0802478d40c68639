.DEFAULT_GOAL := help
COMPOSE_DEV := docker compose -f docker-compose.dev.yml
COMPOSE_PROD := docker compose -f docker-compose.prod.yml

.PHONY: help
help: ## Print every target with its description
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

.PHONY: install
install: ## Install dependencies (npm install)
	npm install

.PHONY: start
start: ## Start everything on the embedded PostgreSQL (or DATABASE_URL)
	npm start

.PHONY: test
test: ## Build, lint and run every test
	npm test

.PHONY: lint
lint: ## ESLint and Prettier
	npm run lint

.PHONY: build
build: ## Build the backend and the dashboard
	npm run build

.PHONY: migrate
migrate: ## Apply pending migrations
	npm run migrate

.PHONY: create-user
create-user: ## Create a tenant and API key: make create-user TENANT=tenant1 KEY=my-api-key-123 [ADMIN=1]
	npm run create-user -- $(or $(TENANT),$(USER_ID)) $(or $(KEY),$(API_KEY)) $(if $(ADMIN),--admin)

.PHONY: dev-up
dev-up: ## Build and start the development stack with Docker Compose (dashboard on :3000, API on :8000)
	$(COMPOSE_DEV) up -d --build

.PHONY: dev-down
dev-down: ## Stop the development stack (its database volume stays)
	$(COMPOSE_DEV) down

.PHONY: prod-up
prod-up: ## Build and start the production stack with Docker Compose (reads .env; dashboard on :80)
	@test -f .env || { echo "No .env: copy .env.example to .env and set POSTGRES_PASSWORD first."; exit 1; }
	$(COMPOSE_PROD) up -d --build

.PHONY: prod-down
prod-down: ## Stop the production stack (its database volume stays)
	$(COMPOSE_PROD) down

.PHONY: compose-config
compose-config: ## Render both Compose files (needs the docker compose plugin, no engine)
	@if docker compose version >/dev/null 2>&1; then \
	  $(COMPOSE_DEV) config -q && echo "docker-compose.dev.yml renders" && \
	  $(COMPOSE_PROD) config -q && echo "docker-compose.prod.yml renders"; \
	else echo "docker compose plugin not installed: skipping"; fi

.PHONY: k8s-render
k8s-render: ## Render both Kubernetes overlays (skipped when kubectl is missing)
	@if command -v kubectl >/dev/null; then for o in dev prod; do kubectl kustomize deploy/k8s/overlays/$$o >/dev/null && echo "overlay $$o renders" || exit 1; done; else echo "kubectl not installed: skipping"; fi

# The seed system's names, kept for the people who already type them.
.PHONY: up up-prod down
up: dev-up ## Alias of dev-up (the seed system's name)
up-prod: prod-up ## Alias of prod-up (the seed system's name)
down: dev-down prod-down ## Stop both Compose stacks
