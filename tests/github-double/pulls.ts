/**
 * PR mode: Git Data (blobs, trees, commits, refs), repository contents, and pull requests, as GitHub does them.
 *
 * A pull request is an issue with a `pull` record (one number sequence per repo, like GitHub); its title, body,
 * state, labels and comments live on the issue. Its head is a branch of the same repo (forks are not modelled).
 *
 * Messages (422 `{message, documentation_url, status}` unless noted):
 *  - create a ref that exists: "Reference already exists"; with fewer than three components: "Reference name must
 *    contain at least three slash-separated components."; otherwise malformed: "<ref> is not a valid ref name.";
 *    colliding with a ref that is a prefix of it (or it of them): "Reference update failed"; unknown sha:
 *    "Object does not exist"
 *  - update/delete a ref that does not exist: "Reference does not exist"; update that is not a fast forward
 *    without `force`: "Update is not a fast forward"
 *  - create a commit: "Tree SHA does not exist", "Parent SHA does not exist or is not a commit object"
 *  - create a tree: "base_tree is not a valid tree oid", "tree.sha <sha> is not a valid blob|tree",
 *    "Must supply either tree.sha or tree.content", "tree.path contains a malformed path component"
 *  - create a pull (Validation Failed, resource PullRequest): head/base that is not a branch → field invalid;
 *    an open PR of that head into that base → custom "A pull request already exists for <owner>:<branch>.";
 *    nothing to merge → custom "No commits between <base> and <head>"
 *  - contents at a ref that does not resolve: 404 "No commit found for the ref <ref>"
 * GET /repos/{o}/{r}/pulls?head= filters only in the form "owner:branch"; a bare branch name is ignored, as on GitHub.
 * mergeable_state is "draft" for drafts and "blocked" otherwise (the double behaves as if required checks were
 * pending, the only state in which GitHub lets auto-merge be enabled).
 */
import { isSha, wrappedBase64 } from "./git.ts";
import type { FlatEntry, GitCommit, GitStore, GitTree, TreeEntry } from "./git.ts";
import { error, json, notFound, paginate, secondaryLimit, validationFailed } from "./http.ts";
import type { Result } from "./http.ts";
import { creationAllowed, requestBody } from "./handler-kit.ts";
import type { Core, Ctx, Handler } from "./operations.ts";
import { isObject } from "./spec.ts";
import { API, WEB, authorAssociation, fileIssue, hashId, isoSeconds, labelJson, nodeId, repoJson, snapshot, userJson } from "./state.ts";
import type { IssueRecord, PullRecord, RepoRecord, UserRecord } from "./state.ts";
import type { ValidationErrorItem } from "./validate.ts";

const REF_CREATE_DOCS = "https://docs.github.com/rest/git/refs#create-a-reference";
const REF_UPDATE_DOCS = "https://docs.github.com/rest/git/refs#update-a-reference";
const REF_DELETE_DOCS = "https://docs.github.com/rest/git/refs#delete-a-reference";
const TREE_DOCS = "https://docs.github.com/rest/git/trees#create-a-tree";
const COMMIT_DOCS = "https://docs.github.com/rest/git/commits#create-a-commit";
const BLOB_DOCS = "https://docs.github.com/rest/git/blobs#create-a-blob";
const CONTENTS_DOCS = "https://docs.github.com/rest/repos/contents#get-repository-content";
const PULL_CREATE_DOCS = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request";
const PULL_UPDATE_DOCS = "https://docs.github.com/rest/pulls/pulls#update-a-pull-request";
const MAX_BODY = 65536;
const MAX_TITLE = 256;

// ---------------------------------------------------------------- helpers

function repoOf(core: Core, ctx: Ctx): RepoRecord {
  return core.store.repo(ctx.params.owner ?? "", ctx.params.repo ?? "", ctx.now);
}

function base(repo: RepoRecord): string {
  return `${API}/repos/${repo.owner}/${repo.name}`;
}

