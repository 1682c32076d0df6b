/**
 * Globs for plugin ids, categories, messages and repos: `*` any run of characters (slashes included, since
 * plugin ids are URLs), `?` one character, everything else literal; case-insensitive, anchored at both ends.
 *
 * Matched by the two-pointer wildcard algorithm, not a RegExp: when a literal fails after a `*`, only the most
 * recent `*` takes one more character, so the work is at most (text length × pattern length) character steps
 * whatever the input — `*a*a*ab` against 2,000 × `a` (3 s as a backtracking RegExp) is ~4,000 steps here. Patterns
 * are bounded by `GLOB_LIMITS` (checked where settings are validated), texts by the failure's own limits.
 */

export const GLOB_LIMITS = { maxLength: 200, maxStars: 10 } as const;

/** Why a glob is refused (too long, too many stars), or null when it is usable. */
export function globProblem(glob: string): string | null {
  if (glob.length > GLOB_LIMITS.maxLength) return `glob longer than ${GLOB_LIMITS.maxLength} characters`;
  let stars = 0;
  for (const char of glob) if (char === "*") stars++;
  return stars > GLOB_LIMITS.maxStars ? `glob with more than ${GLOB_LIMITS.maxStars} "*"` : null;
}

export function globMatch(glob: string, text: string): boolean {
  const pattern = [...glob.toLowerCase()];
  const subject = [...text.toLowerCase()];
  let p = 0;
  let t = 0;
  let star = -1; // position of the last `*` seen in the pattern
  let resume = 0; // where in the subject that `*` would take its next character
  while (t < subject.length) {
    const char = pattern[p];
    if (char === "*") {
      star = p++;
      resume = t;
    } else if (char !== undefined && (char === "?" || char === subject[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
