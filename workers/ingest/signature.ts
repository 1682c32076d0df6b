import type { PluginInputs } from "../../shared/plugin-input";

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

const encoder = new TextEncoder();

/** RSASSA-PKCS1-v1_5 / SHA-256 verification of the base64 `signature` over `signedText(inputs)`. */
export async function verifyKernelSignature(key: CryptoKey, inputs: PluginInputs): Promise<boolean> {
  if (!inputs.signature) return false;
  let binary: string;
  try {
    binary = atob(inputs.signature);
  } catch {
    return false;
  }
  const signature = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) signature[i] = binary.charCodeAt(i);
  return crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, encoder.encode(signedText(inputs)));
}