function web(repo: RepoRecord): string {
  return `${WEB}/${repo.owner}/${repo.name}`;
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function ownerUser(repo: RepoRecord, viewer: UserRecord): UserRecord {
  const type = viewer.login.toLowerCase() === repo.owner.toLowerCase() ? "User" : "Organization";
  return { login: repo.owner, id: hashId(repo.owner.toLowerCase()), type };
}

function viewerIsOwner(repo: RepoRecord, viewer: UserRecord): boolean {
  return viewer.login.toLowerCase() === repo.owner.toLowerCase();
}

export function personOf(user: UserRecord, now: number): { name: string; email: string; date: number } {
  return { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com`, date: now };
}

// ---------------------------------------------------------------- JSON GitHub renders

function refJson(repo: RepoRecord, name: string, sha: string): Record<string, unknown> {
  const type = repo.git.get(sha)?.type ?? "commit";
  return {
    ref: name,
    node_id: `REF_kwDO${Buffer.from(`${repo.id}:${name}`).toString("base64url")}`,
    url: `${base(repo)}/git/${encodePath(name)}`,
    object: { sha, type, url: `${base(repo)}/git/${type}s/${sha}` },
  };
}

function gitCommitJson(repo: RepoRecord, commit: GitCommit): Record<string, unknown> {
  const person = (p: GitCommit["author"]) => ({ name: p.name, email: p.email, date: isoSeconds(p.date) });
  return {
    sha: commit.sha,
    node_id: `C_kwDO${Buffer.from(`${repo.id}:${commit.sha}`).toString("base64url")}`,
    url: `${base(repo)}/git/commits/${commit.sha}`,
    html_url: `${web(repo)}/commit/${commit.sha}`,
    author: person(commit.author),
    committer: person(commit.committer),
    tree: { sha: commit.tree, url: `${base(repo)}/git/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((p) => ({ sha: p, url: `${base(repo)}/git/commits/${p}`, html_url: `${web(repo)}/commit/${p}` })),
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
  };
}

function treeItems(repo: RepoRecord, tree: GitTree, recursive: boolean, prefix = ""): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of tree.entries) {
    const item: Record<string, unknown> = { path: prefix + e.name, mode: e.mode, type: e.type, sha: e.sha };
    if (e.type === "blob") {
      item.size = repo.git.blob(e.sha)?.content.length ?? 0;
      item.url = `${base(repo)}/git/blobs/${e.sha}`;
    } else if (e.type === "tree") {
      item.url = `${base(repo)}/git/trees/${e.sha}`;
    }
    out.push(item);
    const sub = e.type === "tree" ? repo.git.tree(e.sha) : undefined;
    if (recursive && sub) out.push(...treeItems(repo, sub, true, `${prefix}${e.name}/`));
  }
  return out;
}

function treeJson(repo: RepoRecord, tree: GitTree, recursive: boolean): Record<string, unknown> {
  return { sha: tree.sha, url: `${base(repo)}/git/trees/${tree.sha}`, tree: treeItems(repo, tree, recursive), truncated: false };
}

/** The head sha of a PR now: its branch's tip, or the last one seen when the branch is gone. */
function headShaOf(repo: RepoRecord, pull: PullRecord): string {
  return repo.git.refs.get(`refs/heads/${pull.head}`) ?? pull.headSha;
}

/** Lines added and removed between two versions of a file (multiset difference of lines: deterministic, close enough). */
function lineDelta(before: Uint8Array | undefined, after: Uint8Array | undefined): { additions: number; deletions: number } {
  const lines = (bytes: Uint8Array | undefined) => {
    if (!bytes || bytes.length === 0) return [];
    const text = new TextDecoder().decode(bytes);
    return (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
  };
  const counts = new Map<string, number>();
  for (const l of lines(before)) counts.set(l, (counts.get(l) ?? 0) + 1);
  let additions = 0;
  for (const l of lines(after)) {
    const n = counts.get(l) ?? 0;
    if (n > 0) counts.set(l, n - 1);
    else additions++;
  }
  let deletions = 0;
  for (const n of counts.values()) deletions += n;
  return { additions, deletions };
}

function diffStats(git: GitStore, from: string | null, to: string): { changedFiles: number; additions: number; deletions: number } {
  const treeOf = (sha: string | null) => (sha ? git.commit(sha)?.tree : undefined);
  const fromTree = treeOf(from);
  const toTree = treeOf(to);
  const before = fromTree ? git.flatten(fromTree) : new Map<string, FlatEntry>();
  const after = toTree ? git.flatten(toTree) : new Map<string, FlatEntry>();
  let changedFiles = 0;
  let additions = 0;
  let deletions = 0;
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(path);
    const b = after.get(path);
    if (a?.sha === b?.sha && a?.mode === b?.mode) continue;
    changedFiles++;
    const delta = lineDelta(a ? git.blob(a.sha)?.content : undefined, b ? git.blob(b.sha)?.content : undefined);
    additions += delta.additions;
    deletions += delta.deletions;
  }
  return { changedFiles, additions, deletions };
}

