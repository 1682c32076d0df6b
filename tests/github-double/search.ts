/**
 * GET /search/issues query language, the subset the double understands:
 * repo:o/r, is:issue, is:pr (is:pull-request), type:issue|pr, is:open, is:closed, state:open|closed,
 * in:title|body|comments (comma list), label:x (quoted values allowed), author:x, "quoted phrases" and
 * bare words (case-insensitive substring match on title, body and comments, or only the fields named by
 * in:). Anything else (other qualifiers, negation with "-") is rejected with 422 so the double never
 * silently answers a query it does not understand.
 */
export type SearchField = "title" | "body" | "comments";

export interface SearchQuery {
  repos: string[];
  kinds: ("issue" | "pr")[];
  states: ("open" | "closed")[];
  labels: string[];
  authors: string[];
  terms: string[];
  fields: SearchField[];
}

export type ParseResult = { ok: true; query: SearchQuery } | { ok: false; message: string };

const TOKEN = /(-?)(?:([A-Za-z][A-Za-z_-]*):)?(?:"([^"]*)"?|(\S+))/g;

export function parseSearchQuery(q: string): ParseResult {
  const query: SearchQuery = { repos: [], kinds: [], states: [], labels: [], authors: [], terms: [], fields: [] };
  for (const match of q.matchAll(TOKEN)) {
    const negated = match[1] === "-";
    const qualifier = match[2]?.toLowerCase();
    const value = match[3] ?? match[4] ?? "";
    if (negated) return { ok: false, message: `The github double does not support negated qualifiers ("${match[0]}").` };
    if (qualifier === undefined) {
      if (value !== "") query.terms.push(value.toLowerCase());
      continue;
    }
    const lower = value.toLowerCase();
    switch (qualifier) {
      case "repo":
        if (!/^[^/\s]+\/[^/\s]+$/.test(value)) return invalid(match[0]);
        query.repos.push(lower);
        break;
      case "is":
        if (lower === "issue") query.kinds.push("issue");
        else if (lower === "pr" || lower === "pull-request") query.kinds.push("pr");
        else if (lower === "open" || lower === "closed") query.states.push(lower);
        else return invalid(match[0]);
        break;
      case "type":
        if (lower === "issue") query.kinds.push("issue");
        else if (lower === "pr" || lower === "pull-request") query.kinds.push("pr");
        else return invalid(match[0]);
        break;
      case "state":
        if (lower === "open" || lower === "closed") query.states.push(lower);
        else return invalid(match[0]);
        break;
      case "in":
        for (const field of lower.split(",")) {
          if (field === "title" || field === "body" || field === "comments") query.fields.push(field);
          else return invalid(match[0]);
        }
        break;
      case "label":
        query.labels.push(lower);
        break;
      case "author":
        query.authors.push(lower);
        break;
      default:
        return { ok: false, message: `The github double does not support the "${qualifier}:" qualifier.` };
    }
  }
  return { ok: true, query };
}

function invalid(token: string): ParseResult {
  return { ok: false, message: `The github double cannot interpret "${token}".` };
}

export interface Searchable {
  repo: string; // owner/repo
  issue: Record<string, unknown>;
  commentBodies: string[];
}

function text(value: unknown): string {
  return typeof value === "string" ? value.toLowerCase() : "";
}

function labelNames(issue: Record<string, unknown>): string[] {
  const labels = Array.isArray(issue.labels) ? issue.labels : [];
  return labels.map((l: unknown) => (typeof l === "object" && l !== null && "name" in l ? text(l.name) : text(l)));
}

function login(issue: Record<string, unknown>): string {
  const user = issue.user;
  return typeof user === "object" && user !== null && "login" in user ? text(user.login) : "";
}

export function matchesSearch(item: Searchable, query: SearchQuery): boolean {
  const issue = item.issue;
  if (query.repos.length > 0 && !query.repos.includes(item.repo.toLowerCase())) return false;
  const isPull = issue.pull_request !== undefined;
  for (const kind of query.kinds) if ((kind === "pr") !== isPull) return false;
  for (const state of query.states) if (issue.state !== state) return false;
  const names = labelNames(issue);
  for (const label of query.labels) if (!names.includes(label)) return false;
  for (const author of query.authors) if (login(issue) !== author) return false;
  if (query.terms.length > 0) {
    const fields: SearchField[] = query.fields.length > 0 ? query.fields : ["title", "body", "comments"];
    const haystacks: string[] = [];
    if (fields.includes("title")) haystacks.push(text(issue.title));
    if (fields.includes("body")) haystacks.push(text(issue.body));
    if (fields.includes("comments")) haystacks.push(...item.commentBodies.map(text));
    for (const term of query.terms) if (!haystacks.some((h) => h.includes(term))) return false;
  }
  return true;
}
