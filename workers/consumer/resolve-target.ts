import { LRUCache } from "lru-cache";
import type { FailureEvent, RefusedTarget } from "../../shared/failure-event";
import { repoFromShortName } from "../../shared/plugin-id";
import { reporterOwner } from "../../shared/trust/reporter";
import { isPending, ownerMayReceive, ownerRefusal, settleTarget } from "../../shared/trust/target-rules";
import { configOf } from "../config";
import type { MetricsBuffer } from "../metrics/buffer";
import { claimReader, verifyClaim } from "../trust/verify-claim";
import { readJsonBounded } from "./bounded-body";

export const MANIFEST_TIMEOUT_MS = 3_000;
/** A manifest is a small JSON file; a larger body is not one (and is not read past this). */
export const MANIFEST_MAX_BYTES = 64 * 1024;
const FOUND_TTL_S = 3600;
const MISSING_TTL_S = 300;
const CACHE_ORIGIN = "https://manifest-cache.daemon-hotfix.internal/";

/** Per-isolate memo in front of the Cache API: bounded in entries, each kept a minute. */
const memo = new LRUCache<string, { repo: string | null }>({ max: 1_000, ttl: 60_000 });

/** The `owner/repo` in the `short_name` of a plugin's `<url>/manifest.json` (fetched with a timeout, bounded, cached), or null. */
async function manifestRepo(manifestUrl: string): Promise<string | null> {
  const memoised = memo.get(manifestUrl);
  if (memoised) return memoised.repo;
  const cacheKey = new Request(`${CACHE_ORIGIN}${encodeURIComponent(manifestUrl)}`);
  const cache = typeof caches !== "undefined" ? caches.default : undefined;
  const cached = await cache?.match(cacheKey);
  if (cached) {
    const repo = (await cached.text()) || null;
    memo.set(manifestUrl, { repo });
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
  memo.set(manifestUrl, { repo });
  await cache?.put(cacheKey, new Response(repo ?? "", { headers: { "cache-control": `max-age=${ttl}` } }));
  return repo;
}

/**
 * Settles a URL plugin's target (contract "Trust and tenancy"): each repo claimed for it — `sourceRepo`,
 * `pluginRepos`, then the `short_name` of its `<url>/manifest.json` — whose owner may receive it is verified
 * through GitHub; the first verified one is the target. Otherwise the failure goes where ingest put it
 * (`fallbackRepo` or `.ubiquity-os`), or — when any claim was refused — to the reporter's `.ubiquity-os`, naming
 * the refused claims. A claimed repo of an owner that may not receive it is never asked about. Returns `failure`
 * itself when there was nothing to settle.
 */
export async function resolveTarget(failure: FailureEvent, env: Env, metrics: MetricsBuffer): Promise<FailureEvent> {
  const { target } = failure;
  if (!isPending(target)) return failure;
  const readerFor = claimReader(env, metrics);
  const { targetOwners } = configOf(env).policy;
  const reporter = reporterOwner(failure);
  const origin = new URL(failure.plugin.url ?? target.manifestUrl ?? "").origin;
  const refused: RefusedTarget[] = [];
  const settled = (verified: Parameters<typeof settleTarget>[2]["verified"]) => ({ ...failure, target: settleTarget(target, reporter, { verified, refused }) });

  for (const claim of target.claims ?? []) {
    const check = await verifyClaim(claim.repo, origin, readerFor);
    if (check.verified) return settled(claim);
    refused.push({ ...claim, reason: check.reason });
  }
  const fromManifest = target.manifestUrl ? await manifestRepo(target.manifestUrl) : null;
  if (fromManifest) {
    if (!ownerMayReceive(fromManifest, reporter, targetOwners)) refused.push({ repo: fromManifest, by: "manifest", reason: ownerRefusal(fromManifest, reporter) });
    else {
      const check = await verifyClaim(fromManifest, origin, readerFor);
      if (check.verified) return settled({ repo: fromManifest, by: "manifest" });
      refused.push({ repo: fromManifest, by: "manifest", reason: check.reason });
    }
  }
  return settled(null);
}
