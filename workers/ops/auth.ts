import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors";
import type { AppEnv } from "../app-env";
import { configOf } from "../config";

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/** Compares a presented secret with the expected one in constant time (hashes first, so lengths do not leak). */
export async function safeEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b) && presented.length === expected.length;
}

/** The secret in `Authorization: Bearer <token>`, or in Basic credentials' password (so a browser can prompt). */
function presentedToken(header: string | undefined, allowBasic: boolean): string | null {
  if (!header) return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer?.[1]) return bearer[1].trim();
  const basic = allowBasic ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  if (basic?.[1]) {
    try {
      const decoded = atob(basic[1]);
      return decoded.slice(decoded.indexOf(":") + 1);
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Guards the ops endpoints with `ADMIN_TOKEN`. Without a configured token every request is refused (never open by
 * accident). `basic` also accepts HTTP Basic credentials whose password is the token, and asks the browser for them.
 */
export function requireAdmin(options: { basic?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = configOf(c.env).adminToken;
    const token = presentedToken(c.req.header("authorization"), options.basic ?? false);
    if (!expected || !token || !(await safeEqual(token, expected))) {
      if (options.basic) c.header("WWW-Authenticate", 'Basic realm="daemon-hotfix", charset="UTF-8"');
      throw new AppError(401, "unauthorised", expected ? "a valid admin token is required: Authorization: Bearer <ADMIN_TOKEN>" : "ADMIN_TOKEN is not configured");
    }
    await next();
  };
}
