/** The Hono environment every route of the Worker's HTTP face shares (ingest and ops alike). */
export type AppEnv = { Bindings: Env };
