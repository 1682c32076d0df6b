// The local stand-in for the kernel's key: made once by `npm start`, used by `npm run send-sample`.
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const DEV_DIR = ".dev";
export const PRIVATE_KEY_PATH = join(DEV_DIR, "kernel-private.pem");
export const PUBLIC_KEY_PATH = join(DEV_DIR, "kernel-public.pem");

/** Returns the local key pair, creating it the first time. */
export function ensureLocalKernelKey() {
  if (!existsSync(PRIVATE_KEY_PATH) || !existsSync(PUBLIC_KEY_PATH)) {
    mkdirSync(DEV_DIR, { recursive: true });
    const { publicKey, privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    writeFileSync(PRIVATE_KEY_PATH, privateKey, { mode: 0o600 });
    writeFileSync(PUBLIC_KEY_PATH, publicKey);
    console.log(`[start] made a local kernel key pair in ${DEV_DIR}/ (send-sample signs with it)`);
  }
  return { privateKey: readFileSync(PRIVATE_KEY_PATH, "utf8"), publicKey: readFileSync(PUBLIC_KEY_PATH, "utf8") };
}
