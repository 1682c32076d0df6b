/** A file a PR would add or replace. */
export interface ProposedFile {
  path: string;
  content: string;
}

export type RiskTier = "low" | "medium" | "high";

export const TIER_ORDER: Record<RiskTier, number> = { low: 0, medium: 1, high: 2 };

/**
 * Thresholds (documented in the README): a change touching more than `MAX_FILES` files or `MAX_BYTES` bytes is
 * high risk whatever it touches.
 */
export const RISK_LIMITS = { maxFiles: 10, maxBytes: 20_000 } as const;

/** Where tests and their fixtures live. */
const TEST_DIR = /(^|\/)(tests?|__tests__|spec|fixtures?|__fixtures__|testdata)\//;
/** Test code by name (`*.test.ts`, `*.spec.js` …): it runs in CI, with the repo's secrets. */
const TEST_CODE = /\.(test|spec)\.[cm]?[jt]sx?$/;
/** Data that nothing executes by itself (a JSON replay fixture is data). */
const DATA = /\.(json|jsonl|ndjson|txt|csv|tsv|log|har)$/i;
const CONFIG = [/\.(json|ya?ml|toml|ini)$/i, /(^|\/)\.env\.example$/, /(^|\/)\.[a-z]+rc(\.(json|ya?ml))?$/i];
/** Files that run with secrets or decide what runs: never below high. */
const SENSITIVE = [/^\.github\//, /(^|\/)package(-lock)?\.json$/, /(^|\/)(npm-shrinkwrap\.json|bun\.lockb?|yarn\.lock|pnpm-lock\.yaml|deno\.lock)$/, /(^|\/)wrangler\.(toml|jsonc?)$/];

/**
 * A data fixture: a non-executable file (JSON, text, CSV …) under `.daemon-hotfix/fixtures/` or a test/fixture
 * directory. The only kind of file a low-risk change — and so an auto-merged one — may touch.
 */
export function isDataFixture(path: string): boolean {
  if (SENSITIVE.some((p) => p.test(path)) || TEST_CODE.test(path)) return false;
  return DATA.test(path) && (path.startsWith(".daemon-hotfix/fixtures/") || TEST_DIR.test(path));
}

type FileClass = { tier: RiskTier; why: string };

/** Dependency manifests and lockfiles: what gets installed (and run) in CI and production. */
const DEPENDENCIES = /(^|\/)(package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|deno\.lock|deno\.jsonc?)$/;

export function isDependencyFile(path: string): boolean {
  return DEPENDENCIES.test(path);
}

/** Anything under `.github/` (workflows, actions, CODEOWNERS, dependabot…): never edited by daemon-hotfix. */
export function isGithubPath(path: string): boolean {
  return /^\.github\//i.test(path);
}

/** A test or a fixture by its path (test code, a file in a test/fixture directory, a data fixture): what a new file may be. */
export function isTestOrFixture(path: string): boolean {
  return !SENSITIVE.some((p) => p.test(path)) && (TEST_CODE.test(path) || TEST_DIR.test(path) || isDataFixture(path));
}

/** The tier of one file, and why (shown for every changed file in the PR body). */
export function fileTier(path: string): FileClass {
  return classOf(path);
}

function classOf(path: string): FileClass {
  if (SENSITIVE.some((p) => p.test(path))) return { tier: "high", why: "CI or dependency file" };
  if (isDataFixture(path)) return { tier: "low", why: "data fixture" };
  // Executable files are never low: tests and test helpers run in CI with the repo's secrets.
  if (TEST_CODE.test(path) || TEST_DIR.test(path)) return { tier: "medium", why: "test code (runs in CI with the repo's secrets)" };
  if (CONFIG.some((p) => p.test(path))) return { tier: "medium", why: "configuration" };
  return { tier: "high", why: "source code or script" };
}

/**
 * The risk tier of a proposed change, decided from the change alone (pure, deterministic): only data fixtures →
 * low; test code or configuration → medium; source code, scripts, CI workflows, dependency manifests, or a large
 * change → high.
 */
export function riskTier(files: readonly ProposedFile[]): { tier: RiskTier; notes: string[] } {
  const notes: string[] = [];
  let tier: RiskTier = "low";
  const bytes = files.reduce((sum, f) => sum + new TextEncoder().encode(f.content).byteLength, 0);
  if (files.length > RISK_LIMITS.maxFiles) notes.push(`${files.length} files (more than ${RISK_LIMITS.maxFiles})`);
  if (bytes > RISK_LIMITS.maxBytes) notes.push(`${bytes} bytes changed (more than ${RISK_LIMITS.maxBytes})`);
  if (notes.length) tier = "high";
  for (const file of files) {
    const { tier: fileTier, why } = classOf(file.path);
    if (TIER_ORDER[fileTier] > TIER_ORDER[tier]) tier = fileTier;
    if (fileTier !== "low") notes.push(`${file.path}: ${why}`);
  }
  if (notes.length === 0) notes.push("only data fixtures: nothing that runs (in CI or in production) changes");
  return { tier, notes };
}

/** GitHub's auto-merge may be enabled only for a change of data fixtures alone (tier low), never for code. */
export function autoMergeAllowed(files: readonly ProposedFile[]): boolean {
  return files.length > 0 && riskTier(files).tier === "low" && files.every((file) => isDataFixture(file.path));
}

/** A path a PR may write: relative, inside the repo, no `..`, no `.git/`. */
export function isSafePath(path: string): boolean {
  return path.length > 0 && path.length <= 300 && !path.startsWith("/") && !path.split("/").some((part) => part === ".." || part === "" || part === ".git") && !/[\u0000-\u001f\\]/.test(path);
}
