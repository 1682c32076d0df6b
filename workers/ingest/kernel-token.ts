import { errors as joseErrors, jwtVerify } from "jose";
import * as v from "valibot";
import type { PluginInputs } from "../../shared/plugin-input";
import { AppError } from "../errors";

/** Clock skew allowed on the token's expiry (the kernel's own verifier allows the same). */
export const KERNEL_TOKEN_SKEW_SECONDS = 60;

/** The claims daemon-hotfix checks; the kernel also sends iss, aud, iat, jti, owner, repo, installation_id. */
const KernelTokenClaims = v.object({
  exp: v.number(),
  state_id: v.string(),
  auth_token_sha256: v.string(),
});

/** base64url (no padding) of SHA-256 of the text: how the kernel writes `auth_token_sha256`. */
async function sha256Base64Url(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function refused(reason: string): AppError {
  return new AppError(401, "invalid_kernel_token", `ubiquityKernelToken ${reason}`);
}

function whyNot(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "has expired";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "is not signed with RS256";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "is not signed with KERNEL_PUBLIC_KEY";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} is missing or invalid`;
  return "is not a JWT";
}

/**
 * When the input carries a `ubiquityKernelToken` (the kernel's attestation JWT), it must verify: RS256 with the
 * kernel's key, not expired (60 s skew), `state_id` equal to the input's `stateId`, and `auth_token_sha256` the
 * SHA-256 of its `authToken` — so a token cannot be replayed with another dispatch or another installation token.
 * An input without one is accepted (the signature is checked apart). 401 `invalid_kernel_token` otherwise.
 */
export async function assertKernelToken(key: CryptoKey, inputs: PluginInputs, now: Date): Promise<void> {
  const token = inputs.ubiquityKernelToken;
  if (token === undefined) return;
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ["RS256"],
      clockTolerance: KERNEL_TOKEN_SKEW_SECONDS,
      requiredClaims: ["exp", "state_id", "auth_token_sha256"],
      currentDate: now,
    }));
  } catch (error) {
    throw refused(whyNot(error));
  }
  const claims = v.safeParse(KernelTokenClaims, payload);
  if (!claims.success) throw refused("claims are not of the kernel's shape (exp, state_id, auth_token_sha256)");
  if (claims.output.state_id !== inputs.stateId) throw refused("state_id does not match the input's stateId");
  if (claims.output.auth_token_sha256 !== (await sha256Base64Url(inputs.authToken))) throw refused("auth_token_sha256 does not match the input's authToken");
}
