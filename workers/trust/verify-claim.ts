import type { Octokit } from "@octokit/core";
import { LRUCache } from "lru-cache";
import { namesOrigin } from "../../shared/trust/target-rules";
import { ConfigError } from "../config";
import { classifyGitHubError } from "../github/classify";
import { createOctokit } from "../github/client";
import { repoAuth } from "../github/credentials";
import type { MetricsBuffer } from "../metrics/buffer";
import { GitHubFailure } from "../github/failure";

/** A manifest.json larger than this is not read (a plugin manifest is a few KiB). */
export const MAX_MANIFEST_BYTES = 64 * 1024;
/** Outcomes remembered per isolate: at most this many (repo, origin) pairs, least recently used dropped first… */
export const MAX_CACHED_CLAIMS = 1_000;
/** …each for at most this long: a verified claim for an hour, a refused one for ten minutes (it may be fixed). */
export const VERIFIED_TTL_MS = 60 * 60_000;
export const REFUSED_TTL_MS = 10 * 60_000;

export type ClaimCheck = { verified: true; via: "manifest.json homepage_url" | "repo homepage" } | { verified: false; reason: string };

const cache = new LRUCache<string, ClaimCheck>({ max: MAX_CACHED_CLAIMS, ttl: VERIFIED_TTL_MS });
/** Look-ups under way (bounded by the events of the batches being handled). */
const inflight = new Map<string, Promise<ClaimCheck>>();

/** The Octokit that reads `repo` with the configured credentials; throws a permanent GitHubFailure when it cannot (App not installed). */
export type ReaderFor = (repo: string) => Promise<Octokit>;

/** Reads with the credentials that would write to the repo (the App's installation there, or GITHUB_TOKEN); counted like every GitHub request. */
export function claimReader(env: Env, metrics: MetricsBuffer): ReaderFor {
  return async (repo) => createOctokit(env, await repoAuth(env, repo), metrics);
}

/** A read that GitHub refused for good (404, 401, 403): the claim is simply not verified. Transient trouble is rethrown (the event is retried). */
async function read<T>(what: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error instanceof ConfigError) throw error; // no credentials at all: the consumer waits for the operator
    const classified = error instanceof GitHubFailure ? error.classified : classifyGitHubError(error, Date.now(), what);
    if (classified.kind === "transient") throw new GitHubFailure(classified);
    return { ok: false, reason: classified.reason };
  }
}

/** `homepage_url` of the repo's `manifest.json` on its default branch, or why there is none. */
async function manifestHomepage(octokit: Octokit, repo: string): Promise<{ ok: true; value: unknown } | { ok: false; reason: string }> {
  const [owner = "", name = ""] = repo.split("/");
  const answer = await read(`GET /repos/${repo}/contents/manifest.json`, () => octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { owner, repo: name, path: "manifest.json" }));
  if (!answer.ok) return answer;
  const file = answer.value.data;
  if (Array.isArray(file) || file.type !== "file" || !("content" in file)) return { ok: false, reason: `${repo} has no manifest.json file` };
  if (file.size > MAX_MANIFEST_BYTES) return { ok: false, reason: `${repo}'s manifest.json is over ${MAX_MANIFEST_BYTES} bytes` };
  try {
    const bytes = Uint8Array.from(atob(file.content.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return { ok: true, value: typeof manifest === "object" && manifest !== null && "homepage_url" in manifest ? manifest.homepage_url : undefined };
  } catch {
    return { ok: false, reason: `${repo}'s manifest.json is not JSON` };
  }
}

async function check(repo: string, pluginOrigin: string, readerFor: ReaderFor): Promise<ClaimCheck> {
  const reader = await read(`read ${repo}`, () => readerFor(repo));
  if (!reader.ok) return { verified: false, reason: `${repo} cannot be read (${reader.reason})` };
  const octokit = reader.value;
  const manifest = await manifestHomepage(octokit, repo);
  if (manifest.ok && namesOrigin(manifest.value, pluginOrigin)) return { verified: true, via: "manifest.json homepage_url" };
  const [owner = "", name = ""] = repo.split("/");
  const info = await read(`GET /repos/${repo}`, () => octokit.request("GET /repos/{owner}/{repo}", { owner, repo: name }));
  if (info.ok && namesOrigin(info.value.data.homepage, pluginOrigin)) return { verified: true, via: "repo homepage" };
  const why = [manifest.ok ? `its manifest.json homepage_url is not on ${pluginOrigin}` : manifest.reason, info.ok ? `its homepage is not on ${pluginOrigin}` : info.reason];
  return { verified: false, reason: `${repo} does not name ${pluginOrigin}: ${why.join("; ")}` };
}

/**
 * Whether `repo` really is the plugin at `pluginOrigin` (contract "Trust and tenancy"): the repo's `manifest.json`
 * on its default branch has a `homepage_url` on that origin, or the repo's `homepage` is on it. Read through GitHub
 * (contents API, then the repo), a bounded manifest, the answer cached per isolate (bounded in entries and time).
 * Transient GitHub trouble throws (a retryable GitHubFailure): a claim is never refused because GitHub was down.
 */
export async function verifyClaim(repo: string, pluginOrigin: string, readerFor: ReaderFor): Promise<ClaimCheck> {
  const key = `${repo.toLowerCase()} ${pluginOrigin.toLowerCase()}`;
  const cached = cache.get(key);
  if (cached) return cached;
  // The events of one batch are handled at once: they share one look-up instead of each reading the repo.
  let pending = inflight.get(key);
  if (!pending) {
    pending = check(repo, pluginOrigin, readerFor).then((result) => {
      cache.set(key, result, { ttl: result.verified ? VERIFIED_TTL_MS : REFUSED_TTL_MS });
      return result;
    });
    inflight.set(key, pending);
    void pending.catch(() => undefined).finally(() => inflight.delete(key));
  }
  return pending;
}
