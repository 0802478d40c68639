.DEFAULT_GOAL := help
COMPOSE_DEV := docker compose -f docker-compose.dev.yml
COMPOSE_PROD := docker compose -f docker-compose.prod.yml

.PHONY: help
help: ## Print every target with its description
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

.PHONY: install
install: ## Install dependencies from the lockfile
	npm ci

.PHONY: start
start: ## Start everything on the embedded PostgreSQL (or DATABASE_URL)
	npm start

.PHONY: test
test: ## Type-check, lint and run every test
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
create-user: ## Create a tenant and API key: make create-user TENANT=tenant1 KEY=my-api-key-123 (USER_ID/API_KEY work too)
	npm run create-user -- $(or $(TENANT),$(USER_ID)) $(or $(KEY),$(API_KEY))

.PHONY: up
up: ## Start the development stack with Docker Compose
	$(COMPOSE_DEV) up -d

.PHONY: up-prod
up-prod: ## Start the production stack with Docker Compose
	$(COMPOSE_PROD) up -d

.PHONY: down
down: ## Stop both Compose stacks
	$(COMPOSE_DEV) down
	$(COMPOSE_PROD) down

.PHONY: compose-config
compose-config: ## Render both Compose files (needs only the docker client)
	$(COMPOSE_DEV) config -q
	$(COMPOSE_PROD) config -q

.PHONY: k8s-render
k8s-render: ## Render both Kubernetes overlays (skipped when kubectl is missing)
	@if command -v kubectl >/dev/null; then for o in dev prod; do kubectl kustomize deploy/k8s/overlays/$$o >/dev/null && echo "overlay $$o renders"; done; else echo "kubectl not installed: skipping"; fi
