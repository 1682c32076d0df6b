import * as v from "valibot";

/** `owner/repo` as GitHub spells it (owner: letters, digits, hyphens; repo: also `.` and `_`). */
export const RepoFullName = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, "must be a repository as owner/repo"),
);
export type RepoFullName = v.InferOutput<typeof RepoFullName>;

/** The repository part of `owner/repo`, lower-cased, or null when the string is not of that form. */
export function repoNameOf(fullName: string | null | undefined): string | null {
  if (!fullName) return null;
  const slash = fullName.indexOf("/");
  if (slash < 0) return null;
  return fullName.slice(slash + 1).toLowerCase();
}

/** The owner part of `owner/repo`, or null. */
export function ownerOf(fullName: string | null | undefined): string | null {
  if (!fullName) return null;
  const slash = fullName.indexOf("/");
  return slash > 0 ? fullName.slice(0, slash) : null;
}
