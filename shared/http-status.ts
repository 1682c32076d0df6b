/**
 * Recovers the HTTP status of a failed dispatch from its message when the kernel sent `status: null`.
 * The kernel's own regex expects `HTTP 502: …`, but worker failures read `HTTP (target: <url>) 500: <body>`;
 * both forms are understood, as are Cloudflare's `error code: 1101` pages (reported as 500, the status they
 * are served with).
 */
export function recoverHttpStatus(message: string, reported: number | null | undefined): number | null {
  if (typeof reported === "number" && reported >= 100 && reported <= 599) return reported;
  const http = /\bHTTP(?:\/[\d.]+)?\s*(?:\(target:[^)]*\))?\s*:?\s*([1-5]\d\d)\b/i.exec(message);
  if (http?.[1]) return Number(http[1]);
  const statusWord = /\bstatus(?:\s+code)?\s*[:=]?\s*([1-5]\d\d)\b/i.exec(message);
  if (statusWord?.[1]) return Number(statusWord[1]);
  if (/\berror code:?\s*11\d\d\b/i.test(message)) return 500;
  return null;
}
