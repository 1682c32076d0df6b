/**
 * A repo's git object database as GitHub keeps it: blobs, trees and commits addressed by the SHA-1 git
 * itself would compute (`git hash-object` gives the same ids), and refs ("refs/heads/main" → sha).
 * Modes are kept in the API's spelling ("040000" for trees); hashing uses git's ("40000").
 */
import { createHash } from "node:crypto";

export type EntryType = "blob" | "tree" | "commit";

export interface TreeEntry {
  name: string;
  mode: string;
  type: EntryType;
  sha: string;
}

export interface GitBlob {
  type: "blob";
  sha: string;
  content: Uint8Array;
}

export interface GitTree {
  type: "tree";
  sha: string;
  entries: TreeEntry[];
}

export interface GitPerson {
  name: string;
  email: string;
  /** Epoch ms (git keeps seconds). */
  date: number;
}

export interface GitCommit {
  type: "commit";
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: GitPerson;
  committer: GitPerson;
}

export type GitObject = GitBlob | GitTree | GitCommit;

/** One file (or submodule) of a flattened tree, keyed by its full path. */
export interface FlatEntry {
  mode: string;
  type: EntryType;
  sha: string;
}

export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

const encoder = new TextEncoder();

function hashObject(kind: string, body: Uint8Array): string {
  const hash = createHash("sha1");
  hash.update(encoder.encode(`${kind} ${body.length}\0`));
  hash.update(body);
  return hash.digest("hex");
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** git's tree order: byte order of names, a tree's name compared as if it ended with "/". */
function treeOrder(a: TreeEntry, b: TreeEntry): number {
  const ka = a.type === "tree" ? `${a.name}/` : a.name;
  const kb = b.type === "tree" ? `${b.name}/` : b.name;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function personLine(role: string, p: GitPerson): string {
  return `${role} ${p.name} <${p.email}> ${Math.floor(p.date / 1000)} +0000\n`;
}

export function isSha(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}

export class GitStore {
  readonly objects = new Map<string, GitObject>();
  /** Full ref name ("refs/heads/main") → commit sha. */
  readonly refs = new Map<string, string>();

  get(sha: string): GitObject | undefined {
    return this.objects.get(sha.toLowerCase());
  }

  blob(sha: string): GitBlob | undefined {
    const o = this.get(sha);
    return o?.type === "blob" ? o : undefined;
  }

  tree(sha: string): GitTree | undefined {
    const o = this.get(sha);
    return o?.type === "tree" ? o : undefined;
  }

  commit(sha: string): GitCommit | undefined {
    const o = this.get(sha);
    return o?.type === "commit" ? o : undefined;
  }

  putBlob(content: Uint8Array): GitBlob {
    const sha = hashObject("blob", content);
    const existing = this.blob(sha);
    if (existing) return existing;
    const blob: GitBlob = { type: "blob", sha, content };
    this.objects.set(sha, blob);
    return blob;
  }

  putTree(entries: TreeEntry[]): GitTree {
    const sorted = [...entries].sort(treeOrder);
    const body = concat(sorted.flatMap((e) => [encoder.encode(`${e.mode === "040000" ? "40000" : e.mode} ${e.name}\0`), hexBytes(e.sha)]));
    const sha = hashObject("tree", body);
    const existing = this.tree(sha);
    if (existing) return existing;
    const tree: GitTree = { type: "tree", sha, entries: sorted };
    this.objects.set(sha, tree);
    return tree;
  }

  putCommit(input: { tree: string; parents: string[]; message: string; author: GitPerson; committer: GitPerson }): GitCommit {
    const text =
      `tree ${input.tree}\n` +
      input.parents.map((p) => `parent ${p}\n`).join("") +
      personLine("author", input.author) +
      personLine("committer", input.committer) +
      `\n${input.message}`;
    const sha = hashObject("commit", encoder.encode(text));
    const existing = this.commit(sha);
    if (existing) return existing;
    const commit: GitCommit = { type: "commit", sha, ...input, parents: [...input.parents] };
    this.objects.set(sha, commit);
    return commit;
  }

  /** Every file of the tree (recursively) by full path; submodules are files here. */
  flatten(treeSha: string, prefix = "", out = new Map<string, FlatEntry>()): Map<string, FlatEntry> {
    const tree = this.tree(treeSha);
    if (!tree) return out;
    for (const e of tree.entries) {
      const path = prefix + e.name;
      if (e.type === "tree") this.flatten(e.sha, `${path}/`, out);
      else out.set(path, { mode: e.mode, type: e.type, sha: e.sha });
    }
    return out;
  }

  /** Writes the nested trees for a flat file map and returns the root tree's sha (empty map → the empty tree). */
  writeFlat(files: ReadonlyMap<string, FlatEntry>): string {
    interface Dir {
      files: TreeEntry[];
      dirs: Map<string, Dir>;
    }
    const root: Dir = { files: [], dirs: new Map() };
    for (const [path, entry] of files) {
      const parts = path.split("/");
      const name = parts.pop() ?? "";
      let dir = root;
      for (const part of parts) {
        let next = dir.dirs.get(part);
        if (!next) {
          next = { files: [], dirs: new Map() };
          dir.dirs.set(part, next);
        }
        dir = next;
      }
      dir.files.push({ name, mode: entry.mode, type: entry.type, sha: entry.sha });
    }
    const write = (dir: Dir): string => {
      const entries = [...dir.files];
      for (const [name, sub] of dir.dirs) entries.push({ name, mode: "040000", type: "tree", sha: write(sub) });
      return this.putTree(entries).sha;
    };
    return write(root);
  }

  /** The entry at `path` (a file or a directory) under the tree, or null. */
  entryAt(treeSha: string, path: string): TreeEntry | null {
    const parts = path.split("/").filter((p) => p !== "");
    let current: TreeEntry = { name: "", mode: "040000", type: "tree", sha: treeSha };
    for (const part of parts) {
      if (current.type !== "tree") return null;
      const found = this.tree(current.sha)?.entries.find((e) => e.name === part);
      if (!found) return null;
      current = found;
    }
    return parts.length === 0 ? null : current;
  }

  /** The commit sha a branch, tag, full ref or commit sha names, or null. */
  resolve(name: string): string | null {
    if (isSha(name.toLowerCase()) && this.commit(name)) return name.toLowerCase();
    for (const candidate of name.startsWith("refs/") ? [name] : [`refs/heads/${name}`, `refs/tags/${name}`]) {
      const sha = this.refs.get(candidate);
      if (sha) return sha;
    }
    return null;
  }

  /** Commits reachable from `from` (itself included). */
  ancestors(from: string): Set<string> {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const sha = stack.pop() ?? "";
      if (seen.has(sha)) continue;
      const commit = this.commit(sha);
      if (!commit) continue;
      seen.add(sha);
      stack.push(...commit.parents);
    }
    return seen;
  }

  isAncestor(ancestor: string, of: string): boolean {
    return this.ancestors(of).has(ancestor);
  }

  /** Commits reachable from `head` but not from `base` (what a pull request of head into base contains), oldest first. */
  commitsBetween(base: string, head: string): GitCommit[] {
    const excluded = this.ancestors(base);
    const out: GitCommit[] = [];
    for (const sha of this.ancestors(head)) {
      const c = this.commit(sha);
      if (c && !excluded.has(sha)) out.push(c);
    }
    return out.sort((a, b) => a.committer.date - b.committer.date);
  }

  /** The newest common ancestor of two commits, or null. */
  mergeBase(a: string, b: string): string | null {
    const ofA = this.ancestors(a);
    let best: GitCommit | null = null;
    for (const sha of this.ancestors(b)) {
      const c = this.commit(sha);
      if (c && ofA.has(sha) && (!best || c.committer.date > best.committer.date)) best = c;
    }
    return best?.sha ?? null;
  }
}

/** Bytes → base64 the way GitHub renders file content: lines of 60 characters, each ending with "\n". */
export function wrappedBase64(content: Uint8Array): string {
  const b64 = Buffer.from(content).toString("base64");
  let out = "";
  for (let i = 0; i < b64.length; i += 60) out += `${b64.slice(i, i + 60)}\n`;
  return out;
}
