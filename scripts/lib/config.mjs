// Where the service is and how to authenticate: flags, then the environment, then ./.dev.vars (written by `npm start`).
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CliError, EXIT } from "./errors.mjs";

export const DEFAULT_URL = "http://127.0.0.1:8787";
export const DEV_VARS = ".dev.vars";

/**
 * The values of a dotenv file (`KEY="value"`, `KEY='value'` or `KEY=value` lines; `#` comments).
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseDotenv(text) {
  /** @type {Record<string, string>} */
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2];
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    vars[match[1]] = value;
  }
  return vars;
}

/**
 * The base URL of the service, without a trailing slash.
 * @param {string | undefined} flag
 * @param {NodeJS.ProcessEnv} env
 */
export function resolveUrl(flag, env) {
  const raw = flag ?? (env.DAEMON_HOTFIX_URL || DEFAULT_URL);
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${JSON.stringify(raw)} is not a URL (--url / DAEMON_HOTFIX_URL)`, EXIT.USAGE);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`${raw} is not an http(s) URL (--url / DAEMON_HOTFIX_URL)`, EXIT.USAGE);
  }
  url.search = "";
  url.hash = "";
  return url.href.replace(/\/+$/, "");
}

/**
 * The admin token and where it came from, or undefined when none is given anywhere.
 * @param {string | undefined} flag
 * @param {NodeJS.ProcessEnv} env
 * @param {string} cwd
 * @returns {{ token: string, source: string } | undefined}
 */
export function resolveToken(flag, env, cwd) {
  if (flag) return { token: flag, source: "--token" };
  if (env.DAEMON_HOTFIX_TOKEN) return { token: env.DAEMON_HOTFIX_TOKEN, source: "DAEMON_HOTFIX_TOKEN" };
  const path = resolve(cwd, DEV_VARS);
  if (existsSync(path)) {
    let text;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
    const token = parseDotenv(text).ADMIN_TOKEN;
    if (token) return { token, source: `ADMIN_TOKEN in ${DEV_VARS}` };
  }
  return undefined;
}

export const NO_TOKEN_MESSAGE =
  "no admin token: pass --token TOKEN, set DAEMON_HOTFIX_TOKEN, or run from the directory whose .dev.vars has ADMIN_TOKEN (written by `npm start`)";
