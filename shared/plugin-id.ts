/** What a plugin key in the kernel's config names: a worker URL or a GitHub repo (optionally workflow and ref). */
export type ParsedPluginId =
  | { kind: "url"; url: string; origin: string; hostname: string }
  | { kind: "repo"; owner: string; repo: string; workflowId?: string; ref?: string }
  | { kind: "unknown" };

// The ref runs to the end and may itself be a URL (`@https://worker…`) or empty (`@`: the kernel's id when `ref` is "").
const REPO_KEY = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100}?)(?::([^@\s]+))?(?:@(\S*))?$/;

/**
 * Parses `https://…`, `owner/repo`, `owner/repo:workflow.yml`, `owner/repo@ref`, `owner/repo:workflow.yml@ref`,
 * and the kernel's ids of a GitHub-keyed worker (`owner/repo:compute.yml@https://worker…`) or of an empty ref
 * (`owner/repo:compute.yml@`, no ref).
 */
export function parsePluginId(id: string): ParsedPluginId {
  const trimmed = id.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      const url = new URL(trimmed);
      return { kind: "url", url: trimmed.replace(/\/+$/, ""), origin: url.origin, hostname: url.hostname.toLowerCase() };
    } catch {
      return { kind: "unknown" };
    }
  }
  const match = REPO_KEY.exec(trimmed);
  if (!match?.[1] || !match[2]) return { kind: "unknown" };
  return {
    kind: "repo",
    owner: match[1],
    repo: match[2],
    ...(match[3] ? { workflowId: match[3] } : {}),
    ...(match[4] ? { ref: match[4] } : {}),
  };
}

/** The `owner/repo` in a manifest `short_name` (`owner/repo@ref`), or null. */
export function repoFromShortName(shortName: unknown): string | null {
  if (typeof shortName !== "string") return null;
  const parsed = parsePluginId(shortName);
  return parsed.kind === "repo" ? `${parsed.owner}/${parsed.repo}` : null;
}
