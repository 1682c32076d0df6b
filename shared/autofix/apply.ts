import type { ContextFile } from "./context";
import { fixturePath } from "./fixture";
import type { EditProposal } from "./schema";
import { isDependencyFile, isGithubPath, isSafePath, isTestOrFixture, type ProposedFile, type RiskTier } from "./risk";

/** What became of a proposal's edits: the files they give (all applied), or why none is used. */
export type Applied = { ok: true; files: ProposedFile[]; hunks: number; newFiles: number } | { ok: false; reasons: string[] };

/** The most the files an accepted proposal gives may weigh together. */
export const MAX_APPLIED_BYTES = 200_000;

/** How often `needle` occurs in `text` (overlapping occurrences count: "exactly once" is meant strictly). */
export function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1 && count < 2; at = text.indexOf(needle, at + 1)) count++;
  return count;
}

/**
 * Applies a proposal's hunks to the files it was shown, all or nothing (pure). Refused, each with its reason: an
 * edit of a file that was not shown, or shown only in part; a `search` that does not occur exactly once in the file
 * at the failing commit (and in the file as the earlier hunks left it); anything under `.github/`; a dependency
 * manifest or lockfile unless the policy allows `high`; a new file that is not a test or fixture, exists already,
 * or is the replay fixture. Any refusal → no code change at all (the replay fixture still goes in the PR).
 */
export function applyProposal(proposal: EditProposal, shown: readonly ContextFile[], input: { treePaths: ReadonlySet<string>; maxRiskTier: RiskTier; fingerprint: string }): Applied {
  const reasons: string[] = [];
  const byPath = new Map(shown.map((f) => [f.path, f]));
  const edited = new Map<string, string>();
  const guard = (path: string, what: string): boolean => {
    if (!isSafePath(path)) return reasons.push(`${what} ${path}: not a relative path inside the repository`), false;
    if (isGithubPath(path)) return reasons.push(`${what} ${path}: nothing under .github/ is edited`), false;
    if (isDependencyFile(path) && input.maxRiskTier !== "high") return reasons.push(`${what} ${path}: a dependency manifest or lockfile (allowed only with riskPolicy.maxRiskTier: high)`), false;
    return true;
  };
  for (const [index, hunk] of proposal.edits.entries()) {
    const what = `edit ${index + 1} of`;
    if (!guard(hunk.path, what)) continue;
    const file = byPath.get(hunk.path);
    if (!file) {
      reasons.push(`${what} ${hunk.path}: the file was not among those shown`);
      continue;
    }
    if (file.truncated) {
      reasons.push(`${what} ${hunk.path}: the file was shown only in part`);
      continue;
    }
    const atCommit = occurrences(file.content, hunk.search);
    if (atCommit !== 1) {
      reasons.push(`${what} ${hunk.path}: its search text occurs ${atCommit === 0 ? "nowhere" : "more than once"} in the file at the commit`);
      continue;
    }
    const current = edited.get(hunk.path) ?? file.content;
    if (occurrences(current, hunk.search) !== 1) {
      reasons.push(`${what} ${hunk.path}: its search text no longer occurs exactly once after the earlier edits`);
      continue;
    }
    const at = current.indexOf(hunk.search);
    edited.set(hunk.path, current.slice(0, at) + hunk.replace + current.slice(at + hunk.search.length));
  }
  const added: ProposedFile[] = [];
  for (const file of proposal.newFiles) {
    const what = "new file";
    if (!guard(file.path, what)) continue;
    if (file.path === fixturePath(input.fingerprint)) reasons.push(`${what} ${file.path}: the replay fixture is daemon-hotfix's own`);
    else if (input.treePaths.has(file.path) || byPath.has(file.path)) reasons.push(`${what} ${file.path}: it exists at the commit (an edit needs a hunk)`);
    else if (!isTestOrFixture(file.path)) reasons.push(`${what} ${file.path}: new files may only be tests or fixtures`);
    else if (added.some((f) => f.path === file.path)) reasons.push(`${what} ${file.path}: given twice`);
    else added.push({ path: file.path, content: file.content });
  }
  if (reasons.length) return { ok: false, reasons };
  const files = [...[...edited.entries()].filter(([path, content]) => content !== byPath.get(path)?.content).map(([path, content]) => ({ path, content })), ...added];
  // Bounded, so the cluster's stored analysis stays small (a change this large is high risk anyway).
  const bytes = files.reduce((sum, f) => sum + new TextEncoder().encode(f.content).byteLength, 0);
  if (bytes > MAX_APPLIED_BYTES) return { ok: false, reasons: [`the edited files come to ${bytes} bytes (more than ${MAX_APPLIED_BYTES})`] };
  return { ok: true, files, hunks: proposal.edits.length, newFiles: added.length };
}
