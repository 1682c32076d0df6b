import { MetricsBuffer } from "./buffer";

/**
 * Ingest's counters, gathered in the isolate and written to D1 in one flush at most every `flushMs` (so D1 — one
 * writer for the whole service — sees a handful of statements every few seconds per isolate, not one per request).
 * The flush runs in the `waitUntil` of the request that opened the window; counts an isolate gathered but had not
 * yet written when it is evicted are lost (at most `flushMs` of them). Analytics Engine, where configured, gets
 * one point per event at once.
 */
let gathered = new MetricsBuffer("ingest");
let windowOpen = false;

function takeGathered(): MetricsBuffer {
  const taken = gathered;
  gathered = new MetricsBuffer("ingest");
  return taken;
}

function logFailure(error: unknown): void {
  console.error(JSON.stringify({ msg: "ingest counters not written", error: error instanceof Error ? error.message : String(error) }));
}

export function countSoon(ctx: { waitUntil(promise: Promise<unknown>): void }, env: Env, counts: MetricsBuffer, flushMs: number): void {
  counts.writePoints(env.ANALYTICS);
  gathered.merge(counts);
  if (flushMs <= 0) {
    ctx.waitUntil(takeGathered().flush(env.DB).catch(logFailure));
    return;
  }
  if (windowOpen) return;
  windowOpen = true;
  ctx.waitUntil(
    new Promise((resolve) => setTimeout(resolve, flushMs))
      .then(() => {
        windowOpen = false;
        return takeGathered().flush(env.DB);
      })
      .catch(logFailure),
  );
}
