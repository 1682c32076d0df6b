import { configOf } from "./index";
import { importKernelKey } from "./kernel-key";

/** Everything wrong with the Worker's configuration, in words an operator can act on (empty: all is well). */
export async function configProblems(env: Env): Promise<string[]> {
  const config = configOf(env);
  const problems: string[] = [];
  const pem = config.kernel.publicKeyPem;
  if (!pem) problems.push("KERNEL_PUBLIC_KEY is not set: no kernel request can be verified");
  else {
    try {
      await importKernelKey(pem);
    } catch {
      problems.push("KERNEL_PUBLIC_KEY is not a PEM SPKI RSA public key");
    }
  }
  return [...problems, ...config.problems];
}
