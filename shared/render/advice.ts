import type { FailureEvent } from "../failure-event";

/**
 * Suggested next actions for a failure, chosen from its category, status and message by fixed rules (a
 * deterministic template, not a decision made by an AI).
 */
export function nextActions(failure: FailureEvent): string[] {
  const actions: string[] = [];
  const message = failure.message;
  const status = failure.status;
  if (failure.kind !== "plugin_error") {
    actions.push("Open the run linked above and read the failing step's log; re-run the failed jobs once to rule out a flake.");
    if (failure.conclusion === "timed_out") actions.push("The run timed out: look for a hanging step or raise `timeout-minutes` deliberately.");
    if (failure.conclusion === "startup_failure") actions.push("The workflow failed to start: validate the workflow file (syntax, `uses:` references, permissions).");
    actions.push("Add a regression test that reproduces the failure before fixing it.");
    return actions;
  }
  if (/error code:?\s*1101/i.test(message)) actions.push("Cloudflare 1101: the Worker threw. Check `wrangler tail` or the Worker's logs around the first-seen time.");
  if (/error code:?\s*1102/i.test(message)) actions.push("Cloudflare 1102: the Worker exceeded its CPU limit. Profile the handler for this event.");
  if (status === 401 || /Invalid signature/i.test(message)) actions.push("Signature rejected: check that the plugin's `KERNEL_PUBLIC_KEY` matches the kernel's key and that the plugin-sdk versions agree.");
  if (/Unexpected inputs provided/i.test(message)) actions.push("The workflow's `workflow_dispatch` inputs do not match what the kernel sends: update the inputs of the plugin's workflow.");
  if (/not found on default branch/i.test(message) || (status === 404 && failure.plugin.type === "workflow")) {
    actions.push("`workflow_dispatch` workflows must exist on the default branch: merge the workflow file there.");
  }
  if (/Resource not accessible by integration/i.test(message)) actions.push("The kernel's GitHub App lacks a permission or is not installed on this repo: check the App's installation and permissions.");
  if (/No installation found/i.test(message)) actions.push("Install the kernel's GitHub App on the plugin's repo.");
  if (/Manifest is invalid/i.test(message)) actions.push("Validate `manifest.json` against the plugin-sdk's manifest schema.");
  if (status !== null && status >= 500) actions.push("A 5xx from the plugin: search its logs for the request ids below and add a test for this event.");
  if (failure.category === "timeout" || /timed? ?out/i.test(message)) actions.push("The dispatch timed out: the kernel waits for workers in sequence, so make the handler answer quickly and defer slow work.");
  if (actions.length === 0) actions.push("Reproduce with the event below, add a failing test, then fix.");
  return actions;
}
