import type { FailureEvent } from "../../shared/failure-event";
import { repoFromShortName } from "../../shared/plugin-id";
import { readJsonBounded } from "./bounded-body";

export const MANIFEST_TIMEOUT_MS = 3_000;
/** A manifest is a small JSON file; a larger body is not one (and is not read past this). */
export const MANIFEST_MAX_BYTES = 64 * 1024;
const FOUND_TTL_S = 3600;
const MISSING_TTL_S = 300;
const CACHE_ORIGIN = "https://manifest-cache.daemon-hotfix.internal/";

/** Per-isolate memo in front of the Cache API. */
const memo = new Map<string, { repo: string | null; untilMs: number }>();

async function lookup(manifestUrl: string): Promise<string | null> {
  const memoised = memo.get(manifestUrl);
  if (memoised && memoised.untilMs > Date.now()) return memoised.repo;
  const cacheKey = new Request(`${CACHE_ORIGIN}${encodeURIComponent(manifestUrl)}`);
  const cache = typeof caches !== "undefined" ? caches.default : undefined;
  const cached = await cache?.match(cacheKey);
  if (cached) {
    const repo = (await cached.text()) || null;
    memo.set(manifestUrl, { repo, untilMs: Date.now() + 60_000 });
    return repo;
  }
  let repo: string | null = null;
  try {
    // The timeout covers reading the body too: the signal aborts the stream.
    const response = await fetch(manifestUrl, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(MANIFEST_TIMEOUT_MS) });
    if (!response.ok) await response.body?.cancel();
    else {
      const manifest = await readJsonBounded(response, MANIFEST_MAX_BYTES);
      repo = typeof manifest === "object" && manifest !== null && "short_name" in manifest ? repoFromShortName(manifest.short_name) : null;
    }
  } catch {
    repo = null; // unreachable or not JSON: fall back, and ask again after MISSING_TTL_S
  }
  const ttl = repo ? FOUND_TTL_S : MISSING_TTL_S;
  memo.set(manifestUrl, { repo, untilMs: Date.now() + ttl * 1000 });
  await cache?.put(cacheKey, new Response(repo ?? "", { headers: { "cache-control": `max-age=${ttl}` } }));
  return repo;
}

/**
 * For a URL plugin whose repo ingest could not name: the `short_name` (owner/repo@ref) of its manifest, fetched
 * with a timeout and cached; when that fails the fallback chosen at ingest stands.
 */
export async function resolveTarget(failure: FailureEvent): Promise<FailureEvent> {
  const { manifestUrl } = failure.target;
  if (!manifestUrl) return failure;
  const repo = await lookup(manifestUrl);
  return repo ? { ...failure, target: { repo, resolvedBy: "manifest" } } : failure;
}