/** A pull request as GET /repos/{o}/{r}/pulls/{n} renders it. */
export function pullJson(repo: RepoRecord, issue: IssueRecord, pull: PullRecord, viewer: UserRecord): Record<string, unknown> {
  const url = `${base(repo)}/pulls/${issue.number}`;
  const issueUrl = `${base(repo)}/issues/${issue.number}`;
  const html = `${web(repo)}/pull/${issue.number}`;
  const headSha = headShaOf(repo, pull);
  const baseSha = repo.git.refs.get(`refs/heads/${pull.base}`) ?? headSha;
  const owner = userJson(ownerUser(repo, viewer));
  const repository = repoJson(repo, viewerIsOwner(repo, viewer));
  const assignees = issue.assignees.map(userJson);
  const stats = diffStats(repo.git, repo.git.mergeBase(baseSha, headSha), headSha);
  const open = issue.state === "open";
  return {
    url,
    id: pull.id,
    node_id: nodeId("PR", pull.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${base(repo)}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: `${base(repo)}/statuses/${headSha}`,
    number: issue.number,
    state: issue.state,
    locked: false,
    title: issue.title,
    user: userJson(issue.user),
    body: issue.body,
    labels: issue.labels.map((label) => labelJson(repo, label)),
    milestone: null,
    active_lock_reason: null,
    created_at: isoSeconds(issue.createdAt),
    updated_at: isoSeconds(issue.updatedAt),
    closed_at: issue.closedAt === null ? null : isoSeconds(issue.closedAt),
    merged_at: null,
    merge_commit_sha: null,
    assignee: assignees[0] ?? null,
    assignees,
    requested_reviewers: [],
    requested_teams: [],
    head: { label: `${repo.owner}:${pull.head}`, ref: pull.head, sha: headSha, user: owner, repo: repository },
    base: { label: `${repo.owner}:${pull.base}`, ref: pull.base, sha: baseSha, user: owner, repo: repository },
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${base(repo)}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${base(repo)}/statuses/${headSha}` },
    },
    author_association: authorAssociation(repo, issue.user),
    auto_merge: pull.autoMerge
      ? {
          enabled_by: userJson(pull.autoMerge.enabledBy),
          merge_method: pull.autoMerge.mergeMethod,
          commit_title: pull.autoMerge.commitTitle,
          commit_message: pull.autoMerge.commitMessage,
        }
      : null,
    draft: pull.draft,
    merged: false,
    mergeable: open ? true : null,
    rebaseable: open ? true : null,
    mergeable_state: !open ? "unknown" : pull.draft ? "draft" : "blocked",
    merged_by: null,
    comments: issue.comments.length,
    review_comments: 0,
    maintainer_can_modify: pull.maintainerCanModify,
    commits: repo.git.commitsBetween(baseSha, headSha).length,
    additions: stats.additions,
    deletions: stats.deletions,
    changed_files: stats.changedFiles,
  };
}

const NOT_IN_LIST = ["merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments", "review_comments", "maintainer_can_modify", "commits", "additions", "deletions", "changed_files"];

/** A pull request as GET /repos/{o}/{r}/pulls lists it (pull-request-simple). */
export function pullSimpleJson(repo: RepoRecord, issue: IssueRecord, pull: PullRecord, viewer: UserRecord): Record<string, unknown> {
  const full = pullJson(repo, issue, pull, viewer);
  for (const key of NOT_IN_LIST) delete full[key];
  return full;
}

/** Moves the recorded head sha of open PRs whose head is `branch` (GitHub "synchronizes" them). */
function syncPulls(repo: RepoRecord, fullRef: string, now: number): void {
  if (!fullRef.startsWith("refs/heads/")) return;
  const branch = fullRef.slice("refs/heads/".length);
  const sha = repo.git.refs.get(fullRef);
  for (const issue of repo.issues) {
    const pull = issue.pull;
    if (!pull || pull.head !== branch || !sha || pull.headSha === sha) continue;
    pull.headSha = sha;
    if (issue.state === "open") {
      issue.updatedAt = now;
      snapshot(repo, issue, now);
    }
  }
}

// ---------------------------------------------------------------- Git Data

const getRef: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const ref = ctx.params.ref ?? "";
  if (ref.startsWith("refs/")) return notFound();
  const sha = repo.git.refs.get(`refs/${ref}`);
  return sha ? json(200, refJson(repo, `refs/${ref}`, sha)) : notFound();
};

const listMatchingRefs: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const prefix = `refs/${ctx.params.ref ?? ""}`;
  const refs = [...repo.git.refs.entries()].filter(([name]) => name.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return json(
    200,
    refs.map(([name, sha]) => refJson(repo, name, sha)),
  );
};

const getCommit: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const commit = repo.git.commit(ctx.params.commit_sha ?? "");
  return commit ? json(200, gitCommitJson(repo, commit)) : notFound();
};

const getBlob: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const blob = repo.git.blob(ctx.params.file_sha ?? "");
  if (!blob) return notFound();
  return json(200, {
    sha: blob.sha,
    node_id: `B_kwDO${Buffer.from(`${repo.id}:${blob.sha}`).toString("base64url")}`,
    size: blob.content.length,
    url: `${base(repo)}/git/blobs/${blob.sha}`,
    content: wrappedBase64(blob.content),
    encoding: "base64",
  });
};

const createBlob: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const body = requestBody(ctx);
  const content = typeof body.content === "string" ? body.content : "";
  const encoding = typeof body.encoding === "string" ? body.encoding.toLowerCase() : "utf-8";
  if (encoding !== "utf-8" && encoding !== "utf8" && encoding !== "base64") {
    return validationFailed([{ resource: "Blob", field: "encoding", code: "invalid", message: `encoding must be "utf-8" or "base64"` }], BLOB_DOCS);
  }
  if (!creationAllowed(core, ctx)) return secondaryLimit(60);
  const bytes = encoding === "base64" ? new Uint8Array(Buffer.from(content, "base64")) : new TextEncoder().encode(content);
  const blob = repo.git.putBlob(bytes);
  const url = `${base(repo)}/git/blobs/${blob.sha}`;
  return json(201, { sha: blob.sha, url }, { location: url });
};

function malformedPath(path: string): boolean {
  return path === "" || path.split("/").some((part) => part === "" || part === "." || part === "..");
}

const createTree: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const git = repo.git;
  const body = requestBody(ctx);
  const baseTree = typeof body.base_tree === "string" ? body.base_tree : null;
  if (baseTree !== null && !git.tree(baseTree)) return error(422, "base_tree is not a valid tree oid", TREE_DOCS);
  const items = Array.isArray(body.tree) ? body.tree : [];
  type Change = { path: string; remove: true } | { path: string; remove: false; entry: FlatEntry; subtree: string | null };
  const changes: Change[] = [];
  const pendingContent: { index: number; content: string }[] = [];
  for (const raw of items) {
    const item = isObject(raw) ? raw : {};
    const path = typeof item.path === "string" ? item.path : "";
    const missing: ValidationErrorItem[] = [];
    for (const field of ["path", "mode", "type"]) if (typeof item[field] !== "string") missing.push({ resource: "Tree", field: `tree.${field}`, code: "missing_field" });
    if (missing.length > 0) return validationFailed(missing, TREE_DOCS);
    if (malformedPath(path)) return error(422, "tree.path contains a malformed path component", TREE_DOCS);
    const mode = String(item.mode);
    const type = item.type === "tree" ? "tree" : item.type === "commit" ? "commit" : "blob";
    const hasSha = "sha" in item && item.sha !== undefined;
    const hasContent = typeof item.content === "string";
    if (hasSha && hasContent) return error(422, "Must supply either tree.sha or tree.content, not both", TREE_DOCS);
    if (!hasSha && !hasContent) return error(422, "Must supply either tree.sha or tree.content", TREE_DOCS);
    if (hasSha && item.sha === null) {
      changes.push({ path, remove: true });
      continue;
    }
    if (hasContent) {
      if (type !== "blob") return error(422, `tree.content can only be used with type "blob"`, TREE_DOCS);
      pendingContent.push({ index: changes.length, content: String(item.content) });
      changes.push({ path, remove: false, entry: { mode, type, sha: "" }, subtree: null });
      continue;
    }
    const sha = String(item.sha).toLowerCase();
    if (type === "blob" && !git.blob(sha)) return error(422, `tree.sha ${sha} is not a valid blob`, TREE_DOCS);
    if (type === "tree" && !git.tree(sha)) return error(422, `tree.sha ${sha} is not a valid tree`, TREE_DOCS);
    if (type === "commit" && !isSha(sha)) return error(422, `tree.sha ${sha} is not a valid commit`, TREE_DOCS);
    changes.push({ path, remove: false, entry: { mode: type === "tree" ? "040000" : mode, type, sha }, subtree: type === "tree" ? sha : null });
  }
  if (!creationAllowed(core, ctx)) return secondaryLimit(60);
  for (const p of pendingContent) {
    const change = changes[p.index];
    if (change && !change.remove) change.entry.sha = git.putBlob(new TextEncoder().encode(p.content)).sha;
  }
  const files = baseTree ? git.flatten(baseTree) : new Map<string, FlatEntry>();
  const removeAt = (path: string) => {
    for (const key of [...files.keys()]) if (key === path || key.startsWith(`${path}/`)) files.delete(key);
  };
  for (const change of changes) {
    removeAt(change.path);
    if (change.remove) continue;
    // A file replaces any file at one of its parent paths.
    const parts = change.path.split("/");
    for (let i = 1; i < parts.length; i++) files.delete(parts.slice(0, i).join("/"));
    if (change.subtree) git.flatten(change.subtree, `${change.path}/`, files);
    else files.set(change.path, change.entry);
  }
  const tree = git.tree(git.writeFlat(files));
  if (!tree) throw new Error("github-double: tree just written is missing");
  return json(201, treeJson(repo, tree, false), { location: `${base(repo)}/git/trees/${tree.sha}` });
};

const getTree: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const git = repo.git;
  const wanted = ctx.params.tree_sha ?? "";
  let tree = git.tree(wanted);
  if (!tree) {
    const commitSha = git.commit(wanted)?.sha ?? git.resolve(wanted);
    const commit = commitSha ? git.commit(commitSha) : undefined;
    tree = commit ? git.tree(commit.tree) : undefined;
  }
  if (!tree) return notFound();
  // Any value of `recursive` (even "false" or "0") asks for the whole tree; only its absence does not.
  return json(200, treeJson(repo, tree, ctx.url.searchParams.has("recursive")));
};

function parseDate(value: unknown, fallback: number): number {
  if (typeof value !== "string") return fallback;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? fallback : ms;
}

const createCommit: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const git = repo.git;
  const body = requestBody(ctx);
  const treeSha = typeof body.tree === "string" ? body.tree.toLowerCase() : "";
  if (!git.tree(treeSha)) return error(422, "Tree SHA does not exist", COMMIT_DOCS);
  const parents = (Array.isArray(body.parents) ? body.parents : []).map((p) => String(p).toLowerCase());
  for (const p of parents) if (!git.commit(p)) return error(422, "Parent SHA does not exist or is not a commit object", COMMIT_DOCS);
  const fallback = personOf(ctx.user, ctx.now);
  const personFrom = (raw: unknown, dflt: { name: string; email: string; date: number }) =>
    isObject(raw) && typeof raw.name === "string" && typeof raw.email === "string" ? { name: raw.name, email: raw.email, date: parseDate(raw.date, ctx.now) } : dflt;
  const author = personFrom(body.author, fallback);
  const committer = personFrom(body.committer, author);
  if (!creationAllowed(core, ctx)) return secondaryLimit(60);
  const commit = git.putCommit({ tree: treeSha, parents, message: typeof body.message === "string" ? body.message : "", author, committer });
  return json(201, gitCommitJson(repo, commit), { location: `${base(repo)}/git/commits/${commit.sha}` });
};

/** git check-ref-format, the parts GitHub enforces. */
function validRefName(name: string): boolean {
  if (!name.startsWith("refs/") || name.endsWith("/") || name.endsWith(".") || name.includes("..") || name.includes("@{") || name.includes("//")) return false;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split("/").every((part) => part !== "" && !part.startsWith(".") && !part.endsWith(".lock"));
}

const createRef: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const git = repo.git;
  const body = requestBody(ctx);
  const name = typeof body.ref === "string" ? body.ref : "";
  const sha = typeof body.sha === "string" ? body.sha.toLowerCase() : "";
  if (name.split("/").length < 3) return error(422, "Reference name must contain at least three slash-separated components.", REF_CREATE_DOCS);
  if (!validRefName(name)) return error(422, `${name} is not a valid ref name.`, REF_CREATE_DOCS);
  if (git.refs.has(name)) return error(422, "Reference already exists", REF_CREATE_DOCS);
  if (!git.get(sha)) return error(422, "Object does not exist", REF_CREATE_DOCS);
  for (const other of git.refs.keys()) {
    if (other.startsWith(`${name}/`) || name.startsWith(`${other}/`)) return error(422, "Reference update failed", REF_CREATE_DOCS);
  }
  if (!creationAllowed(core, ctx)) return secondaryLimit(60);
  git.refs.set(name, sha);
  syncPulls(repo, name, ctx.now);
  const rendered = refJson(repo, name, sha);
  return json(201, rendered, { location: String(rendered.url) });
};

const updateRef: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const git = repo.git;
  const body = requestBody(ctx);
  const name = `refs/${ctx.params.ref ?? ""}`;
  const current = git.refs.get(name);
  if (!current) return error(422, "Reference does not exist", REF_UPDATE_DOCS);
  const sha = typeof body.sha === "string" ? body.sha.toLowerCase() : "";
  if (!git.get(sha)) return error(422, "Object does not exist", REF_UPDATE_DOCS);
  if (body.force !== true && !git.isAncestor(current, sha)) return error(422, "Update is not a fast forward", REF_UPDATE_DOCS);
  git.refs.set(name, sha);
  syncPulls(repo, name, ctx.now);
  return json(200, refJson(repo, name, sha));
};

const deleteRef: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const name = `refs/${ctx.params.ref ?? ""}`;
  if (!repo.git.refs.has(name)) return error(422, "Reference does not exist", REF_DELETE_DOCS);
  repo.git.refs.delete(name);
  return { status: 204 };
};

// ---------------------------------------------------------------- contents

const getContent: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const git = repo.git;
  const path = (ctx.params.path ?? "").replace(/^\/+|\/+$/g, "");
  const refParam = ctx.url.searchParams.get("ref");
  const refName = refParam === null || refParam === "" ? repo.defaultBranch : refParam;
  const commitSha = git.resolve(refName);
  if (!commitSha) return error(404, `No commit found for the ref ${refName}`, CONTENTS_DOCS);
  const commit = git.commit(commitSha);
  const entry = commit ? git.entryAt(commit.tree, path) : null;
  if (!entry || entry.type === "commit") return error(404, "Not Found", CONTENTS_DOCS);
  const links = (p: string, e: TreeEntry) => {
    const self = `${base(repo)}/contents/${encodePath(p)}?ref=${encodeURIComponent(refName)}`;
    const gitUrl = `${base(repo)}/git/${e.type === "tree" ? "trees" : "blobs"}/${e.sha}`;
    const html = `${web(repo)}/${e.type === "tree" ? "tree" : "blob"}/${refName}/${encodePath(p)}`;
    return { url: self, git_url: gitUrl, html_url: html, _links: { self, git: gitUrl, html } };
  };
  const describe = (p: string, e: TreeEntry): Record<string, unknown> => {
    const blob = e.type === "blob" ? git.blob(e.sha) : undefined;
    return {
      type: e.type === "tree" ? "dir" : "file",
      size: blob?.content.length ?? 0,
      name: p.slice(p.lastIndexOf("/") + 1),
      path: p,
      sha: e.sha,
      ...links(p, e),
      download_url: e.type === "blob" ? `https://raw.githubusercontent.com/${repo.owner}/${repo.name}/${refName}/${encodePath(p)}` : null,
    };
  };
  if (entry.type === "tree") {
    const tree = git.tree(entry.sha);
    return json(
      200,
      (tree?.entries ?? []).filter((e) => e.type !== "commit").map((e) => describe(`${path}/${e.name}`, e)),
    );
  }
  const blob = git.blob(entry.sha);
  if (!blob) return error(404, "Not Found", CONTENTS_DOCS);
  if (/application\/vnd\.github(\.v3)?\.raw/i.test(ctx.accept ?? "")) {
    return { status: 200, text: new TextDecoder().decode(blob.content), contentType: "application/vnd.github.raw; charset=utf-8" };
  }
  const described = describe(path, entry);
  return json(200, { ...described, content: wrappedBase64(blob.content), encoding: "base64" });
};

