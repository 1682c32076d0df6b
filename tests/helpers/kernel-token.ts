import { env } from "cloudflare:workers";
import { importPKCS8, SignJWT } from "jose";

/**
 * The kernel's attestation JWT (`ubiquityKernelToken`), built as ubiquity-os-kernel's
 * `createKernelAttestationToken` builds it: header `{alg: "RS256", typ: "JWT"}`, the claims below, signed with the
 * kernel's private key (the one that signs the inputs), `auth_token_sha256` = base64url(SHA-256(authToken)).
 */
export interface KernelTokenOptions {
  stateId: string;
  authToken: string;
  owner?: string;
  repo?: string;
  installationId?: number | null;
  /** Seconds since the epoch (default: now). */
  iat?: number;
  /** Lifetime in seconds (the kernel's plugin dispatch uses one hour). */
  ttlSeconds?: number;
  privateKey?: string;
  /** Overrides of the claims (to build a token that must be refused). */
  claims?: Record<string, unknown>;
  alg?: "RS256" | "PS256";
}

async function sha256Base64Url(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function kernelToken(opts: KernelTokenOptions): Promise<string> {
  const alg = opts.alg ?? "RS256";
  const iat = opts.iat ?? Math.floor(Date.now() / 1000);
  const key = await importPKCS8(opts.privateKey ?? env.TEST_KERNEL_PRIVATE_KEY, alg);
  return new SignJWT({
    iss: "ubiquity-os-kernel",
    aud: "ai.ubq.fi",
    iat,
    exp: iat + (opts.ttlSeconds ?? 3600),
    jti: crypto.randomUUID(),
    owner: opts.owner ?? "ubiquity",
    repo: opts.repo ?? "work.ubq.fi",
    installation_id: opts.installationId === undefined ? 48381972 : opts.installationId,
    auth_token_sha256: await sha256Base64Url(opts.authToken),
    state_id: opts.stateId,
    ...opts.claims,
  })
    .setProtectedHeader({ alg, typ: "JWT" })
    .sign(key);
}
