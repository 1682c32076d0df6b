import { DEFAULT_TRANSITION_DAYS } from "../../shared/grouping/transition";
import { DEFAULT_MANIFEST_SHORT_NAME } from "../../shared/manifest";
import { repoFromShortName } from "../../shared/plugin-id";
import type { HotfixPolicy } from "../../shared/trust/hotfix-policy";
import { type Credentials, credentialsFrom, credentialsProblem } from "./github-credentials";
import { parseHotfixPolicy } from "./hotfix-policy";
import { type OperatorDefaults, parseOperatorDefaults } from "./operator-defaults";

export { ConfigError, type Credentials, toPkcs8 } from "./github-credentials";

/** Write budget of one token or installation (GitHub's secondary limits for content creation). */
export interface BudgetLimits {
  perMinute: number;
  perHour: number;
  /** Least time between two writes (GitHub advises ≥ 1 s). */
  spacingMs: number;
}

/**
 * How late a write may reach GitHub after its slot (the writer waits for its slot, then is scheduled with other
 * work). Every slot is counted as occupying its window this much longer, and a writer that wakes later than this
 * takes a new slot instead of sending: GitHub's own window, which sees send times, never holds more than the limit.
 */
export const SLOT_LATENESS_MS = 2_000;

export const DEFAULT_GITHUB_TIMEOUT_MS = 10_000;

/** Every Worker var and secret, parsed and validated once: the one place that reads configuration from `Env`. */
export interface Config {
  kernel: { publicKeyPem: string | null };
  adminToken: string | null;
  botLogin: string;
  /** `PUBLIC_URL`'s origin (null when unset or not a URL). */
  publicOrigin: string | null;
  /** `PUBLIC_URL` as configured (the manifest's homepage_url), or null. */
  publicUrl: string | null;
  /** `MANIFEST_SHORT_NAME`: the manifest's `short_name`, `owner/repo@ref` of daemon-hotfix's own repo. */
  manifestShortName: string;
  /** `HOTFIX_CONFIG`: the operator's defaults for the `with:` block (its usable part; a problem is also in `problems`). */
  operatorDefaults: OperatorDefaults;
  /** `HOTFIX_POLICY`: ceilings no `with:` block can raise. */
  policy: HotfixPolicy;
  rateLimit: { perMinute: number; burst: number };
  github: {
    apiUrl: string;
    timeoutMs: number;
    /** The configured credentials, or the reason there are none usable. */
    credentials: { ok: true; value: Credentials } | { ok: false; problem: string };
    writeBudget: BudgetLimits;
  };
  retryBaseSeconds: number;
  /** Grouping upgrades (issue 18): how long the previous grouping version's clusters are still consulted. */
  grouping: { transitionDays: number };
  /**
   * `METRICS_FLUSH_SECONDS` in ms: ingest's counters are gathered per isolate and written to D1 at most this often
   * (0: at once, per request).
   */
  metricsFlushMs: number;
  /**
   * `GATHER_SECONDS` in ms: how long a repo's gate gathers a known failure's admitted events before forwarding them
   * as one counted message (0: every event is its own queue message; at most 10 s).
   */
  gatherMs: number;
  /**
   * The fix proposer (issue 17): `AUTOFIX_PROVIDER` `openai-compatible` (AUTOFIX_API_URL, AUTOFIX_MODEL,
   * AUTOFIX_API_KEY; the default when AUTOFIX_API_URL and AUTOFIX_MODEL are set) or `workers-ai` (the `AI` binding,
   * AUTOFIX_MODEL or `DEFAULT_WORKERS_AI_MODEL`); null: none (PRs carry the replay fixture only, no note).
   */
  autofix: AutofixConfig | null;
  /** Everything wrong with the configuration, in words an operator can act on (the kernel key is checked apart: it needs crypto). */
  problems: string[];
}

export type AutofixConfig = { provider: "openai-compatible"; apiUrl: string; model: string; apiKey: string } | { provider: "workers-ai"; model: string };

/** Workers AI's model when AUTOFIX_MODEL is empty: one that answers in JSON mode (a JSON schema). */
export const DEFAULT_WORKERS_AI_MODEL = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

