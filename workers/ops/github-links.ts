/** The web address of an issue, from the REST base (api.github.com → github.com; GHES `/api/v3` → its host). */
export function issueUrl(apiUrl: string | undefined, repo: string, issueNumber: number | null): string | null {
  if (issueNumber === null) return null;
  let web = "https://github.com";
  try {
    const url = new URL(apiUrl || "https://api.github.com");
    if (url.hostname !== "api.github.com" && url.pathname.replace(/\/+$/, "").endsWith("/api/v3")) web = url.origin;
  } catch {
    // keep github.com
  }
  return `${web}/${repo}/issues/${issueNumber}`;
}
