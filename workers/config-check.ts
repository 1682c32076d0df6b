import { AppError } from "./errors";
import { ConfigError, credentialsFrom, toPkcs8 } from "./github/credentials";
import { importKernelKey } from "./ingest/signature";
import { operatorDefaults } from "./ingest/settings";

/** Everything wrong with the Worker's configuration, in words an operator can act on (empty: all is well). */
export async function configProblems(env: Env): Promise<string[]> {
  const problems: string[] = [];
  if (!env.KERNEL_PUBLIC_KEY) problems.push("KERNEL_PUBLIC_KEY is not set: no kernel request can be verified");
  else {
    try {
      await importKernelKey(env.KERNEL_PUBLIC_KEY);
    } catch {
      problems.push("KERNEL_PUBLIC_KEY is not a PEM SPKI RSA public key");
    }
  }
  try {
    operatorDefaults(env.HOTFIX_CONFIG);
  } catch (error) {
    problems.push(error instanceof AppError ? error.publicMessage : "HOTFIX_CONFIG is invalid");
  }
  try {
    const credentials = credentialsFrom(env);
    if (credentials.kind === "app") {
      if (!/^\d+$/.test(credentials.appId)) problems.push("APP_ID must be the App's numeric id");
      toPkcs8(credentials.privateKey);
    }
  } catch (error) {
    problems.push(error instanceof ConfigError ? error.message : "GitHub credentials are unusable");
  }
  if (!env.ADMIN_TOKEN) problems.push("ADMIN_TOKEN is not set: the ops endpoints refuse every request");
  return problems;
}
