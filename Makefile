.DEFAULT_GOAL := help
SHELL := /bin/bash

COMPOSE_DEV := docker compose -f docker-compose.dev.yml
COMPOSE_PROD := docker compose -f docker-compose.prod.yml
# Stopping or removing the prod stack needs no password, but Compose checks `:?` variables first.
COMPOSE_PROD_TEARDOWN := POSTGRES_PASSWORD=$${POSTGRES_PASSWORD:-unused-for-teardown} $(COMPOSE_PROD)
# The stack that logs, create-user and scale-workers act on: STACK=dev (default) or STACK=prod.
STACK ?= dev
COMPOSE = $(if $(filter prod,$(STACK)),$(COMPOSE_PROD),$(COMPOSE_DEV))
OVERLAY ?= dev
IMAGE_TAG ?= dev

# Fails the recipe naming the variable a target needs.
require = $(if $($(1)),,$(error $(1) is required: $(2)))

.PHONY: help
help: ## Print every target with its description
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

# --- Without Docker ---

.PHONY: start
start: ## Start everything without Docker: embedded PostgreSQL (or DATABASE_URL), API, workers, dashboard
	npm start

.PHONY: test
test: ## Build, lint and run every test (as CI does)
	npm test

.PHONY: lint
lint: ## ESLint and Prettier
	npm run lint

.PHONY: migrate
migrate: ## Apply pending migrations to DATABASE_URL (or the embedded PostgreSQL)
	npm run migrate

.PHONY: bench
bench: ## Benchmark report against pg-boss and graphile-worker (docs/benchmarks/); QUICK=1 for the quick run
	npm run bench$(if $(QUICK), -- --quick)

.PHONY: create-user-local
create-user-local: ## Create a tenant and key in the database npm start uses: USER_ID=… [API_KEY=…] [ADMIN=1]
	$(call require,USER_ID,make create-user-local USER_ID=tenant1 API_KEY=my-api-key-123)
	npm run create-user -- '$(USER_ID)' $(if $(API_KEY),'$(API_KEY)') $(if $(ADMIN),--admin)

# --- Docker ---

.PHONY: build
build: ## Build both images from deploy/docker (conveyor-backend and conveyor-dashboard, tag IMAGE_TAG=dev)
	docker build -f deploy/docker/backend.Dockerfile -t conveyor-backend:$(IMAGE_TAG) .
	docker build -f deploy/docker/frontend.Dockerfile -t conveyor-dashboard:$(IMAGE_TAG) .

.PHONY: build-prod
build-prod: ## Build the prod stack's images (tagged CONVEYOR_IMAGE / CONVEYOR_DASHBOARD_IMAGE from .env)
	$(COMPOSE_PROD) build

.PHONY: up
up: ## Start the dev stack: source mounted, hot reload, dashboard :3000, API :8000, PostgreSQL 127.0.0.1:5432
	$(COMPOSE_DEV) up -d

.PHONY: up-prod
up-prod: ## Build and start the prod stack (reads .env, needs POSTGRES_PASSWORD; dashboard on :80)
	@test -f .env || { echo "No .env: copy .env.example to .env and set POSTGRES_PASSWORD first."; exit 1; }
	$(COMPOSE_PROD) up -d --build

.PHONY: down
down: ## Stop both Compose stacks (their volumes stay)
	$(COMPOSE_DEV) down --remove-orphans
	$(COMPOSE_PROD_TEARDOWN) down --remove-orphans

.PHONY: logs
logs: ## Follow every service's logs (STACK=prod for the prod stack)
	$(COMPOSE) logs -f --tail=200

.PHONY: logs-backend
logs-backend: ## Follow the API's logs (STACK=prod for the prod stack)
	$(COMPOSE) logs -f --tail=200 api

.PHONY: logs-worker
logs-worker: ## Follow the workers' logs (STACK=prod for the prod stack)
	$(COMPOSE) logs -f --tail=200 worker

.PHONY: logs-frontend
logs-frontend: ## Follow the dashboard's logs (STACK=prod for the prod stack)
	$(COMPOSE) logs -f --tail=200 frontend

.PHONY: create-user
create-user: ## Create a tenant and key in the running stack: USER_ID=… API_KEY=… [ADMIN=1] [STACK=prod]
	$(call require,USER_ID,make create-user USER_ID=tenant1 API_KEY=my-api-key-123)
	$(call require,API_KEY,make create-user USER_ID=$(USER_ID) API_KEY=my-api-key-123 (12+ characters))
	$(COMPOSE) exec -T api node dist/scripts/src/create-user.js '$(USER_ID)' '$(API_KEY)' $(if $(ADMIN),--admin)

.PHONY: scale-workers
scale-workers: ## Run COUNT worker containers in the running stack: COUNT=N [STACK=prod]
	$(call require,COUNT,make scale-workers COUNT=4)
	$(if $(shell [[ '$(COUNT)' =~ ^[0-9]+$$ ]] && echo number),,$(error COUNT must be a whole number, not "$(COUNT)"))
	$(COMPOSE) up -d --no-deps --no-recreate --scale worker=$(COUNT) worker

.PHONY: clean
clean: ## Remove both stacks' containers and volumes (databases too) and the build output; FORCE=1 skips the prompt
	@if [ "$(FORCE)" != 1 ]; then \
	  read -r -p "Remove the Compose containers and volumes (database data included) and dist/? [y/N] " answer; \
	  [ "$$answer" = y ] || [ "$$answer" = Y ] || { echo "clean: aborted, nothing removed"; exit 1; }; \
	fi
	$(COMPOSE_DEV) down --volumes --remove-orphans
	$(COMPOSE_PROD_TEARDOWN) down --volumes --remove-orphans
	rm -rf dist frontend/dist .jest-cache

# --- Kubernetes ---

.PHONY: k8s-render
k8s-render: ## Print an overlay's manifests: OVERLAY=dev (default) or OVERLAY=prod (needs its secret file)
	kubectl kustomize deploy/k8s/overlays/$(OVERLAY)

.PHONY: k8s-apply
k8s-apply: ## Apply an overlay to the current kubectl context: OVERLAY=dev|prod (no default)
	$(if $(OVERLAY_APPLY),,$(error OVERLAY is required: make k8s-apply OVERLAY=dev (or prod)))
	kubectl apply -k deploy/k8s/overlays/$(OVERLAY)

# An explicit OVERLAY on the command line or in the environment, never the default.
OVERLAY_APPLY := $(if $(filter command line environment,$(origin OVERLAY)),$(OVERLAY))