// ---------------------------------------------------------------- pulls

function pullOf(core: Core, ctx: Ctx): { repo: RepoRecord; issue: IssueRecord; pull: PullRecord } | null {
  const repo = repoOf(core, ctx);
  const raw = ctx.params.pull_number ?? "";
  if (!/^\d+$/.test(raw)) return null;
  const issue = repo.issues.find((i) => i.number === Number(raw));
  return issue?.pull ? { repo, issue, pull: issue.pull } : null;
}

function textErrors(value: unknown, field: "title" | "body", errors: ValidationErrorItem[]): void {
  if (typeof value !== "string") return;
  if (field === "title" && value.trim() === "") errors.push({ resource: "PullRequest", code: "missing_field", field: "title" });
  const max = field === "title" ? MAX_TITLE : MAX_BODY;
  if (value.length > max) errors.push({ resource: "PullRequest", code: "custom", field, message: `${field} is too long (maximum is ${max} characters)` });
}

/** 422 Validation Failed with one custom error (no field), as GitHub answers for pull requests. */
function customFailed(message: string, documentationUrl: string): Result {
  return json(422, { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "custom", message }], documentation_url: documentationUrl, status: "422" });
}

export function duplicateMessage(owner: string, head: string): string {
  return `A pull request already exists for ${owner}:${head}.`;
}