/** The proposer `AUTOFIX_PROVIDER` and its vars describe, or the problem with them (named by /healthz). */
function autofixConfig(env: Env): { autofix: AutofixConfig | null; problem?: string } {
  const provider = (env.AUTOFIX_PROVIDER ?? "").trim();
  const model = (env.AUTOFIX_MODEL ?? "").trim();
  if (provider === "workers-ai") {
    if (!env.AI) return { autofix: null, problem: "AUTOFIX_PROVIDER is workers-ai but the Worker has no AI binding ([ai] in wrangler.toml): no fix proposer" };
    return { autofix: { provider: "workers-ai", model: model || DEFAULT_WORKERS_AI_MODEL } };
  }
  if (provider !== "" && provider !== "openai-compatible") return { autofix: null, problem: `AUTOFIX_PROVIDER must be openai-compatible or workers-ai (got ${JSON.stringify(provider.slice(0, 40))}): no fix proposer` };
  if (env.AUTOFIX_API_URL && model) return { autofix: { provider: "openai-compatible", apiUrl: env.AUTOFIX_API_URL, model, apiKey: env.AUTOFIX_API_KEY ?? "" } };
  if (provider === "openai-compatible") return { autofix: null, problem: "AUTOFIX_PROVIDER is openai-compatible but AUTOFIX_API_URL or AUTOFIX_MODEL is empty: no fix proposer" };
  return { autofix: null };
}

/** Default per-repo ingest limit: 600 events/min sustained, bursts of 120. */
export const DEFAULT_RATE_LIMIT = { perMinute: 600, burst: 120 } as const;

function positive(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

function nonNegative(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
}

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** The config of a given `Env` (parsed once per env object: an isolate keeps one). */
const cache = new WeakMap<object, Config>();

/** Turns `Env` into typed, validated configuration. Never throws: unusable values fall back and are listed in `problems`. */
export function configOf(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const problems: string[] = [];
  const operatorDefaults = parseOperatorDefaults(env.HOTFIX_CONFIG);
  if (operatorDefaults.problem) problems.push(operatorDefaults.problem);
  const { policy, problem: policyProblem } = parseHotfixPolicy(env.HOTFIX_POLICY);
  if (policyProblem) problems.push(policyProblem);
  const credentialProblem = credentialsProblem(env);
  if (credentialProblem) problems.push(credentialProblem);
  if (!env.ADMIN_TOKEN) problems.push("ADMIN_TOKEN is not set: the ops endpoints refuse every request");
  const publicOrigin = originOf(env.PUBLIC_URL);
  if (env.PUBLIC_URL && !publicOrigin) problems.push("PUBLIC_URL is not an absolute URL");
  const shortName = env.MANIFEST_SHORT_NAME?.trim() || DEFAULT_MANIFEST_SHORT_NAME;
  const shortNameUsable = repoFromShortName(shortName) !== null;
  if (!shortNameUsable) problems.push(`MANIFEST_SHORT_NAME is not owner/repo@ref (the manifest says ${DEFAULT_MANIFEST_SHORT_NAME})`);
  const autofix = autofixConfig(env);
  if (autofix.problem) problems.push(autofix.problem);
  const config: Config = {
    kernel: { publicKeyPem: env.KERNEL_PUBLIC_KEY || null },
    adminToken: env.ADMIN_TOKEN || null,
    botLogin: env.BOT_LOGIN || "daemon-hotfix[bot]",
    publicOrigin,
    publicUrl: publicOrigin ? (env.PUBLIC_URL ?? null) : null,
    manifestShortName: shortNameUsable ? shortName : DEFAULT_MANIFEST_SHORT_NAME,
    operatorDefaults,
    policy,
    rateLimit: {
      perMinute: positive(env.RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT.perMinute),
      burst: Math.max(1, Math.floor(positive(env.RATE_LIMIT_BURST, DEFAULT_RATE_LIMIT.burst))),
    },
    github: {
      apiUrl: (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, ""),
      timeoutMs: positive(env.GITHUB_TIMEOUT_MS, DEFAULT_GITHUB_TIMEOUT_MS),
      credentials: credentialProblem ? { ok: false, problem: credentialProblem } : { ok: true, value: credentialsFrom(env) },
      writeBudget: {
        perMinute: nonNegative(env.GITHUB_WRITES_PER_MINUTE, 80),
        perHour: nonNegative(env.GITHUB_WRITES_PER_HOUR, 500),
        spacingMs: nonNegative(env.GITHUB_WRITE_SPACING_MS, 1000),
      },
    },
    retryBaseSeconds: nonNegative(env.RETRY_BASE_SECONDS, 2),
    grouping: { transitionDays: nonNegative(env.GROUPING_TRANSITION_DAYS, DEFAULT_TRANSITION_DAYS) },
    metricsFlushMs: Math.min(30, nonNegative(env.METRICS_FLUSH_SECONDS, 2)) * 1000,
    gatherMs: Math.min(10, nonNegative(env.GATHER_SECONDS, 1)) * 1000,
    autofix: autofix.autofix,
    problems,
  };
  cache.set(env, config);
  return config;
}
