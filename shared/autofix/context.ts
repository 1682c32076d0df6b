import type { NamedPath } from "./paths";

/** Bounds of what the model is shown from the repo (issue 17): the whole context, each file, the number of files, the tree listing. */
export const CONTEXT_LIMITS = { totalBytes: 60_000, fileBytes: 20_000, files: 10, treePaths: 2_000 } as const;

/** Why a file is in the context. */
export type ContextReason = "named" | "chosen" | "manifest" | "package" | "test";

/** A file of the context as the model is shown it. */
export interface ContextFile {
  path: string;
  why: ContextReason;
  /** The line the failure named, when it named one. */
  line?: number;
  /** What the model is shown: the whole file, or a window of whole lines around `line` (from the top without one). */
  content: string;
  /** The file's size at the commit, in bytes. */
  size: number;
  /** True when `content` is only part of the file: no hunk may edit it. */
  truncated: boolean;
  /** The first line `content` shows (1 when it starts at the top). */
  fromLine: number;
}

/** A file of the tree (a blob) and its size. */
export interface TreeFile {
  path: string;
  size: number;
}

const TEST_FILE = /(^|\/)(tests?|__tests__|spec)\/|\.(test|spec)\.[cm]?[jt]sx?$/;

export function isTestFile(path: string): boolean {
  return TEST_FILE.test(path);
}

function stem(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name.replace(/\.(test|spec)(?=\.)/, "").replace(/\.[^.]+$/, "");
}

function dirParts(path: string): string[] {
  return path.split("/").slice(0, -1);
}

/**
 * The test file nearest the failure's first named source file: one named like it (`start.ts` → `start.test.ts`,
 * `tests/start.test.ts`), the one sharing most of its directory; without a named file, or without such a test, the
 * test file closest to the repo root. Structural, never a keyword list. Null when the tree has no test file.
 */
export function nearestTest(tree: readonly TreeFile[], named: readonly string[]): string | null {
  const tests = tree.map((f) => f.path).filter(isTestFile);
  if (!tests.length) return null;
  const source = named.find((p) => !isTestFile(p));
  const shared = (a: string, b: string) => {
    const x = dirParts(a);
    const y = dirParts(b);
    let n = 0;
    while (n < x.length && n < y.length && x[n] === y[n]) n++;
    return n;
  };
  const depth = (p: string) => dirParts(p).length;
  if (source) {
    const sameStem = tests.filter((t) => stem(t) === stem(source));
    const pool = sameStem.length ? sameStem : tests;
    return [...pool].sort((a, b) => shared(b, source) - shared(a, source) || depth(a) - depth(b) || a.localeCompare(b))[0] ?? null;
  }
  return [...tests].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))[0] ?? null;
}

/**
 * Which files to read, in order, at most `CONTEXT_LIMITS.files`: the files the failure names, those the model chose
 * from the tree, the plugin's `manifest.json` and `package.json` (at the root), the nearest test file. Distinct;
 * only blobs of the tree.
 */
export function contextPlan(input: { tree: readonly TreeFile[]; named: readonly NamedPath[]; chosen: readonly string[] }): Array<{ path: string; why: ContextReason; line?: number }> {
  const inTree = new Set(input.tree.map((f) => f.path));
  const plan: Array<{ path: string; why: ContextReason; line?: number }> = [];
  const add = (path: string, why: ContextReason, line?: number) => {
    if (plan.length >= CONTEXT_LIMITS.files || !inTree.has(path) || plan.some((p) => p.path === path)) return;
    plan.push(line !== undefined ? { path, why, line } : { path, why });
  };
  // Reserve room for the manifest, package.json and a test file: named and chosen files fill the rest.
  const fixed = ["manifest.json", "package.json"].filter((p) => inTree.has(p)).length + 1;
  const room = Math.max(1, CONTEXT_LIMITS.files - fixed);
  for (const named of input.named) if (plan.length < room) add(named.path, "named", named.line);
  for (const path of input.chosen) if (plan.length < room) add(path, "chosen");
  add("manifest.json", "manifest");
  add("package.json", "package");
  const test = nearestTest(input.tree, plan.map((p) => p.path));
  if (test) add(test, "test");
  return plan;
}

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text).byteLength;

/**
 * A file clipped to `limit` bytes: the whole file when it fits; else whole lines, around `line` when given (a third
 * before it), from the top otherwise.
 */
export function clipFile(content: string, limit: number, line?: number): { content: string; truncated: boolean; fromLine: number } {
  if (bytes(content) <= limit) return { content, truncated: false, fromLine: 1 };
  const lines = content.split("\n");
  const target = Math.min(Math.max((line ?? 1) - 1, 0), lines.length - 1);
  let start = target;
  let end = target; // exclusive end grows first after the target, start moves back for a third of the budget
  let used = 0;
  const cost = (i: number) => bytes(lines[i] ?? "") + 1;
  const before = line !== undefined ? limit / 3 : 0;
  while (start > 0 && used + cost(start - 1) <= before) used += cost(--start);
  while (end < lines.length && used + cost(end) <= limit) used += cost(end++);
  while (start > 0 && used + cost(start - 1) <= limit) used += cost(--start);
  if (end === start) {
    // One line longer than the limit: its first characters (by bytes).
    const first = lines[target] ?? "";
    let cut = first.slice(0, limit);
    while (bytes(cut) > limit) cut = cut.slice(0, -1);
    return { content: cut, truncated: true, fromLine: target + 1 };
  }
  return { content: lines.slice(start, end).join("\n"), truncated: true, fromLine: start + 1 };
}

/**
 * The context within its bounds: each file at most `fileBytes`, all together at most `totalBytes` (a file that no
 * longer fits is clipped to what is left, and files after the budget is spent are left out). Pure.
 */
export function boundContext(files: ReadonlyArray<{ path: string; why: ContextReason; line?: number; text: string }>, limits: { totalBytes: number; fileBytes: number; files: number } = CONTEXT_LIMITS): ContextFile[] {
  const out: ContextFile[] = [];
  let left = limits.totalBytes;
  for (const file of files.slice(0, limits.files)) {
    if (left < 200) break;
    const clipped = clipFile(file.text, Math.min(limits.fileBytes, left), file.line);
    left -= bytes(clipped.content);
    out.push({ path: file.path, why: file.why, ...(file.line !== undefined ? { line: file.line } : {}), content: clipped.content, size: bytes(file.text), truncated: clipped.truncated, fromLine: clipped.fromLine });
  }
  return out;
}

export function contextBytes(files: readonly ContextFile[]): number {
  return files.reduce((sum, f) => sum + bytes(f.content), 0);
}
