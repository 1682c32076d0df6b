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

const FIXTURE_OR_TEST = [/^\.daemon-hotfix\/fixtures\//, /(^|\/)(tests?|__tests__|spec|fixtures?)\//, /\.(test|spec)\.[cm]?[jt]sx?$/];
const CONFIG = [/\.(json|ya?ml|toml|ini)$/i, /(^|\/)\.env\.example$/, /(^|\/)\.[a-z]+rc(\.[a-z]+)?$/i];
/** Files that run with secrets or decide what runs: never below high. */
const SENSITIVE = [/^\.github\/workflows\//, /^\.github\/actions\//, /(^|\/)package(-lock)?\.json$/, /(^|\/)(bun\.lockb|yarn\.lock|pnpm-lock\.yaml)$/, /(^|\/)wrangler\.(toml|jsonc?)$/];

function classOf(path: string): RiskTier {
  if (SENSITIVE.some((p) => p.test(path))) return "high";
  if (FIXTURE_OR_TEST.some((p) => p.test(path))) return "low";
  if (CONFIG.some((p) => p.test(path))) return "medium";
  return "high";
}

/**
 * The risk tier of a proposed change, decided from the change alone (pure, deterministic): only fixtures and
 * tests → low; configuration → medium; source code, CI workflows, dependency manifests, or a large change → high.
 */
export function riskTier(files: readonly ProposedFile[]): { tier: RiskTier; notes: string[] } {
  const notes: string[] = [];
  let tier: RiskTier = "low";
  const bytes = files.reduce((sum, f) => sum + new TextEncoder().encode(f.content).byteLength, 0);
  if (files.length > RISK_LIMITS.maxFiles) notes.push(`${files.length} files (more than ${RISK_LIMITS.maxFiles})`);
  if (bytes > RISK_LIMITS.maxBytes) notes.push(`${bytes} bytes changed (more than ${RISK_LIMITS.maxBytes})`);
  if (notes.length) tier = "high";
  for (const file of files) {
    const fileTier = classOf(file.path);
    if (TIER_ORDER[fileTier] > TIER_ORDER[tier]) tier = fileTier;
    if (fileTier !== "low") notes.push(`${file.path}: ${fileTier === "medium" ? "configuration" : "source, CI or dependency file"}`);
  }
  if (notes.length === 0) notes.push("only a replay fixture / tests: nothing that runs in production changes");
  return { tier, notes };
}

/** A path a PR may write: relative, inside the repo, no `..`, no `.git/`. */
export function isSafePath(path: string): boolean {
  return path.length > 0 && path.length <= 300 && !path.startsWith("/") && !path.split("/").some((part) => part === ".." || part === "" || part === ".git") && !/[\u0000-\u001f\\]/.test(path);
}
