// Signing plugin inputs exactly as the kernel does: plugin-sdk's PluginInput (the kernel's own client code),
// RSASSA-PKCS1-v1_5 / SHA-256 with a PKCS#8 PEM private key. Shared by `npm run send-sample` and `daemon-hotfix replay`.
import { randomUUID } from "node:crypto";
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
 * The signed plugin inputs the kernel would POST for this event.
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
  return new PluginInput(privateKey, stateId, /** @type {any} */ (eventName), /** @type {any} */ (payload), settings, authToken, ref, command).getInputs();
}
