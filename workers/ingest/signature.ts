import type { PluginInputs } from "../../shared/plugin-input";

const keyCache = new Map<string, Promise<CryptoKey>>();

function pemBody(pem: string): Uint8Array {
  const base64 = pem
    .replace(/\\n/g, "\n")
    .replace(/-----(BEGIN|END) [A-Z ]+-----/g, "")
    .replace(/\s+/g, "");
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

/** Imports the kernel's SPKI public key once per isolate (a deploy changes the isolate when the key changes). */
export function importKernelKey(pem: string): Promise<CryptoKey> {
  let key = keyCache.get(pem);
  if (!key) {
    key = crypto.subtle.importKey("spki", pemBody(pem), { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
    key.catch(() => keyCache.delete(pem));
    keyCache.set(pem, key);
  }
  return key;
}

/**
 * The exact bytes the kernel signs: `JSON.stringify` of the inputs in this order, the strings as sent
 * (an absent `ubiquityKernelToken` is left out by JSON.stringify, as in the kernel).
 */
export function signedText(inputs: PluginInputs): string {
  return JSON.stringify({
    stateId: inputs.stateId,
    eventName: inputs.eventName,
    eventPayload: inputs.eventPayload,
    settings: inputs.settings,
    authToken: inputs.authToken,
    ubiquityKernelToken: inputs.ubiquityKernelToken,
    ref: inputs.ref,
    command: inputs.command,
  });
}

/** RSASSA-PKCS1-v1_5 / SHA-256 verification of the base64 `signature` over `signedText(inputs)`. */
export async function verifyKernelSignature(key: CryptoKey, inputs: PluginInputs): Promise<boolean> {
  if (!inputs.signature) return false;
  let signature: Uint8Array;
  try {
    signature = Uint8Array.from(atob(inputs.signature), (char) => char.charCodeAt(0));
  } catch {
    return false;
  }
  return crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, new TextEncoder().encode(signedText(inputs)));
}
