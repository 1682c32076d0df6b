import type { FailureEvent } from "../failure-event";

/** A repo file the failure names: where it was named, and the line when the text gave one (`file:line`). */
export interface NamedPath {
  path: string;
  line?: number;
  /** Which part of the failure named it: `message`, `detail`, `log`, `annotation`, `excerpt`. */
  from: string;
}

/** Characters a path token is made of; anything else separates tokens (so scanning is linear in the text). */
const SEPARATOR = /[^A-Za-z0-9_./@+~:-]+/;
/** Tokens longer than this are no paths (bounds the work per token). */
const MAX_TOKEN = 400;
/** Texts scanned per failure, and characters per text. */
const MAX_TEXT = 8_000;

/** Every text of the failure that may name a file, with where it came from (bounded). */
export function failureTexts(failure: FailureEvent): Array<{ from: string; text: string }> {
  const texts: Array<{ from: string; text: string }> = [{ from: "message", text: failure.message }];
  if (failure.detail) texts.push({ from: "detail", text: failure.detail });
  for (const line of failure.logTrail) texts.push({ from: "log", text: line });
  if (failure.logErrorLine) texts.push({ from: "log", text: failure.logErrorLine });
  const breakage = failure.ci?.details?.breakage;
  if (breakage?.error) texts.push({ from: "annotation", text: breakage.error });
  for (const line of breakage?.excerpt?.lines ?? []) texts.push({ from: "excerpt", text: line });
  return texts.map((t) => ({ from: t.from, text: t.text.slice(0, MAX_TEXT) }));
}

/** `path[:line[:column]]` of one token (a `file://` or `webpack://` prefix and leading `./` or `/` removed). */
export function parseToken(token: string): { path: string; line?: number } | null {
  if (token.length > MAX_TOKEN) return null;
  let rest = token.replace(/^(?:file|webpack(?:-internal)?):\/*/i, "/").replace(/[.:]+$/, "");
  const parts = rest.split(":");
  const numbers: number[] = [];
  while (parts.length > 1 && numbers.length < 2 && /^\d{1,7}$/.test(parts[parts.length - 1] ?? "")) numbers.unshift(Number(parts.pop()));
  rest = parts.join(":");
  rest = rest.replace(/^(?:\.?\/)+/, "");
  if (!rest || !rest.includes(".") || rest.includes(":")) return null;
  const line = numbers[0];
  return line !== undefined && line > 0 ? { path: rest, line } : { path: rest };
}

/** Resolves paths the text names against the repo's tree: exact, or the tree path a longer (absolute) path ends with, or the one tree path ending with a shorter one. */
export class TreeIndex {
  private readonly paths: Set<string>;
  private readonly byName = new Map<string, string[]>();

  constructor(paths: readonly string[]) {
    this.paths = new Set(paths);
    for (const path of paths) {
      const name = path.slice(path.lastIndexOf("/") + 1);
      const list = this.byName.get(name);
      if (list) list.push(path);
      else this.byName.set(name, [path]);
    }
  }

  has(path: string): boolean {
    return this.paths.has(path);
  }

  resolve(candidate: string): string | null {
    if (this.paths.has(candidate)) return candidate;
    const name = candidate.slice(candidate.lastIndexOf("/") + 1);
    const same = this.byName.get(name) ?? [];
    // `/home/runner/work/plugin/plugin/src/x.ts` → `src/x.ts` (the longest tree path it ends with).
    const suffixOf = same.filter((p) => candidate.endsWith(`/${p}`)).sort((a, b) => b.length - a.length)[0];
    if (suffixOf) return suffixOf;
    // `handlers/x.ts` → `src/handlers/x.ts`, only when one tree path fits.
    if (candidate.includes("/")) {
      const longer = same.filter((p) => p.endsWith(`/${candidate}`));
      if (longer.length === 1) return longer[0] ?? null;
    }
    return null;
  }
}

/**
 * The repo files the failure names, in the order it names them (distinct; the first line given wins): check-run
 * annotations first (GitHub's own `path:line`), then paths and `file:line` in the message, detail, log lines and log
 * excerpt, each resolved against the tree. Pure; linear in the failure's text.
 */
export function namedPaths(failure: FailureEvent, tree: TreeIndex, max = 20): NamedPath[] {
  const found = new Map<string, NamedPath>();
  const add = (named: NamedPath) => {
    const existing = found.get(named.path);
    if (!existing) found.set(named.path, named);
    else if (existing.line === undefined && named.line !== undefined) found.set(named.path, { ...existing, line: named.line });
  };
  for (const annotation of failure.ci?.details?.breakage?.annotations ?? []) {
    const path = tree.resolve(annotation.path.replace(/^(?:\.\/)+|^\/+/g, ""));
    if (path) add({ path, line: annotation.line, from: "annotation" });
  }
  for (const { from, text } of failureTexts(failure)) {
    for (const token of text.split(SEPARATOR)) {
      if (found.size >= max) break;
      const parsed = token ? parseToken(token) : null;
      const path = parsed ? tree.resolve(parsed.path) : null;
      if (path && parsed) add({ path, ...(parsed.line !== undefined ? { line: parsed.line } : {}), from });
    }
  }
  return [...found.values()].slice(0, max);
}
