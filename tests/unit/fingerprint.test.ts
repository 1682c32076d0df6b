import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { fingerprint, fingerprintParts } from "../../shared/fingerprint";
import { normalizeMessage } from "../../shared/normalize-message";
import { Settings } from "../../shared/settings";
import { kernelPluginError, workflowRun } from "../helpers/events";

describe("message normalisation", () => {
  it.each([
    ["email", "mail to jane.doe@example.com bounced", "mail to <email> bounced"],
    ["URL query and fragment", "GET https://api.example.com/v1/items?id=42&t=9#x failed", "GET https://api.example.com/v1/items failed"],
    ["URL port", "connect http://localhost:8787/api refused", "connect http://localhost/api refused"],
    ["IPv4 with port", "connect ECONNREFUSED 10.0.3.17:5432", "connect ECONNREFUSED <ip>"],
    ["IPv6", "from 2001:db8:85a3::8a2e:370:7334 denied", "from <ip> denied"],
    ["UUID", "state 4c8d1e2f-0a1b-4c3d-9e8f-112233445566 missing", "state <uuid> missing"],
    ["SHA-1", "commit acb5820ced9479c074f688cc328bf03f341a511d not found", "commit <sha> not found"],
    ["MD5", "etag 9e107d9d372bb6826bd81d3542a419d6 stale", "etag <sha> stale"],
    ["short git SHA", "kernel a1b2c3d crashed", "kernel <sha> crashed"],
    ["0x hex", "segfault at 0x7ffd5fbff8c8", "segfault at <hex>"],
    ["long hex", "nonce deadbeefdeadbeefcafe0000 reused", "nonce <hex> reused"],
    ["ISO date-time", "at 2026-11-20T10:15:30.123Z failed", "at <date> failed"],
    ["RFC 2822 date", "expires Tue, 24 Nov 2026 10:22:35 GMT", "expires <date>"],
    ["clock time", "at 10:15:30 failed", "at <time> failed"],
    ["durations", "timed out after 30012ms (limit 1.5s, 2 min)", "timed out after <duration> (limit <duration>, <duration>)"],
    ["numbers", "retry 3 of 5 failed with 17 items", "retry <n> of <n> failed with <n> items"],
    ["HTTP status kept", "HTTP (target: https://x.deno.dev) 502: Bad Gateway", "HTTP (target: https://x.deno.dev) 502: Bad Gateway"],
    ["status word kept", "request failed with status code 404", "request failed with status code 404"],
    ["Cloudflare code kept", "error code: 1102", "error code: 1102"],
    ["workflow name kept", 'Workflow "compute.yml" not found on default branch "main"', 'Workflow "compute.yml" not found on default branch "main"'],
    ["redaction token kept", "auth failed for Bearer [REDACTED]", "auth failed for Bearer [REDACTED]"],
  ])("%s", (_name, input, expected) => {
    expect(normalizeMessage(input)).toBe(expected);
  });
});

const ctx = (input = {}) => ({ kernelStateId: "k", receivedAt: "2026-11-24T00:00:00.000Z", settings: v.parse(Settings, input) });
function failure(overrides: Parameters<typeof kernelPluginError>[0] = {}, settings = {}): FailureEvent {
  const c = toFailure("kernel.plugin_error", kernelPluginError(overrides), ctx(settings));
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: "0".repeat(32) };
}

describe("fingerprint", () => {
  it("is the same for the same failure with another request id, timestamp, state id, delivery or log trail", async () => {
    const a = await fingerprint(failure());
    const b = await fingerprint(failure({ requestId: "other", timestamp: "2026-11-21T00:00:00Z", stateId: "s2", trigger: { deliveryId: "d2", issueOrPr: 7 }, logLines: ["x"] }));
    expect(b).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{40}$/);
  });

  it("tells a 500 from a 502", async () => {
    const a = await fingerprint(failure());
    const b = await fingerprint(failure({ error: { message: "HTTP (target: https://command-start-stop-main.deno.dev) 502: Unexpected error" } }));
    expect(b).not.toBe(a);
  });

  it("tells plugins, categories and target repos apart", async () => {
    const base = await fingerprint(failure());
    expect(await fingerprint(failure({ plugin: { id: "https://other-plugin.deno.dev" } }))).not.toBe(base);
    expect(await fingerprint(failure({ error: { category: "timeout" } }))).not.toBe(base);
    expect(await fingerprint(failure({}, { fallbackRepo: "ubiquity/elsewhere" }))).not.toBe(base);
  });

  it("leaves a workflow plugin's ref out, keeps its workflow", async () => {
    const at = (id: string) => fingerprint(failure({ plugin: { type: "workflow", id, owner: "o", repo: "p" } }));
    expect(await at("o/p:compute.yml@main")).toBe(await at("o/p:compute.yml@v1.2.0"));
    expect(await at("o/p:compute.yml@main")).not.toBe(await at("o/p:other.yml@main"));
  });

  it("keeps a CI run's workflow in and its run id out; from grouping v2 the branch only when ciBranches watches more than the default branch (issue 16)", async () => {
    const run = async (opts: Parameters<typeof workflowRun>[0], settings = {}) => {
      const c = toFailure("workflow_run.completed", workflowRun(opts), ctx({ allowWorkflowEvents: true, ...settings }));
      if (c.outcome !== "failure") throw new Error(c.outcome);
      return fingerprint({ ...c.failure, eventId: "0".repeat(32) }, [], "v2");
    };
    expect(await run({ id: 1 })).toBe(await run({ id: 2, attempt: 3 }));
    expect(await run({ branch: "main" }, { ciBranches: ["*"] })).not.toBe(await run({ branch: "feature" }, { ciBranches: ["*"] }));
    expect(await run({ branch: "main" })).not.toBe(await run({ branch: "main" }, { ciBranches: ["*"] }));
    expect(await run({ path: ".github/workflows/a.yml" })).not.toBe(await run({ path: ".github/workflows/b.yml" }));
  });

  it("groups by a custom rule when one matches (glob on plugin, category, message)", async () => {
    const rules = [{ match: { plugin: "https://command-*", message: "HTTP*5??*" }, group: "start-stop-5xx" }];
    const a = await fingerprint(failure(), rules);
    const b = await fingerprint(failure({ error: { message: "HTTP (target: https://command-start-stop-main.deno.dev) 503: down" } }), rules);
    expect(b).toBe(a);
    expect(fingerprintParts(failure(), rules)).toMatchObject({ group: "start-stop-5xx" });
    expect(await fingerprint(failure({ error: { message: "HTTP (target: x) 400: Invalid signature" } }), rules)).not.toBe(a);
  });
});