function openDuplicate(repo: RepoRecord, head: string, baseRef: string, except: IssueRecord | null): boolean {
  return repo.issues.some((i) => i !== except && i.state === "open" && i.pull?.head === head && i.pull.base === baseRef);
}

const createPull: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const git = repo.git;
  const body = requestBody(ctx);
  if (body.issue !== undefined) return error(501, "github-double: pulls/create from an existing issue (`issue`) is not implemented");
  const errors: ValidationErrorItem[] = [];
  if (typeof body.title !== "string") errors.push({ resource: "PullRequest", code: "missing_field", field: "title" });
  textErrors(body.title, "title", errors);
  textErrors(body.body, "body", errors);
  const headRaw = typeof body.head === "string" ? body.head : "";
  const colon = headRaw.indexOf(":");
  const headOwner = colon >= 0 ? headRaw.slice(0, colon) : repo.owner;
  const head = colon >= 0 ? headRaw.slice(colon + 1) : headRaw;
  const baseRef = typeof body.base === "string" ? body.base : "";
  const headSha = headOwner.toLowerCase() === repo.owner.toLowerCase() ? git.refs.get(`refs/heads/${head}`) : undefined;
  const baseSha = git.refs.get(`refs/heads/${baseRef}`);
  if (!headSha) errors.push({ resource: "PullRequest", field: "head", code: "invalid" });
  if (!baseSha) errors.push({ resource: "PullRequest", field: "base", code: "invalid" });
  if (errors.length > 0 || !headSha || !baseSha) return validationFailed(errors, PULL_CREATE_DOCS);
  if (openDuplicate(repo, head, baseRef, null)) {
    return customFailed(duplicateMessage(repo.owner, head), PULL_CREATE_DOCS);
  }
  if (git.commitsBetween(baseSha, headSha).length === 0) {
    return customFailed(`No commits between ${baseRef} and ${head}`, PULL_CREATE_DOCS);
  }
  if (!creationAllowed(core, ctx)) return secondaryLimit(60);
  const pull: PullRecord = {
    id: core.store.id(),
    head,
    headSha,
    base: baseRef,
    draft: body.draft === true,
    maintainerCanModify: body.maintainer_can_modify !== false,
    autoMerge: null,
  };
  const issue = fileIssue(repo, core.store.id(), {
    title: String(body.title),
    body: typeof body.body === "string" ? body.body : null,
    user: ctx.user,
    labels: [],
    assignees: [],
    at: ctx.now,
    pull,
  });
  const rendered = pullJson(repo, issue, pull, ctx.user);
  return json(201, rendered, { location: String(rendered.url) });
};

