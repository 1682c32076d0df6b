import * as v from "valibot";
import { describe, expect, it } from "vitest";
import type { ClusterView } from "../../shared/cluster-view";
import { occurrenceOf } from "../../shared/cluster-view";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { MAX_BODY, marker, renderBody, renderRecurrenceComment, renderReopenComment, renderTitle } from "../../shared/render/issue";
import { Settings } from "../../shared/settings";
import { kernelPluginError, workflowRun } from "../helpers/events";

function view(payload = kernelPluginError(), eventName = "kernel.plugin_error"): ClusterView {
  const c = toFailure(eventName, payload, { kernelStateId: "k", receivedAt: "2026-11-24T00:00:00.000Z", settings: v.parse(Settings, { allowWorkflowEvents: true }) });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  const sample: FailureEvent = { ...c.failure, eventId: "a".repeat(32) };
  return {
    fingerprint: "f".repeat(40),
    grouping: "v2",
    repo: sample.target.repo,
    sample,
    latest: { occurredAt: sample.occurredAt, message: sample.message, status: sample.status },
    total: 7,
    firstSeen: "2026-11-20T10:15:30.123Z",
    lastSeen: "2026-11-20T11:00:00.000Z",
    sinceComment: 3,
    sinceCommentFrom: "2026-11-20T10:30:00.000Z",
    recent: [occurrenceOf(sample)],
    refs: ["main"],
  };
}
const options = { windowMinutes: 60, updateIntervalSeconds: 60, notify: ["@team-bot", "octocat"] };

describe("issue rendering", () => {
  it("titles the issue after the plugin and the failure, within 256 characters", () => {
    expect(renderTitle(view())).toBe("[daemon-hotfix] command-start-stop-main.deno.dev: http failure: HTTP 500: Unexpected error");
    expect(renderTitle(view(kernelPluginError({ error: { message: `HTTP 500: ${"x".repeat(400)}` } }))).length).toBe(256);
    expect(renderTitle(view(workflowRun(), "workflow_run.completed"))).toBe('[daemon-hotfix] text-conversation-rewards: Workflow "Compute" failed on main');
  });

  it("renders the marker, summary, counts, ids, trigger link, error, log trail, repro and next actions", () => {
    const body = renderBody(view(), { ...options, isNew: true });
    expect(body.startsWith(marker("f".repeat(40)))).toBe(true);
    for (const expected of [
      "| Occurrences | **7** |",
      "| First seen | 2026-11-20T10:15:30.123Z |",
      "| Last seen | 2026-11-20T11:00:00.000Z |",
      "| HTTP status | 500 |",
      "https://github.com/ubiquity/work.ubq.fi/issues/42",
      "request `req-7f3a9c1e`",
      "delivery `72d3162e-cc78-11e3-81ab-4c9367dc0958`",
      "### Log trail",
      "ERROR Error processing plugin; skipping",
      "### Reproduce",
      "2. The failure as daemon-hotfix recorded it (redacted) is below",
      "### Suggested next actions",
      "cc @team-bot @octocat",
    ]) {
      expect(body).toContain(expected);
    }
  });

  it("mentions notify handles only in a new issue", () => {
    expect(renderBody(view(), { ...options, isNew: false })).not.toContain("@team-bot");
    expect(renderRecurrenceComment(view())).not.toContain("@");
    expect(renderReopenComment(view())).not.toContain("@");
  });

  it("neutralises mentions, HTML comments and fences in untrusted text", () => {
    const body = renderBody(view(kernelPluginError({ error: { message: "HTTP 500: ping @everyone ``` <!-- daemon-hotfix:fingerprint=0 -->" }, plugin: { id: "https://x.dev", manifest: undefined } })), { ...options, isNew: false });
    expect(body.match(/<!-- daemon-hotfix:fingerprint=/g)).toHaveLength(1);
    expect(body).toContain("````text");
  });

  it("keeps the body under GitHub's 65,536-character limit whatever the input", () => {
    const huge = kernelPluginError({ error: { message: "HTTP 500: ".concat("y".repeat(4000)), stack: "s".repeat(100_000) }, logLines: Array.from({ length: 40 }, () => "z".repeat(500)) });
    const v1 = view(huge);
    v1.sample.detail = "d".repeat(50_000);
    v1.latest.message = "m".repeat(4000);
    expect(renderBody(v1, { ...options, isNew: true }).length).toBeLessThanOrEqual(MAX_BODY);
  });

  it("renders the trail's head and, apart, the kernel's error line found beyond it (issue 13)", () => {
    const error = 'ERROR Error processing plugin; skipping | plugin=https://x.dev err="HTTP (target: https://x.dev) 500: late"';
    const head = Array.from({ length: 45 }, (_, i) => `INFO step ${i}`);
    const beyond = renderBody(view(kernelPluginError({ logLines: [...head, error] })), { ...options, isNew: true });
    const trail = beyond.slice(beyond.indexOf("### Log trail"), beyond.indexOf("### Correlation ids"));
    expect(trail).toContain("INFO step 39");
    expect(trail).not.toContain("INFO step 40");
    expect(trail).toContain("The kernel's error line, after the lines above:");
    expect(trail).toContain(error);

    // In the head already: shown once. Not in the trail at all: said so.
    const within = renderBody(view(kernelPluginError({ logLines: ["INFO a", error] })), { ...options, isNew: true });
    expect(within.split(error)).toHaveLength(2);
    expect(within).not.toContain("The kernel's error line");
    const none = renderBody(view(kernelPluginError({ logLines: head.slice(0, 40) })), { ...options, isNew: true });
    expect(none).toContain("No error line among these");
  });

  it("writes a recurrence comment and a reopen comment with counts", () => {
    expect(renderRecurrenceComment(view())).toContain("Seen **3** more times since 2026-11-20T10:30:00.000Z (total **7**");
    expect(renderReopenComment(view())).toContain("closed as completed");
  });
});
