/**
 * The double's GitHub state (repos, issues, comments, labels, users) and the JSON GitHub would render for
 * it. Every issue mutation appends a snapshot to the issue's history, which search reads with its lag.
 */
import { GitStore } from "./git.ts";

export const API = "https://api.github.com";
export const WEB = "https://github.com";

export const DEV_LOGIN = "daemon-hotfix-dev";
export const BOT_LOGIN = "daemon-hotfix[bot]";
export const MAINTAINER_LOGIN = "repo-maintainer";

export type StateReason = "completed" | "not_planned" | "duplicate" | "reopened";

export interface UserRecord {
  login: string;
  id: number;
  type: "User" | "Bot" | "Organization";
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface CommentRecord {
  id: number;
  body: string;
  user: UserRecord;
  createdAt: number;
  updatedAt: number;
}

export interface IssueSnapshot {
  at: number;
  issue: Record<string, unknown>;
  commentBodies: string[];
}

export type MergeMethod = "merge" | "squash" | "rebase";

export interface AutoMergeRecord {
  enabledBy: UserRecord;
  mergeMethod: MergeMethod;
  enabledAt: number;
  commitTitle: string;
  commitMessage: string;
}

/** What makes an issue a pull request (GitHub keeps a PR's title, body, state, labels and comments on its issue). */
export interface PullRecord {
  /** The pull request's own id (not the issue's). */
  id: number;
  /** Head branch name (same repo). */
  head: string;
  /** The head's sha when last seen (kept when the branch is deleted). */
  headSha: string;
  /** Base branch name. */
  base: string;
  draft: boolean;
  maintainerCanModify: boolean;
  autoMerge: AutoMergeRecord | null;
}

export interface IssueRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  stateReason: StateReason | null;
  user: UserRecord;
  labels: LabelRecord[];
  assignees: UserRecord[];
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closedBy: UserRecord | null;
  comments: CommentRecord[];
  history: IssueSnapshot[];
  /** Set when this issue is a pull request. */
  pull?: PullRecord;
}

export interface RepoRecord {
  owner: string;
  name: string;
  id: number;
  createdAt: number;
  /** Issues and pull requests, in one number sequence (as on GitHub). */
  issues: IssueRecord[];
  labels: Map<string, LabelRecord>;
  /** Git objects and refs; starts with `main` at an initial commit holding README.md. */
  git: GitStore;
  defaultBranch: string;
  /** The "Allow auto-merge" repository setting (default off, as on GitHub). */
  allowAutoMerge: boolean;
  /** The repository's website (GET /repos/{o}/{r} → homepage; default none). */
  homepage?: string | null;
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Stable small positive integer from a string (ids for users the double did not create). */
export function hashId(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return 10_000_000 + ((h >>> 0) % 89_000_000);
}

export function nodeId(prefix: string, id: number): string {
  return `${prefix}_kwDO${btoa(`0:${id}`).replace(/=+$/, "")}`;
}

export function repoKey(fullName: string): string {
  return fullName.toLowerCase();
}

export class Store {
  readonly repos = new Map<string, RepoRecord>();
  private nextId = 1_000_001;

  id(): number {
    return this.nextId++;
  }

  user(login: string): UserRecord {
    if (login === DEV_LOGIN) return { login, id: 900_001, type: "User" };
    if (login === BOT_LOGIN) return { login, id: 900_002, type: "Bot" };
    return { login, id: hashId(login), type: login.endsWith("[bot]") ? "Bot" : "User" };
  }

  repo(owner: string, name: string, now: number): RepoRecord {
    const key = repoKey(`${owner}/${name}`);
    let repo = this.repos.get(key);
    if (!repo) {
      repo = { owner, name, id: hashId(key), createdAt: now, issues: [], labels: new Map(), git: initialGit(owner, name, now), defaultBranch: "main", allowAutoMerge: false };
      this.repos.set(key, repo);
    }
    return repo;
  }

  findRepo(fullName: string): RepoRecord | undefined {
    return this.repos.get(repoKey(fullName));
  }

