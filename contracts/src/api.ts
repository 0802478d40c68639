/**
 * The REST API's types, generated from its OpenAPI document by openapi-typescript:
 * `npm run api-types` rewrites this file; do not edit it by hand. A test fails when it drifts.
 */

export interface paths {
    "/api/v1/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant and role of the calling key */
        get: operations["WhoAmIController_me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live job events as Server-Sent Events
         * @description A Server-Sent Events stream (`text/event-stream`; `curl -N` prints it as it comes) of the caller’s job events, one SSE event per job event: `event:` job_submitted, job_due, job_started, job_progress, job_completed, job_failed, job_retry, job_dlq, job_cancelled, `data:` one JSON object `{"event", "job_id", "tenant_id", "queue", "job_type", "status", "attempt", "progress", "error", "at"}` (never the payload), `id:` for Last-Event-ID. A `: heartbeat` comment comes every EVENTS_HEARTBEAT_SECONDS (15 s). Reconnecting with `Last-Event-ID` replays what this API replica still holds after that id (its last EVENTS_REPLAY_EVENTS events); an id outside that window (too old, another replica’s, from before a restart) gets a `resync` event instead: refetch, then follow the stream. `resync` also comes after frames were dropped for a slow reader or the replica’s LISTEN connection dropped. Under load a tenant’s events are paced like socket.io’s (EVENTS_FRAMES_PER_FLUSH per EVENTS_FLUSH_MS, a job’s repeated progress collapsed). Open streams count against EVENTS_MAX_SOCKETS_PER_KEY with the key’s sockets. The same events come over a plain WebSocket at `/ws` (`Authorization: Bearer <key>` or `?token=<key>`, admins may add `?tenant_id=`), one JSON text message per event; a refused socket is closed with 4401 (bad key), 4400 (bad tenant_id), 4429 (too many connections) or 4503.
         */
        get: operations["EventStreamController_stream"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/job-types": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The registered job types, with a description and an example payload */
        get: operations["JobTypesController_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List jobs, newest first (keyset pagination) */
        get: operations["JobsController_list"];
        put?: never;
        /**
         * Submit a job
         * @description JSON, or multipart/form-data with fields type, payload (a JSON string) and one file (field file or filename) for analyze jobs.
         */
        post: operations["JobsController_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One job: payload, result, progress and every attempt’s error */
        get: operations["JobsController_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a pending, failed or running job (a running one is aborted on its worker) */
        post: operations["JobsController_cancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run a failed, dead or cancelled job again now, with a fresh attempt count */
        post: operations["JobsController_retry"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Submit up to 1,000 jobs in one statement: all or none */
        post: operations["JobsController_createBatch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/dlq": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Dead jobs, most recent first, with every attempt’s error */
        get: operations["DeadLetterController_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/dlq/count": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** How many dead jobs match a filter (for a bulk action’s confirmation) */
        get: operations["DeadLetterController_count"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/dlq/discard": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Delete dead jobs for good (ids, or a filter for all matching) */
        post: operations["DeadLetterController_discard"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/dlq/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Redrive: back to pending with a fresh attempt count (ids, or a filter for all matching) */
        post: operations["DeadLetterController_retry"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/metrics/queues": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Jobs per status in each queue, the most waiting first */
        get: operations["JobStatsController_queues"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/metrics/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Counts by status, queue length, throughput and failure rate over the last minute */
        get: operations["JobStatsController_summary"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/metrics/timeseries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Per-minute submitted, started, completed, failed, retried, dead and mean run/wait times */
        get: operations["JobStatsController_timeseries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/keys/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a key: refused at once on every replica */
        post: operations["ApiKeysController_revoke"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List tenants */
        get: operations["TenantsController_list"];
        put?: never;
        /** Create a tenant */
        post: operations["TenantsController_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One tenant, with its limits and max_concurrency */
        get: operations["TenantsController_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change name, rate limit, burst or max_concurrency (null clears) */
        patch: operations["TenantsController_update"];
        trace?: never;
    };
    "/api/v1/tenants/{id}/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a tenant's keys (prefixes only) */
        get: operations["TenantsController_listKeys"];
        put?: never;
        /** Create an API key; the key is in this response only */
        post: operations["TenantsController_createKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live worker processes: the count for any key, every registry row for admin keys */
        get: operations["WorkersController_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: 200 while the process runs (no key, no database) */
        get: operations["HealthController_live"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: 200 when the database answers, else 503 with the reason (no key) */
        get: operations["HealthController_ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ApiKeyDto: {
            created_at: string;
            /** Format: uuid */
            id: string;
            last_used_at: string | null;
            name: string | null;
            /** @description The first characters of the key, to tell keys apart */
            prefix: string;
            revoked_at: string | null;
            /** @enum {string} */
            role: "tenant" | "admin";
            /** Format: uuid */
            tenant_id: string;
        };
        CreateApiKeyDto: {
            /**
             * @description A label shown in lists
             * @example ci-deploys
             */
            name?: string;
            /**
             * @default tenant
             * @enum {string}
             */
            role: "tenant" | "admin";
        };
        CreatedApiKeyDto: {
            created_at: string;
            /** Format: uuid */
            id: string;
            /** @description The key itself: shown this once, stored only as a sha256 hash */
            key: string;
            last_used_at: string | null;
            name: string | null;
            /** @description The first characters of the key, to tell keys apart */
            prefix: string;
            revoked_at: string | null;
            /** @enum {string} */
            role: "tenant" | "admin";
            /** Format: uuid */
            tenant_id: string;
        };
        CreateJobDto: {
            /**
             * @description Do not run for this many ms
             * @example 60000
             */
            delay_ms?: number;
            /**
             * @description A repeat with the same key returns the first job
             * @example order-1234
             */
            idempotency_key?: string;
            /**
             * @description Tries in all, 1-100; default 4
             * @example 4
             */
            max_attempts?: number;
            /**
             * @description Retries after the first try: max_attempts = max_retries + 1
             * @example 3
             */
            max_retries?: number;
            /**
             * @description A JSON object given to the handler; required unless `task` is given
             * @example {
             *       "to": "a@example.com",
             *       "subject": "Hi"
             *     }
             */
            payload?: Record<string, never>;
            /**
             * @description Lower runs first
             * @example 0
             */
            priority?: number;
            /**
             * @description 1-64 letters, digits, _ . : -
             * @example default
             */
            queue?: string;
            /**
             * @description Do not run before (ISO 8601)
             * @example 2026-12-01T09:00:00Z
             */
            run_at?: string;
            /**
             * @description Shorthand for `{"type": "default", "payload": {"task": <task>}}`: give it instead of type and payload. The default handler fails the task named `fail` (retries, then the DLQ) and simulates work for any other
             * @example process_data
             */
            task?: string;
            /**
             * @description Each attempt's time limit in ms; default per job type (GET /api/v1/job-types), at most JOB_TIMEOUT_MAX_MS (default 3,600,000). A timed-out attempt fails and is retried
             * @example 60000
             */
            timeout_ms?: number;
            /**
             * @description A registered type (GET /api/v1/job-types); default `default`
             * @example email
             */
            type?: string;
        };
        CreateJobMultipartDto: {
            /**
             * Format: binary
             * @description The file (or use field `filename`)
             */
            file?: string;
            /**
             * @description A JSON object, as a string
             * @example {"patterns": ["ERROR", "WARN"]}
             */
            payload: string;
            /** @example analyze */
            type: string;
        };
        CreateJobsBatchDto: {
            /** @description 1-1000 jobs, inserted all or none */
            jobs: components["schemas"]["CreateJobDto"][];
        };
        CreateTenantDto: {
            /**
             * @description Most jobs of this tenant running at once, across all workers
             * @example 10
             */
            max_concurrency?: number;
            /**
             * @description 1-100 characters, unique
             * @example acme
             */
            name: string;
            /**
             * @description Token-bucket capacity; default RATE_LIMIT_BURST
             * @example 200
             */
            rate_limit_burst?: number;
            /**
             * @description Token-bucket refill per second; default RATE_LIMIT_PER_SECOND
             * @example 100
             */
            rate_limit_per_second?: number;
        };
        DeadJobActionResultDto: {
            /** @description How many DLQ entries were retried or discarded */
            count: number;
            ids: string[];
            /** @description By filter: matching entries that died before the request and are still there (a call acts on at most 5,000; send it again for the rest). By ids: 0 */
            remaining: number;
        };
        DeadJobCountDto: {
            cap: number;
            /** @description True when there are more than `cap`: count then says cap + 1 */
            capped: boolean;
            /** @description DLQ entries matching the filter, counted up to `cap` + 1 */
            count: number;
        };
        DeadJobDto: {
            attempts: number;
            died_at: string;
            errors: Record<string, never>[];
            job_created_at: string;
            /** Format: uuid */
            job_id: string;
            last_error: string | null;
            max_attempts: number;
            payload: {
                [key: string]: unknown;
            };
            queue: string;
            /** Format: uuid */
            tenant_id: string;
            trace_id: string | null;
            type: string;
        };
        DeadJobFilterDto: {
            queue?: string;
            /**
             * Format: uuid
             * @description Admins only
             */
            tenant_id?: string;
            type?: string;
        };
        DeadJobPageDto: {
            jobs: components["schemas"]["DeadJobDto"][];
            next_cursor: string | null;
        };
        DeadJobSelectionDto: {
            filter?: components["schemas"]["DeadJobFilterDto"];
            ids?: string[];
        };
        JobBatchDto: {
            /** @description In the order submitted; a repeated idempotency key gives the first job */
            jobs: components["schemas"]["JobDto"][];
        };
        JobBatchMinimalDto: {
            /** @description In the order submitted; a repeated idempotency key gives the first job */
            jobs: components["schemas"]["JobRefDto"][];
        };
        JobDto: {
            attempts: number;
            created_at: string;
            /** @description Every failed attempt's error */
            errors: components["schemas"]["JobErrorDto"][];
            finished_at: string | null;
            /** Format: uuid */
            id: string;
            idempotency_key: string | null;
            last_error: string | null;
            max_attempts: number;
            payload: {
                [key: string]: unknown;
            };
            priority: number;
            progress: number;
            queue: string;
            /** @description The handler's JSON result */
            result: Record<string, never> | null;
            run_at: string;
            started_at: string | null;
            /** @enum {string} */
            status: "scheduled" | "pending" | "running" | "failed" | "completed" | "dead" | "cancelled";
            /** Format: uuid */
            tenant_id: string;
            trace_id: string | null;
            type: string;
            updated_at: string;
        };
        JobErrorDto: {
            at: string;
            attempt: number;
            error: string;
        };
        JobPageDto: {
            jobs: components["schemas"]["JobSummaryDto"][];
            /** @description Pass as `cursor` for the next page; null at the end */
            next_cursor?: string | null;
        };
        JobRefDto: {
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            status: "scheduled" | "pending" | "running" | "failed" | "completed" | "dead" | "cancelled";
        };
        JobSummaryDto: {
            attempts: number;
            created_at: string;
            finished_at: string | null;
            /** Format: uuid */
            id: string;
            idempotency_key: string | null;
            last_error: string | null;
            max_attempts: number;
            priority: number;
            progress: number;
            queue: string;
            run_at: string;
            started_at: string | null;
            /** @enum {string} */
            status: "scheduled" | "pending" | "running" | "failed" | "completed" | "dead" | "cancelled";
            /** Format: uuid */
            tenant_id: string;
            trace_id: string | null;
            type: string;
            updated_at: string;
        };
        JobTypeDto: {
            /** @description An attempt's time limit when the job gives no timeout_ms */
            default_timeout_ms: number;
            description: string;
            example_payload: {
                [key: string]: unknown;
            };
            type: string;
        };
        LivenessDto: {
            /** @example ok */
            status: string;
        };
        MetricsSummaryDto: {
            /** @description Running now (= running_jobs) */
            active_jobs: number;
            cancelled_jobs: number;
            completed_jobs: number;
            /** @description Completions per minute over the last minute */
            completed_per_minute: number;
            /** @description Attempts exhausted: in the dead-letter queue */
            dlq_jobs: number;
            /** @description An attempt failed; a retry is scheduled */
            failed_jobs: number;
            /** @description Failed attempts per minute over the last minute */
            failed_per_minute: number;
            /** @description Failed attempts / finished attempts over the last minute */
            failure_rate: number;
            /** @description Due, waiting for a worker */
            pending_jobs: number;
            /** @description Waiting: scheduled + pending + failed */
            queue_length: number;
            running_jobs: number;
            /** @description Due later: run_at is ahead */
            scheduled_jobs: number;
            /** @description Completions per second over the last minute */
            throughput_per_second: number;
            /** @description Jobs kept (finished ones are pruned after RETENTION_DAYS) */
            total_jobs: number;
        };
        QueueDepthDto: {
            cancelled: number;
            completed: number;
            dead: number;
            /** @description Waiting for a retry */
            failed: number;
            pending: number;
            queue: string;
            running: number;
            /** @description Due later */
            scheduled: number;
        };
        QueueDepthsDto: {
            /** @description Queues with jobs, most waiting (scheduled + pending + failed) first, at most 100 */
            queues: components["schemas"]["QueueDepthDto"][];
        };
        ReadinessDto: {
            /** @example database unavailable */
            reason?: string;
            /** @enum {string} */
            status: "ready" | "unavailable";
        };
        TenantDto: {
            created_at: string;
            /** Format: uuid */
            id: string;
            max_concurrency: number | null;
            name: string;
            rate_limit_burst: number | null;
            rate_limit_per_second: number | null;
            updated_at: string;
        };
        TimeseriesDto: {
            minutes: number;
            points: components["schemas"]["TimeseriesPointDto"][];
        };
        TimeseriesPointDto: {
            avg_run_ms: number | null;
            avg_wait_ms: number | null;
            completed: number;
            dead: number;
            failed: number;
            minute: string;
            retried: number;
            started: number;
            submitted: number;
        };
        UpdateTenantDto: {
            /** @example 10 */
            max_concurrency?: number | null;
            /** @example acme */
            name?: string;
            /** @example 200 */
            rate_limit_burst?: number | null;
            /** @example 100 */
            rate_limit_per_second?: number | null;
        };
        WhoAmIDto: {
            /** Format: uuid */
            key_id: string;
            /** @enum {string} */
            role: "tenant" | "admin";
            /** Format: uuid */
            tenant_id: string;
            tenant_name: string;
        };
        WorkerDto: {
            /**
             * @description Jobs it runs at once
             * @example 5
             */
            concurrency: number;
            /** @example worker-7d9f-abcde */
            host: string;
            /**
             * @description host:pid, the lease owner of its jobs
             * @example worker-7d9f-abcde:1
             */
            id: string;
            /**
             * @description Jobs it held at its last heartbeat: running, prefetched, unwritten
             * @example 3
             */
            jobs_in_hand: number;
            /** Format: date-time */
            last_seen_at: string;
            /** @description Seen within WORKERS_STALE_SECONDS; a row that is not is pruned soon */
            live: boolean;
            /** @example 1 */
            pid: number;
            /** Format: date-time */
            started_at: string;
            /** @example 0.1.0 */
            version: string;
        };
        WorkersDto: {
            /**
             * @description Their summed concurrency
             * @example 20
             */
            live_slots: number;
            /**
             * @description Worker processes seen within WORKERS_STALE_SECONDS
             * @example 4
             */
            live_workers: number;
            /** @description Every row of the registry, live or not yet pruned: admin keys only */
            workers?: components["schemas"]["WorkerDto"][];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    WhoAmIController_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WhoAmIDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    EventStreamController_stream: {
        parameters: {
            query?: {
                /** @description Admins only: one tenant's events (default: every tenant's); ignored for a tenant's key */
                tenant_id?: string;
            };
            header?: {
                /** @description The id of the last event received: replays what followed, or sends `resync` */
                "Last-Event-ID"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The stream; it stays open until the client leaves */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The key holds EVENTS_MAX_SOCKETS_PER_KEY connections already, or its rate limit is spent */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobTypesController_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobTypeDto"][];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobsController_list: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page */
                cursor?: string;
                limit?: number;
                queue?: string;
                /** @description One state; other services' names for them are taken too (queued for pending, processing for running, succeeded for completed, canceled for cancelled, dlq for dead). Jobs in the answer always carry Conveyor's names */
                status?: "scheduled" | "pending" | "running" | "failed" | "completed" | "dead" | "cancelled" | "queued" | "processing" | "succeeded" | "canceled" | "dlq";
                /** @description Admins only: one tenant (default: all) */
                tenant_id?: string;
                type?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobPageDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Rate limit exceeded; see Retry-After */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobsController_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Same as idempotency_key */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateJobDto"] | components["schemas"]["CreateJobMultipartDto"];
                "multipart/form-data": components["schemas"]["CreateJobDto"] | components["schemas"]["CreateJobMultipartDto"];
            };
        };
        responses: {
            /** @description The job an earlier call with this idempotency key created */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobDto"];
                };
            };
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobDto"];
                };
            };
            /** @description Invalid input; details name the fields */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Body over MAX_BODY_BYTES or file over UPLOAD_MAX_BYTES */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Rate limit exceeded; see Retry-After */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobsController_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No such job (another tenant's job is a 404 too) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Rate limit exceeded; see Retry-After */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobsController_cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The job already finished */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Rate limit exceeded; see Retry-After */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobsController_retry: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The job is pending, running or completed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Rate limit exceeded; see Retry-After */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobsController_createBatch: {
        parameters: {
            query?: never;
            header?: {
                /** @description `return=minimal`: answer each job as its id and status only (a tenth of the bytes, and less of the API’s CPU); `Preference-Applied` confirms it */
                Prefer?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateJobsBatchDto"];
            };
        };
        responses: {
            /** @description Every job in full, or with `Prefer: return=minimal` only their ids and statuses */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobBatchDto"] | components["schemas"]["JobBatchMinimalDto"];
                };
            };
            /** @description Nothing submitted; details list every bad item by index */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Rate limit exceeded; see Retry-After */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    DeadLetterController_list: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page */
                cursor?: string;
                limit?: number;
                queue?: string;
                /** @description Admins only: one tenant (default: all) */
                tenant_id?: string;
                type?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadJobPageDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    DeadLetterController_count: {
        parameters: {
            query?: {
                queue?: string;
                /** @description Admins only */
                tenant_id?: string;
                type?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadJobCountDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    DeadLetterController_discard: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeadJobSelectionDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadJobActionResultDto"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    DeadLetterController_retry: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeadJobSelectionDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadJobActionResultDto"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobStatsController_queues: {
        parameters: {
            query?: {
                /** @description Admins only: one tenant (default: all) */
                tenant_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueDepthsDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobStatsController_summary: {
        parameters: {
            query?: {
                /** @description Admins only: one tenant (default: all) */
                tenant_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MetricsSummaryDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    JobStatsController_timeseries: {
        parameters: {
            query?: {
                minutes?: number;
                /** @description Admins only: one tenant (default: all) */
                tenant_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimeseriesDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    ApiKeysController_revoke: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Needs an admin key */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    TenantsController_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantDto"][];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Needs an admin key */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    TenantsController_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTenantDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Needs an admin key */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The name is taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    TenantsController_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Needs an admin key */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    TenantsController_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateTenantDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Needs an admin key */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    TenantsController_listKeys: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyDto"][];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Needs an admin key */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    TenantsController_createKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateApiKeyDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedApiKeyDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Needs an admin key */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    WorkersController_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkersDto"];
                };
            };
            /** @description Missing, unknown or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    HealthController_live: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is alive */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LivenessDto"];
                };
            };
        };
    };
    HealthController_ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The database answers */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadinessDto"];
                };
            };
            /** @description The database does not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadinessDto"];
                };
            };
        };
    };
}