const getPull: Handler = (core, ctx) => {
  const found = pullOf(core, ctx);
  return found ? json(200, pullJson(found.repo, found.issue, found.pull, ctx.user)) : notFound();
};

const listPulls: Handler = (core, ctx) => {
  const repo = repoOf(core, ctx);
  const q = ctx.url.searchParams;
  const state = q.get("state") ?? "open";
  const sort = q.get("sort") ?? "created";
  const direction = q.get("direction") ?? (sort === "created" ? "desc" : "asc");
  const errors: ValidationErrorItem[] = [];
  if (!["open", "closed", "all"].includes(state)) errors.push({ resource: "PullRequest", code: "invalid", field: "state" });
  if (!["created", "updated", "popularity", "long-running"].includes(sort)) errors.push({ resource: "PullRequest", code: "invalid", field: "sort" });
  if (!["asc", "desc"].includes(direction)) errors.push({ resource: "PullRequest", code: "invalid", field: "direction" });
  if (errors.length > 0) return validationFailed(errors);
  // GitHub filters by head only in the form "owner:branch"; a bare branch name is silently ignored.
  const headParam = q.get("head");
  const colon = headParam?.indexOf(":") ?? -1;
  const headFilter = headParam && colon >= 0 ? { owner: headParam.slice(0, colon).toLowerCase(), branch: headParam.slice(colon + 1) } : null;
  const baseFilter = q.get("base");
  const key = (i: IssueRecord) => (sort === "updated" ? i.updatedAt : sort === "popularity" ? i.comments.length : sort === "long-running" ? -i.createdAt : i.createdAt);
  const sign = direction === "asc" ? 1 : -1;
  const pulls = repo.issues
    .filter((i): i is IssueRecord & { pull: PullRecord } => i.pull !== undefined)
    .filter((i) => state === "all" || i.state === state)
    .filter((i) => !headFilter || (headFilter.owner === repo.owner.toLowerCase() && i.pull.head === headFilter.branch))
    .filter((i) => baseFilter === null || baseFilter === "" || i.pull.base === baseFilter)
    .sort((a, b) => sign * (key(a) - key(b)) || sign * (a.number - b.number));
  const { page, link } = paginate(pulls, ctx.url);
  return json(
    200,
    page.map((i) => pullSimpleJson(repo, i, i.pull, ctx.user)),
    link ? { link } : undefined,
  );
};

