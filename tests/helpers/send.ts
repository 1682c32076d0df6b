import { expect } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import { kernelPluginError } from "./events";
import { jsonRequest, postToWorker, signAsKernel } from "./kernel";

export const unique = () => crypto.randomUUID().slice(0, 8);

/** A fresh plugin repo per test: tests of one file share their Miniflare and the GitHub double. */
export function pluginRepo(prefix = "plugin"): string {
  return `acme/${prefix}-${unique()}`;
}

export interface SendOptions {
  message?: string;
  requestId?: string;
  settings?: Record<string, unknown>;
  plugin?: Record<string, unknown>;
  error?: Record<string, unknown>;
  trigger?: Record<string, unknown>;
  logLines?: string[];
}

/** A workflow plugin in `repo` failing the way the kernel reports it (triggered in a repo of the same owner), signed and sent through the real Worker. */
export async function sendFailure(repo: string, opts: SendOptions = {}): Promise<IngestAnswer> {
  const [owner, name] = repo.split("/");
  const payload = kernelPluginError({
    plugin: { type: "workflow", id: `${repo}:compute.yml@main`, owner, repo: name, workflowId: "compute.yml", ...opts.plugin },
    error: { message: opts.message ?? "HTTP 500: Unexpected error", status: null, category: "workflow", ...opts.error },
    requestId: opts.requestId ?? `req-${unique()}`,
    timestamp: new Date().toISOString(),
    // The reporter (the trigger repo's owner) owns the plugin repo unless a test says otherwise: issue 12's rules
    // file a failure in another owner's repo only when HOTFIX_POLICY.targetOwners allows it.
    trigger: { repo: `${owner}/app`, ...opts.trigger },
    ...(opts.logLines ? { logLines: opts.logLines } : {}),
  });
  const res = await postToWorker(jsonRequest(await signAsKernel(payload, { settings: opts.settings ?? {} })));
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<IngestAnswer>();
}