  /** The label called `name` (case-insensitive), created as GitHub does when it does not exist yet. */
  label(repo: RepoRecord, name: string, color?: string | null, description?: string | null): LabelRecord {
    const key = name.toLowerCase();
    let label = repo.labels.get(key);
    if (!label) {
      label = { id: this.id(), name, color: color ?? "ededed", description: description ?? null };
      repo.labels.set(key, label);
    }
    return label;
  }
}

/** A new repo's git: `refs/heads/main` at an "Initial commit" (by the owner, at creation) of a tree with README.md. */
function initialGit(owner: string, name: string, now: number): GitStore {
  const git = new GitStore();
  const readme = git.putBlob(new TextEncoder().encode(`# ${name}\n`));
  const tree = git.putTree([{ name: "README.md", mode: "100644", type: "blob", sha: readme.sha }]);
  const person = { name: owner, email: `${hashId(owner.toLowerCase())}+${owner}@users.noreply.github.com`, date: now };
  const commit = git.putCommit({ tree: tree.sha, parents: [], message: "Initial commit", author: person, committer: person });
  git.refs.set("refs/heads/main", commit.sha);
  return git;
}

export function userJson(user: UserRecord): Record<string, unknown> {
  const login = user.login;
  const path = encodeURIComponent(login);
  return {
    login,
    id: user.id,
    node_id: nodeId(user.type === "Bot" ? "BOT" : user.type === "Organization" ? "O" : "U", user.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: "",
    url: `${API}/users/${path}`,
    html_url: user.type === "Bot" ? `${WEB}/apps/${encodeURIComponent(login.replace(/\[bot\]$/, ""))}` : `${WEB}/${path}`,
    followers_url: `${API}/users/${path}/followers`,
    following_url: `${API}/users/${path}/following{/other_user}`,
    gists_url: `${API}/users/${path}/gists{/gist_id}`,
    starred_url: `${API}/users/${path}/starred{/owner}{/repo}`,
    subscriptions_url: `${API}/users/${path}/subscriptions`,
    organizations_url: `${API}/users/${path}/orgs`,
    repos_url: `${API}/users/${path}/repos`,
    events_url: `${API}/users/${path}/events{/privacy}`,
    received_events_url: `${API}/users/${path}/received_events`,
    type: user.type,
    user_view_type: "public",
    site_admin: false,
  };
}

/** GET /user for a personal token (private view). */
export function privateUserJson(user: UserRecord, now: number): Record<string, unknown> {
  const created = isoSeconds(Date.UTC(2024, 0, 1));
  return {
    ...userJson(user),
    user_view_type: "private",
    name: "daemon-hotfix (local development)",
    company: null,
    blog: "",
    location: null,
    email: null,
    notification_email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: created,
    updated_at: isoSeconds(now),
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: "free", space: 976562499, private_repos: 10000, collaborators: 0 },
  };
}

function repoBase(repo: RepoRecord): string {
  return `${API}/repos/${repo.owner}/${repo.name}`;
}

export function labelJson(repo: RepoRecord, label: LabelRecord): Record<string, unknown> {
  return {
    id: label.id,
    node_id: nodeId("LA", label.id),
    url: `${repoBase(repo)}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: false,
  };
}

function reactions(url: string): Record<string, unknown> {
  return { url, total_count: 0, "+1": 0, "-1": 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 };
}

export function authorAssociation(repo: RepoRecord, user: UserRecord): string {
  return user.login.toLowerCase() === repo.owner.toLowerCase() ? "OWNER" : user.login === MAINTAINER_LOGIN ? "MEMBER" : "NONE";
}

export function issueJson(repo: RepoRecord, issue: IssueRecord): Record<string, unknown> {
  const url = `${repoBase(repo)}/issues/${issue.number}`;
  const assignees = issue.assignees.map(userJson);
  return {
    url,
    repository_url: repoBase(repo),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${WEB}/${repo.owner}/${repo.name}/${issue.pull ? "pull" : "issues"}/${issue.number}`,
    id: issue.id,
    node_id: nodeId("I", issue.id),
    number: issue.number,
    title: issue.title,
    user: userJson(issue.user),
    labels: issue.labels.map((label) => labelJson(repo, label)),
    state: issue.state,
    locked: false,
    assignee: assignees[0] ?? null,
    assignees,
    milestone: null,
    comments: issue.comments.length,
    created_at: isoSeconds(issue.createdAt),
    updated_at: isoSeconds(issue.updatedAt),
    closed_at: issue.closedAt === null ? null : isoSeconds(issue.closedAt),
    author_association: authorAssociation(repo, issue.user),
    active_lock_reason: null,
    sub_issues_summary: { total: 0, completed: 0, percent_completed: 0 },
    issue_dependencies_summary: { blocked_by: 0, total_blocked_by: 0, blocking: 0, total_blocking: 0 },
    body: issue.body,
    closed_by: issue.closedBy ? userJson(issue.closedBy) : null,
    reactions: reactions(`${url}/reactions`),
    timeline_url: `${url}/timeline`,
    performed_via_github_app: null,
    state_reason: issue.stateReason,
    ...(issue.pull
      ? {
          draft: issue.pull.draft,
          pull_request: {
            url: `${repoBase(repo)}/pulls/${issue.number}`,
            html_url: `${WEB}/${repo.owner}/${repo.name}/pull/${issue.number}`,
            diff_url: `${WEB}/${repo.owner}/${repo.name}/pull/${issue.number}.diff`,
            patch_url: `${WEB}/${repo.owner}/${repo.name}/pull/${issue.number}.patch`,
            merged_at: null,
          },
        }
      : {}),
  };
}

export function commentJson(repo: RepoRecord, issue: IssueRecord, comment: CommentRecord): Record<string, unknown> {
  const url = `${repoBase(repo)}/issues/comments/${comment.id}`;
  return {
    url,
    html_url: `${WEB}/${repo.owner}/${repo.name}/${issue.pull ? "pull" : "issues"}/${issue.number}#issuecomment-${comment.id}`,
    issue_url: `${repoBase(repo)}/issues/${issue.number}`,
    id: comment.id,
    node_id: nodeId("IC", comment.id),
    user: userJson(comment.user),
    created_at: isoSeconds(comment.createdAt),
    updated_at: isoSeconds(comment.updatedAt),
    author_association: authorAssociation(repo, comment.user),
    body: comment.body,
    reactions: reactions(`${url}/reactions`),
    performed_via_github_app: null,
  };
}

/** Files a new open issue (or, with `pull`, a pull request) as the repo's next number, and records it. */
export function fileIssue(
  repo: RepoRecord,
  id: number,
  fields: { title: string; body: string | null; user: UserRecord; labels: LabelRecord[]; assignees: UserRecord[]; at: number; pull?: PullRecord },
): IssueRecord {
  const { at, pull, ...given } = fields;
  const issue: IssueRecord = { id, number: repo.issues.length + 1, ...given, state: "open", stateReason: null, createdAt: at, updatedAt: at, closedAt: null, closedBy: null, comments: [], history: [], ...(pull ? { pull } : {}) };
  repo.issues.push(issue);
  snapshot(repo, issue, at);
  return issue;
}

/** Records the issue as it is now; search sees the latest snapshot older than its lag. */
export function snapshot(repo: RepoRecord, issue: IssueRecord, at: number): void {
  issue.history.push({ at, issue: issueJson(repo, issue), commentBodies: issue.comments.map((c) => c.body) });
}

/** GET /repos/{owner}/{repo}: a minimal but complete full-repository. */
export function repoJson(repo: RepoRecord, viewerIsOwner: boolean): Record<string, unknown> {
  const base = repoBase(repo);
  const full = `${repo.owner}/${repo.name}`;
  const ownerType = viewerIsOwner ? "User" : "Organization";
  const openIssues = repo.issues.filter((i) => i.state === "open").length;
  const created = isoSeconds(repo.createdAt);
  return {
    id: repo.id,
    node_id: nodeId("R", repo.id),
    name: repo.name,
    full_name: full,
    private: false,
    owner: userJson({ login: repo.owner, id: hashId(repo.owner.toLowerCase()), type: ownerType }),
    html_url: `${WEB}/${full}`,
    description: null,
    fork: false,
    url: base,
    archive_url: `${base}/{archive_format}{/ref}`,
    assignees_url: `${base}/assignees{/user}`,
    blobs_url: `${base}/git/blobs{/sha}`,
    branches_url: `${base}/branches{/branch}`,
    collaborators_url: `${base}/collaborators{/collaborator}`,
    comments_url: `${base}/comments{/number}`,
    commits_url: `${base}/commits{/sha}`,
    compare_url: `${base}/compare/{base}...{head}`,
    contents_url: `${base}/contents/{+path}`,
    contributors_url: `${base}/contributors`,
    deployments_url: `${base}/deployments`,
    downloads_url: `${base}/downloads`,
    events_url: `${base}/events`,
    forks_url: `${base}/forks`,
    git_commits_url: `${base}/git/commits{/sha}`,
    git_refs_url: `${base}/git/refs{/sha}`,
    git_tags_url: `${base}/git/tags{/sha}`,
    git_url: `git://github.com/${full}.git`,
    issue_comment_url: `${base}/issues/comments{/number}`,
    issue_events_url: `${base}/issues/events{/number}`,
    issues_url: `${base}/issues{/number}`,
    keys_url: `${base}/keys{/key_id}`,
    labels_url: `${base}/labels{/name}`,
    languages_url: `${base}/languages`,
    merges_url: `${base}/merges`,
    milestones_url: `${base}/milestones{/number}`,
    notifications_url: `${base}/notifications{?since,all,participating}`,
    pulls_url: `${base}/pulls{/number}`,
    releases_url: `${base}/releases{/id}`,
    ssh_url: `git@github.com:${full}.git`,
    stargazers_url: `${base}/stargazers`,
    statuses_url: `${base}/statuses/{sha}`,
    subscribers_url: `${base}/subscribers`,
    subscription_url: `${base}/subscription`,
    tags_url: `${base}/tags`,
    teams_url: `${base}/teams`,
    trees_url: `${base}/git/trees{/sha}`,
    clone_url: `${WEB}/${full}.git`,
    mirror_url: null,
    hooks_url: `${base}/hooks`,
    svn_url: `${WEB}/${full}`,
    homepage: repo.homepage ?? null,
    language: "TypeScript",
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues_count: openIssues,
    open_issues: openIssues,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: "public",
    pushed_at: created,
    created_at: created,
    updated_at: created,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    allow_forking: true,
    allow_auto_merge: repo.allowAutoMerge,
    web_commit_signoff_required: false,
    license: null,
    network_count: 0,
    subscribers_count: 0,
  };
}
