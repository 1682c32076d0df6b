/**
 * The events the benchmark sends: realistic `kernel.plugin_error` payloads (tests/helpers/events.ts) of workflow
 * plugins, one plugin repo per fingerprint, with the failure messages the kernel really produces.
 */
import { kernelPluginError } from "../tests/helpers/events.ts";

/** Failure messages as the kernel's code paths produce them (shared/kernel.md), with their HTTP status. */
const FAILURES: ReadonlyArray<{ message: string; status: number | null }> = [
  { message: "Not Found - https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event", status: 404 },
  { message: 'Unexpected inputs provided: ["kernelPublicKey"] - https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event', status: 422 },
  { message: "Resource not accessible by integration", status: 403 },
  { message: 'Workflow "compute.yml" not found on default branch "main"; GitHub requires workflow_dispatch workflows to exist on the default branch', status: null },
  { message: "No installation found for repo", status: null },
  { message: "Manifest is invalid.", status: null },
];

export interface Fingerprint {
  /** 0-based index (rank in the skewed distribution). */
  index: number;
  owner: string;
  repo: string;
  /** owner/repo */
  fullName: string;
  pluginId: string;
  message: string;
  status: number | null;
}

/** `n` fingerprints: one workflow plugin repo each (`<owner>/plugin-01` …), messages cycling through FAILURES. */
export function fingerprints(owner: string, n: number): Fingerprint[] {
  return Array.from({ length: n }, (_, index) => {
    const repo = `plugin-${String(index + 1).padStart(2, "0")}`;
    const failure = FAILURES[index % FAILURES.length] ?? { message: "Manifest is invalid.", status: null };
    return { index, owner, repo, fullName: `${owner}/${repo}`, pluginId: `${owner}/${repo}:compute.yml@main`, message: failure.message, status: failure.status };
  });
}

/** One occurrence of `fp`'s failure: its own request id, delivery id and time. */
export function occurrence(fp: Fingerprint, seq: number, at: Date): Record<string, unknown> {
  const requestId = `bench-${fp.owner}-${fp.index}-${seq}`;
  return kernelPluginError({
    plugin: { type: "workflow", id: fp.pluginId, owner: fp.owner, repo: fp.repo, workflowId: "compute.yml", ref: "main" },
    error: { message: fp.message, status: fp.status, category: "workflow" },
    // The reporter (the trigger repo's owner) owns the plugin repo, so the failure is filed there (issue 12's trust
    // rules file another owner's plugin failures in the reporter's own .ubiquity-os instead).
    trigger: { deliveryId: crypto.randomUUID(), repo: `${fp.owner}/work.ubq.fi`, issueOrPr: 42 + (seq % 50) },
    stateId: crypto.randomUUID(),
    requestId,
    timestamp: at.toISOString(),
    logLines: [
      `INFO Dispatching plugin | plugin=${fp.pluginId}`,
      `ERROR Error processing plugin; skipping | plugin=${fp.pluginId} err="${fp.message.replaceAll('"', '\\"')}"`,
    ],
  });
}
