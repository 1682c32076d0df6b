/**
 * The audience rule of plugin inputs (contract: "Audience and freshness of inputs"). The kernel signs every input
 * it sends to every plugin with one key, so a valid signature does not say the input was meant for daemon-hotfix:
 * another plugin that received an input could forward it here. When `ref` is an absolute http(s) URL — the URL the
 * kernel dispatched to — it must be on daemon-hotfix's own origin.
 */

const ABSOLUTE_HTTP = /^https?:\/\//i;

/** Why `ref` shows the input was meant for another destination, or null when it may be for us. Pure. */
export function audienceProblem(ref: string, ownOrigin: string): string | null {
  const trimmed = ref.trim();
  if (!ABSOLUTE_HTTP.test(trimmed)) return null;
  let origin: string;
  try {
    origin = new URL(trimmed).origin;
  } catch {
    return "ref is an http(s) URL that does not parse, so it does not name daemon-hotfix";
  }
  return origin.toLowerCase() === ownOrigin.toLowerCase() ? null : `ref is ${origin}, not daemon-hotfix's origin ${ownOrigin}: the input was signed for another plugin`;
}
