import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { PluginInput } from "@ubiquity-os/plugin-sdk/signature";
import { createApp } from "../../workers/ingest/app";
import { kernelToken } from "./kernel-token";

/** What plugin-sdk's `PluginInput.getInputs()` returns: exactly the body the kernel POSTs. */
export type SignedInputs = Awaited<ReturnType<PluginInput["getInputs"]>>;

export const AUTH_TOKEN_CANARY = "ghs_CANARYauthTokenFromKernel0123456789ab";
export const KERNEL_JWT_CANARY =
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ1YmlxdWl0eS1vcy1rZXJuZWwiLCJjYW5hcnkiOnRydWV9.c2lnbmF0dXJlLWNhbmFyeQ";

export interface SignOptions {
  eventName?: string;
  stateId?: string;
  settings?: Record<string, unknown> | null;
  authToken?: string;
  /** Default: a valid kernel attestation token for this stateId and authToken; `undefined`: none (left out). */
  ubiquityKernelToken?: string | undefined;
  /** Default "main"; the kernel sends the worker's URL for a GitHub-keyed worker plugin. */
  ref?: string;
  privateKey?: string;
}

/**
 * Signs an event like the kernel does, with the kernel's own client code (plugin-sdk), carrying — as the kernel's
 * dispatch does — an attestation token bound to the input's stateId and authToken.
 */
export async function signAsKernel(eventPayload: Record<string, unknown>, opts: SignOptions = {}): Promise<SignedInputs> {
  const stateId = opts.stateId ?? crypto.randomUUID();
  const authToken = opts.authToken ?? AUTH_TOKEN_CANARY;
  const privateKey = opts.privateKey ?? env.TEST_KERNEL_PRIVATE_KEY;
  const token = "ubiquityKernelToken" in opts ? opts.ubiquityKernelToken : await kernelToken({ stateId, authToken, privateKey });
  const input = new PluginInput(
    privateKey,
    stateId,
    // The SDK types eventName as GitHub webhook names; the kernel also sends its own `kernel.plugin_error`.
    (opts.eventName ?? "kernel.plugin_error") as never,
    eventPayload as never,
    (opts.settings === undefined ? {} : opts.settings) as never,
    authToken,
    opts.ref ?? "main",
    null,
    token,
  );
  return input.getInputs();
}

export function jsonRequest(body: unknown, init: { contentType?: string | null; path?: string } = {}): Request {
  const headers = new Headers();
  if (init.contentType !== null) headers.set("content-type", init.contentType ?? "application/json");
  return new Request(`https://daemon-hotfix.example.test${init.path ?? "/"}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** POSTs to the deployed entry point (real queue, real Durable Objects, real D1). */
export function postToWorker(request: Request): Promise<Response> {
  return exports.default.fetch(request);
}

/** A queue producer that records what would be enqueued. */
export class RecordingQueue {
  readonly sent: unknown[] = [];
  failNext = false;
  /** Refuses every send while set (the queue is down). */
  refuse = false;
  async send(body: unknown): Promise<void> {
    if (this.refuse) throw new Error("queue unavailable");
    if (this.failNext) {
      this.failNext = false;
      throw new Error("queue unavailable");
    }
    this.sent.push(body);
  }
  async sendBatch(messages: Iterable<{ body: unknown }>): Promise<void> {
    if (this.refuse) throw new Error("queue unavailable");
    for (const message of messages) this.sent.push(message.body);
  }
}

/** Runs the ingest app with bindings overridden (e.g. a recording queue), waiting for its background work. */
export type EnvOverrides = Omit<Partial<Env>, "EVENTS"> & { EVENTS?: RecordingQueue };

export async function postWith(request: Request, overrides: EnvOverrides = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await createApp().fetch(request, { ...env, ...overrides } as unknown as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** A second RSA key the kernel does not hold, as PKCS#8 PEM. */
export async function foreignPrivateKey(): Promise<string> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const der = (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer;
  const base64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN PRIVATE KEY-----\n${base64.match(/.{1,64}/g)?.join("\n")}\n-----END PRIVATE KEY-----\n`;
}
