import { AppError } from "../errors";

/** Opaque keyset cursors: base64url of the last row's sort key. */
export function encodeCursor(key: readonly [string, string]): string {
  return btoa(JSON.stringify(key)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string | undefined): [string, string] | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === "string")) return [parsed[0] as string, parsed[1] as string];
  } catch {
    // fall through
  }
  throw new AppError(400, "invalid_query", "cursor is not one this service handed out", [{ path: "cursor", message: "use nextCursor from the previous page" }]);
}

export function pageLimit(raw: string | undefined, max = 200, fallback = 50): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new AppError(400, "invalid_query", `limit must be an integer from 1 to ${max}`, [{ path: "limit", message: `1..${max}` }]);
  return n;
}
