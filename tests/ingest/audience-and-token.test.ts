import { describe, expect, it } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import type { ErrorBody } from "../../workers/errors";
import { kernelPluginError } from "../helpers/events";
import { AUTH_TOKEN_CANARY, foreignPrivateKey, jsonRequest, postWith, RecordingQueue, signAsKernel, type SignOptions } from "../helpers/kernel";
import { kernelToken } from "../helpers/kernel-token";

// Issue 12: "Any input signed for another plugin is accepted" — `ref` was not checked and the ubiquityKernelToken
// was not verified at all.

const unique = () => crypto.randomUUID().slice(0, 8);
const now = () => Math.floor(Date.now() / 1000);

async function send(opts: SignOptions, env: Pick<Partial<Env>, "PUBLIC_URL"> = {}): Promise<Response> {
  const inputs = await signAsKernel(kernelPluginError({ requestId: unique() }), opts);
  return postWith(jsonRequest(inputs), { EVENTS: new RecordingQueue(), ...env });
}

async function refusedWith(res: Response, code: string): Promise<ErrorBody> {
  expect(res.status, await res.clone().text()).toBe(401);
  const body = await res.json<ErrorBody>();
  expect(body.error).toBe(code);
  return body;
}

async function accepted(res: Response): Promise<void> {
  expect(res.status, await res.clone().text()).toBe(200);
  expect((await res.json<IngestAnswer>()).output.status).toBe("queued");
}

describe("audience: ref (401 wrong_audience)", () => {
  it("refuses an input the kernel signed for another plugin (ref is that plugin's URL)", async () => {
    const body = await refusedWith(await send({ ref: "https://command-start-stop-main.deno.dev" }), "wrong_audience");
    expect(body.message).toContain("https://command-start-stop-main.deno.dev");
  });

  it("accepts ref on PUBLIC_URL's origin, and a ref that is not a URL (a branch)", async () => {
    await accepted(await send({ ref: "https://daemon-hotfix.example.test" }));
    await accepted(await send({ ref: "https://DAEMON-HOTFIX.example.test/some/path?x=1" }));
    await accepted(await send({ ref: "main" }));
    await accepted(await send({ ref: "" }));
  });

  it("with PUBLIC_URL set, only its origin is ours — not the origin the request came in on", async () => {
    const env = { PUBLIC_URL: "https://hotfix.public.test" };
    await refusedWith(await send({ ref: "https://daemon-hotfix.example.test" }, env), "wrong_audience");
    await accepted(await send({ ref: "https://hotfix.public.test/" }, env));
  });

  it("without PUBLIC_URL, the request's origin is ours", async () => {
    const env = { PUBLIC_URL: "" };
    await accepted(await send({ ref: "https://daemon-hotfix.example.test" }, env));
    await refusedWith(await send({ ref: "http://daemon-hotfix.example.test" }, env), "wrong_audience");
    await refusedWith(await send({ ref: "https://daemon-hotfix.example.test.evil.test" }, env), "wrong_audience");
  });
});

describe("ubiquityKernelToken (401 invalid_kernel_token)", () => {
  const stateId = () => crypto.randomUUID();

  it("accepts the kernel's token bound to this input, and an input without one", async () => {
    const id = stateId();
    await accepted(await send({ stateId: id, ubiquityKernelToken: await kernelToken({ stateId: id, authToken: AUTH_TOKEN_CANARY }) }));
    await accepted(await send({ ubiquityKernelToken: undefined }));
  });

  it("refuses an expired token, and accepts one expired within the 60 s skew", async () => {
    const id = stateId();
    const expired = await kernelToken({ stateId: id, authToken: AUTH_TOKEN_CANARY, iat: now() - 3700, ttlSeconds: 3600 });
    const body = await refusedWith(await send({ stateId: id, ubiquityKernelToken: expired }), "invalid_kernel_token");
    expect(body.message).toContain("expired");
    const justExpired = await kernelToken({ stateId: id, authToken: AUTH_TOKEN_CANARY, iat: now() - 3630, ttlSeconds: 3600 });
    await accepted(await send({ stateId: id, ubiquityKernelToken: justExpired }));
  });

  it("refuses a token minted for another dispatch (state_id ≠ stateId)", async () => {
    const id = stateId();
    const other = await kernelToken({ stateId: stateId(), authToken: AUTH_TOKEN_CANARY });
    const body = await refusedWith(await send({ stateId: id, ubiquityKernelToken: other }), "invalid_kernel_token");
    expect(body.message).toContain("state_id");
  });

  it("refuses a token bound to another installation token (auth_token_sha256 ≠ SHA-256 of authToken)", async () => {
    const id = stateId();
    const other = await kernelToken({ stateId: id, authToken: "ghs_anotherInstallationToken000000000000" });
    const body = await refusedWith(await send({ stateId: id, ubiquityKernelToken: other }), "invalid_kernel_token");
    expect(body.message).toContain("auth_token_sha256");
    // A hex digest is not the kernel's encoding (base64url) either.
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(AUTH_TOKEN_CANARY)));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    const hexToken = await kernelToken({ stateId: id, authToken: AUTH_TOKEN_CANARY, claims: { auth_token_sha256: hex } });
    await refusedWith(await send({ stateId: id, ubiquityKernelToken: hexToken }), "invalid_kernel_token");
  });

  it("refuses a token not signed with KERNEL_PUBLIC_KEY's private half, or not RS256", async () => {
    const id = stateId();
    const forged = await kernelToken({ stateId: id, authToken: AUTH_TOKEN_CANARY, privateKey: await foreignPrivateKey() });
    expect((await refusedWith(await send({ stateId: id, ubiquityKernelToken: forged }), "invalid_kernel_token")).message).toContain("KERNEL_PUBLIC_KEY");
    const ps256 = await kernelToken({ stateId: id, authToken: AUTH_TOKEN_CANARY, alg: "PS256" });
    expect((await refusedWith(await send({ stateId: id, ubiquityKernelToken: ps256 }), "invalid_kernel_token")).message).toContain("RS256");
  });

  it("refuses a token without exp, state_id or auth_token_sha256, and one that is not a JWT", async () => {
    const id = stateId();
    for (const missing of ["exp", "state_id", "auth_token_sha256"]) {
      const token = await kernelToken({ stateId: id, authToken: AUTH_TOKEN_CANARY, claims: { [missing]: undefined } });
      expect((await refusedWith(await send({ stateId: id, ubiquityKernelToken: token }), "invalid_kernel_token")).message).toContain(missing);
    }
    await refusedWith(await send({ ubiquityKernelToken: "not-a-jwt" }), "invalid_kernel_token");
    await refusedWith(await send({ ubiquityKernelToken: "" }), "invalid_kernel_token");
  });
});