/** Closes or reopens a pull request's issue (closing turns auto-merge off, as on GitHub). */
export function setPullState(issue: IssueRecord, pull: PullRecord, state: "open" | "closed", by: UserRecord, now: number): void {
  if (issue.state === state) return;
  issue.state = state;
  issue.stateReason = null;
  if (state === "closed") {
    issue.closedAt = now;
    issue.closedBy = by;
    pull.autoMerge = null;
  } else {
    issue.closedAt = null;
    issue.closedBy = null;
  }
}

const updatePull: Handler = (core, ctx) => {
  const found = pullOf(core, ctx);
  if (!found) return notFound();
  const { repo, issue, pull } = found;
  const body = requestBody(ctx);
  const errors: ValidationErrorItem[] = [];
  textErrors(body.title, "title", errors);
  textErrors(body.body, "body", errors);
  const newBase = typeof body.base === "string" ? body.base : null;
  if (newBase !== null && !repo.git.refs.has(`refs/heads/${newBase}`)) errors.push({ resource: "PullRequest", field: "base", code: "invalid" });
  if (errors.length > 0) return validationFailed(errors, PULL_UPDATE_DOCS);
  if (body.state === "open" && issue.state === "closed" && openDuplicate(repo, pull.head, newBase ?? pull.base, issue)) {
    return customFailed(duplicateMessage(repo.owner, pull.head), PULL_UPDATE_DOCS);
  }
  if (typeof body.title === "string") issue.title = body.title;
  if (typeof body.body === "string") issue.body = body.body;
  if (newBase !== null) pull.base = newBase;
  if (typeof body.maintainer_can_modify === "boolean") pull.maintainerCanModify = body.maintainer_can_modify;
  if (body.state === "open" || body.state === "closed") setPullState(issue, pull, body.state, ctx.user, ctx.now);
  if (Object.keys(body).length > 0) {
    issue.updatedAt = ctx.now;
    snapshot(repo, issue, ctx.now);
  }
  return json(200, pullJson(repo, issue, pull, ctx.user));
};

export const PULL_HANDLERS: Record<string, Handler> = {
  "git/get-ref": getRef,
  "git/list-matching-refs": listMatchingRefs,
  "git/create-ref": createRef,
  "git/update-ref": updateRef,
  "git/delete-ref": deleteRef,
  "git/get-commit": getCommit,
  "git/create-commit": createCommit,
  "git/get-blob": getBlob,
  "git/create-blob": createBlob,
  "git/get-tree": getTree,
  "git/create-tree": createTree,
  "repos/get-content": getContent,
  "pulls/create": createPull,
  "pulls/get": getPull,
  "pulls/list": listPulls,
  "pulls/update": updatePull,
};

