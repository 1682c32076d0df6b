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
