import { createPrivateKey } from "node:crypto";

/** GitHub credentials are missing or unusable: an operator's error, said plainly. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type Credentials = { kind: "token"; token: string } | { kind: "app"; appId: string; privateKey: string };

/**
 * The credentials GitHub writes use: the App (APP_ID + APP_PRIVATE_KEY) when configured — installation tokens
 * minted per target repo — else GITHUB_TOKEN. Neither: a ConfigError.
 */
export function credentialsFrom(env: Pick<Env, "GITHUB_TOKEN" | "APP_ID" | "APP_PRIVATE_KEY">): Credentials {
  if (env.APP_ID && env.APP_PRIVATE_KEY) return { kind: "app", appId: env.APP_ID, privateKey: env.APP_PRIVATE_KEY };
  if (env.APP_ID || env.APP_PRIVATE_KEY) throw new ConfigError("GitHub App credentials are incomplete: set both APP_ID and APP_PRIVATE_KEY");
  if (env.GITHUB_TOKEN) return { kind: "token", token: env.GITHUB_TOKEN };
  throw new ConfigError("no GitHub credentials: set GITHUB_TOKEN, or APP_ID and APP_PRIVATE_KEY");
}

/**
 * A GitHub App private key as PKCS#8 PEM. GitHub hands out PKCS#1 (`BEGIN RSA PRIVATE KEY`), which WebCrypto (and
 * so the JWT signer in workerd) cannot import: node:crypto converts it. `\n` escapes are accepted.
 */
export function toPkcs8(pem: string): string {
  const text = pem.includes("\\n") ? pem.replace(/\\n/g, "\n") : pem;
  if (text.includes("-----BEGIN PRIVATE KEY-----")) return text;
  try {
    return String(createPrivateKey(text).export({ type: "pkcs8", format: "pem" }));
  } catch {
    throw new ConfigError("APP_PRIVATE_KEY is not a PEM RSA private key (PKCS#1 or PKCS#8)");
  }
}

/** What is wrong with the GitHub credentials, or null when they are usable. */
export function credentialsProblem(env: Pick<Env, "GITHUB_TOKEN" | "APP_ID" | "APP_PRIVATE_KEY">): string | null {
  try {
    const credentials = credentialsFrom(env);
    if (credentials.kind === "app") {
      if (!/^\d+$/.test(credentials.appId)) return "APP_ID must be the App's numeric id";
      toPkcs8(credentials.privateKey);
    }
    return null;
  } catch (error) {
    return error instanceof ConfigError ? error.message : "GitHub credentials are unusable";
  }
}
