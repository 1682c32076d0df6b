/** Faults on demand: rules matched against each GitHub request, consumed `times` times. */

export type FaultKind = "status" | "secondary_limit" | "primary_limit" | "hang" | "drop" | "commit_then_status" | "commit_then_drop";

export const FAULT_KINDS: readonly FaultKind[] = ["status", "secondary_limit", "primary_limit", "hang", "drop", "commit_then_status", "commit_then_drop"];

export interface FaultMatch {
  /** Upper- or lower-case HTTP method. */
  method?: string;
  /** RegExp tested against the path (after any /api/v3 prefix), or a substring of it. */
  path?: RegExp | string;
  /** "owner/repo" (case-insensitive): only requests under /repos/owner/repo. */
  repo?: string;
}

export interface FaultRule {
  match?: FaultMatch;
  kind: FaultKind;
  /** For "status" (default 500), "commit_then_status" (default 502) and "primary_limit" (403, or 429). */
  status?: number;
  /** secondary_limit: retry-after seconds (default 60). */
  retryAfterSeconds?: number;
  /** primary_limit: x-ratelimit-reset = now + this (default 60). */
  resetInSeconds?: number;
  /** hang: how long to wait before answering normally (default 30000). */
  hangMs?: number;
  /** How many matching requests the rule affects (default 1; Infinity allowed). */
  times?: number;
  /** 0..1: chance that a matching request is affected (seeded PRNG, options.seed). */
  probability?: number;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

/** mulberry32: small, seeded, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private rules: ActiveRule[] = [];
  private random: () => number;
  private readonly seed: number;

  constructor(seed: number) {
    this.seed = seed;
    this.random = prng(seed);
  }

  add(rule: FaultRule): void {
    if (!FAULT_KINDS.includes(rule.kind)) throw new Error(`github-double: unknown fault kind ${String(rule.kind)}`);
    this.rules.push({ rule, remaining: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
    this.random = prng(this.seed);
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r.rule, times: r.remaining }));
  }

  /** The first rule that matches this request and fires; its remaining count is consumed. */
  take(method: string, path: string, repo: string | null): FaultRule | null {
    for (const active of this.rules) {
      if (active.remaining <= 0 || !matches(active.rule.match, method, path, repo)) continue;
      const probability = active.rule.probability ?? 1;
      if (probability < 1 && this.random() >= probability) continue;
      active.remaining--;
      this.rules = this.rules.filter((r) => r.remaining > 0);
      return active.rule;
    }
    return null;
  }
}

function matches(match: FaultMatch | undefined, method: string, path: string, repo: string | null): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match.path !== undefined) {
    if (typeof match.path === "string") {
      if (!path.includes(match.path)) return false;
    } else {
      match.path.lastIndex = 0;
      if (!match.path.test(path)) return false;
    }
  }
  if (match.repo && (repo === null || repo.toLowerCase() !== match.repo.toLowerCase())) return false;
  return true;
}
