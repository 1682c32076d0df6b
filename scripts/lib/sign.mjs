// Signing plugin inputs exactly as the kernel does: plugin-sdk's PluginInput (the kernel's own client code),
// RSASSA-PKCS1-v1_5 / SHA-256 with a PKCS#8 PEM private key. Shared by `npm run send-sample` and `daemon-hotfix replay`.
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { PRIVATE_KEY_PATH } from "../local-key.mjs";

/** Where `npm start` keeps the local kernel key (relative to the project directory). */
export const DEFAULT_KEY_PATH = PRIVATE_KEY_PATH;
export const DEFAULT_EVENT_NAME = "kernel.plugin_error";
/** The installation token local sends carry: a placeholder, never used against GitHub. */
export const LOCAL_AUTH_TOKEN = "ghs_localSampleInstallationToken000000000";

/**
 * The PEM private key at `path`, or undefined when it cannot be read.
 * @param {string} path
 */
export function readPrivateKey(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Makes `payload` a new occurrence, now: its own request id and the current time (in place).
 * @param {any} payload
 * @param {number} [index] told apart in the request id when several are sent in one millisecond
 */
export function freshOccurrence(payload, index = 0) {
  if (payload && typeof payload === "object") {
    if (payload.context && typeof payload.context === "object") payload.context.requestId = `sample-${Date.now()}-${index}`;
    if ("timestamp" in payload) payload.timestamp = new Date().toISOString();
  }
  return payload;
}

/**
 * The kernel's attestation token for one dispatch (ubiquity-os-kernel `createKernelAttestationToken`): RS256 with the
 * kernel's key, valid for an hour, bound to the input's `stateId` and (as base64url SHA-256) its `authToken`.
 * @param {{ privateKey: string, stateId: string, authToken: string, payload: any }} options
 */
export async function kernelAttestationToken({ privateKey, stateId, authToken, payload }) {
  const { importPKCS8, SignJWT } = await import("jose");
  const digest = createHash("sha256").update(authToken).digest("base64url");
  const repository = payload && typeof payload === "object" ? payload.repository : undefined;
  const [owner = "", repo = ""] = String(repository?.full_name ?? payload?.trigger?.repo ?? "/").split("/");
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: "ubiquity-os-kernel",
    aud: "ai.ubq.fi",
    iat,
    exp: iat + 3600,
    jti: randomUUID(),
    owner,
    repo,
    installation_id: typeof payload?.installation?.id === "number" ? payload.installation.id : null,
    auth_token_sha256: digest,
    state_id: stateId,
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .sign(await importPKCS8(privateKey, "RS256"));
}

/**
 * The signed plugin inputs the kernel would POST for this event, with the kernel's attestation token.
 * @param {{ privateKey: string, eventName: string, payload: unknown, settings: unknown, stateId?: string,
 *   authToken?: string, ref?: string, command?: { name: string, parameters: unknown } | null }} options
 */
export async function signPluginInputs({
  privateKey,
  eventName,
  payload,
  settings,
  stateId = randomUUID(),
  authToken = LOCAL_AUTH_TOKEN,
  ref = "main",
  command = null,
}) {
  // Loaded when needed, so the admin commands of the CLI do not depend on it.
  const { PluginInput } = await import("@ubiquity-os/plugin-sdk/signature");
  const token = await kernelAttestationToken({ privateKey, stateId, authToken, payload });
  return new PluginInput(privateKey, stateId, /** @type {any} */ (eventName), /** @type {any} */ (payload), settings, authToken, ref, command, token).getInputs();
}
