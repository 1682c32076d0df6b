/**
 * The identity of one delivery, so that the kernel retrying the same event (or GitHub redelivering a webhook)
 * is enqueued once. Built from the event's own ids, never from the kernel's per-dispatch `stateId`.
 */
export function deliveryKey(parts: ReadonlyArray<string | number | null | undefined>): string {
  return parts.map((part) => (part === null || part === undefined ? "" : String(part))).join("|");
}

/** First 128 bits of SHA-256, hex: the event id stored and logged in place of the key. */
export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest)]
    .slice(0, 16)
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}
