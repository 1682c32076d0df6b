import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { toFailure, type Conversion, type FailureDraft } from "../../shared/convert";
import { loopReason } from "../../shared/policy";
import { Settings, type SettingsInput } from "../../shared/settings";
import { checkRun, checkSuite, draftPluginError, kernelPluginError, workflowRun } from "../helpers/events";

const settings = (input: SettingsInput = {}) => v.parse(Settings, input);
const ctx = (input: SettingsInput = {}, targetOwners: string[] = []) => ({ kernelStateId: "kernel-state", receivedAt: "2026-11-24T00:00:00.000Z", settings: settings(input), targetOwners });

function failureOf(conversion: Conversion): FailureDraft {
  if (conversion.outcome !== "failure") throw new Error(`expected a failure, got ${JSON.stringify(conversion)}`);
  return conversion.failure;
}

describe("kernel.plugin_error → FailureEvent", () => {
  it("reads the kernel's real payload, recovering the status from the message", () => {
    const f = failureOf(toFailure("kernel.plugin_error", kernelPluginError(), ctx()));
    expect(f).toMatchObject({
      kind: "plugin_error",
      status: 500,
      category: "http",
      message: "HTTP (target: https://command-start-stop-main.deno.dev) 500: Unexpected error",
      occurredAt: "2026-11-20T10:15:30.123Z",
      plugin: { type: "http", id: "https://command-start-stop-main.deno.dev", url: "https://command-start-stop-main.deno.dev", ref: "main" },
      trigger: { githubEvent: "issue_comment.created", repo: "ubiquity/work.ubq.fi", issueOrPr: 42, actor: "octocat", url: "https://github.com/ubiquity/work.ubq.fi/issues/42" },
      correlation: {
        stateId: "4c8d1e2f-0a1b-4c3d-9e8f-112233445566",
        kernelStateId: "kernel-state",
        deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        requestId: "req-7f3a9c1e",
        installationId: 48381972,
      },
      environment: "production",
      kernelCommit: "a1b2c3d",
    });
    expect(f.logTrail).toHaveLength(2);
  });

  it("reads the proposal's draft payload, keeping its status, stack and manifest", () => {
    const f = failureOf(toFailure("kernel.plugin_error", draftPluginError(), ctx({}, ["ubiquity-os-marketplace"])));
    expect(f).toMatchObject({
      status: 502,
      category: "dispatch",
      detail: "Error: HTTP 502\n    at dispatch (kernel.ts:10:5)",
      target: { repo: "ubiquity-os-marketplace/text-conversation-rewards", resolvedBy: "plugin_repo" },
      plugin: { type: "workflow", workflowId: "compute.yml", name: "text-conversation-rewards", version: "1.2.3" },
    });
  });

  it("names the field paths of an invalid payload", () => {
    const conversion = toFailure("kernel.plugin_error", { plugin: { type: "lambda", id: 3 }, error: {} }, ctx());
    expect(conversion.outcome).toBe("invalid");
    const paths = conversion.outcome === "invalid" ? conversion.issues.map((i) => i.path) : [];
    expect(paths).toEqual(expect.arrayContaining(["eventPayload.plugin.type", "eventPayload.plugin.id", "eventPayload.error.message"]));
  });

  it("takes the same delivery to the same key, and another request to another key", () => {
    const a = toFailure("kernel.plugin_error", kernelPluginError(), ctx());
    const b = toFailure("kernel.plugin_error", kernelPluginError(), ctx());
    const c = toFailure("kernel.plugin_error", kernelPluginError({ requestId: "req-other" }), ctx());
    expect(a.outcome === "failure" && b.outcome === "failure" && a.deliveryKey === b.deliveryKey).toBe(true);
    expect(a.outcome === "failure" && c.outcome === "failure" && a.deliveryKey !== c.deliveryKey).toBe(true);
  });
});

describe("target repo (contract order, under issue 12's trust rules)", () => {
  // The reporter is the trigger repo's owner: "ubiquity" (kernelPluginError's trigger is ubiquity/work.ubq.fi).
  const conversion = (plugin: Record<string, unknown>, input: SettingsInput = {}, targetOwners: string[] = []) => toFailure("kernel.plugin_error", kernelPluginError({ plugin }), ctx(input, targetOwners));
  const target = (plugin: Record<string, unknown>, input: SettingsInput = {}, targetOwners: string[] = []) => failureOf(conversion(plugin, input, targetOwners)).target;
  const URL_PLUGIN = "https://command-start-stop-main.deno.dev";
  const MANIFEST = `${URL_PLUGIN}/manifest.json`;

  it("records the reporter: the trigger repo's owner, else repository.owner.login", () => {
    expect(failureOf(conversion({})).reporter).toBe("ubiquity");
    const noTrigger = toFailure("kernel.plugin_error", { ...kernelPluginError(), trigger: { githubEvent: "push" }, repository: { owner: { login: "solo" }, name: "x" } }, ctx());
    expect(failureOf(noTrigger).reporter).toBe("solo");
  });
  it("workflow plugin of the reporter's own owner → its owner/repo", () => {
    expect(target({ type: "workflow", id: "ubiquity/command-codex:compute.yml@main", owner: "ubiquity", repo: "command-codex" })).toEqual({ repo: "ubiquity/command-codex", resolvedBy: "plugin_repo" });
  });
  it("workflow plugin of an owner in HOTFIX_POLICY.targetOwners → its owner/repo (owners compare case-insensitively)", () => {
    const plugin = { type: "workflow", id: "ubiquity-os-marketplace/command-codex:compute.yml@main", owner: "ubiquity-os-marketplace", repo: "command-codex" };
    expect(target(plugin, {}, ["Ubiquity-OS-Marketplace"])).toEqual({ repo: "ubiquity-os-marketplace/command-codex", resolvedBy: "plugin_repo" });
  });
  it("workflow plugin of any other owner → the reporter's .ubiquity-os, naming the refused repo", () => {
    expect(target({ type: "workflow", id: "victim/private-repo:compute.yml@main", owner: "victim", repo: "private-repo" })).toEqual({
      repo: "ubiquity/.ubiquity-os",
      resolvedBy: "org_config_repo",
      refused: [{ repo: "victim/private-repo", by: "plugin_repo", reason: expect.stringContaining("victim is not the reporter's owner (ubiquity)") }],
    });
  });
  it("workflow plugin known only by its key → parsed from the key (same rules)", () => {
    expect(target({ type: "workflow", id: "ubiquity/plugin-x:compute.yml@dev" })).toEqual({ repo: "ubiquity/plugin-x", resolvedBy: "plugin_repo" });
  });
  it("URL plugin: sourceRepo, then pluginRepos, are claims the consumer verifies; until then it is where nothing verified would go", () => {
    expect(target({ settings: { with: { sourceRepo: "ubiquity/source" } } }, { pluginRepos: { [URL_PLUGIN]: "ubiquity/mapped" } })).toEqual({
      repo: "ubiquity/.ubiquity-os",
      resolvedBy: "org_config_repo",
      manifestUrl: MANIFEST,
      claims: [
        { repo: "ubiquity/source", by: "source_repo" },
        { repo: "ubiquity/mapped", by: "plugin_repos" },
      ],
    });
  });
  it("URL plugin: a claim of another owner is refused at once (never asked about at GitHub)", () => {
    expect(target({ settings: { with: { sourceRepo: "victim/source" } } }, { pluginRepos: { [URL_PLUGIN]: "ubiquity/mapped" } })).toEqual({
      repo: "ubiquity/.ubiquity-os",
      resolvedBy: "org_config_repo",
      manifestUrl: MANIFEST,
      claims: [{ repo: "ubiquity/mapped", by: "plugin_repos" }],
      refused: [{ repo: "victim/source", by: "source_repo", reason: expect.stringContaining("not in HOTFIX_POLICY.targetOwners") }],
    });
  });
  it("URL plugin otherwise → fallbackRepo of the reporter's owner, after asking its manifest", () => {
    expect(target({}, { fallbackRepo: "ubiquity/fallback" })).toEqual({ repo: "ubiquity/fallback", resolvedBy: "fallback_repo", manifestUrl: MANIFEST });
  });
  it("a fallbackRepo of another owner is ignored, with a warning", () => {
    const c = conversion({}, { fallbackRepo: "victim/private-repo" }, ["victim"]);
    expect(failureOf(c).target).toEqual({ repo: "ubiquity/.ubiquity-os", resolvedBy: "org_config_repo", manifestUrl: MANIFEST });
    expect(c.outcome === "failure" && c.warnings).toEqual([{ path: "settings.fallbackRepo", key: "fallbackRepo", message: expect.stringMatching(/^victim\/private-repo is not a repo of the reporter's owner \(ubiquity\)/) }]);
  });
  it("URL plugin with no fallback → <reporter>/.ubiquity-os, after asking its manifest", () => {
    expect(target({})).toEqual({ repo: "ubiquity/.ubiquity-os", resolvedBy: "org_config_repo", manifestUrl: MANIFEST });
  });
  it("kernel-level failure → the reporter's .ubiquity-os (not the trigger repo the kernel puts in plugin.owner/repo, not fallbackRepo)", () => {
    const kernel = { type: "kernel", id: "ubiquity-os/ubiquity-os-kernel", owner: "ubiquity", repo: "work.ubq.fi" };
    expect(target(kernel, { fallbackRepo: "ubiquity/fallback" })).toEqual({ repo: "ubiquity/.ubiquity-os", resolvedBy: "org_config_repo" });
  });
  it("a CI run's failure → its repo (the reporter's own); a payload naming another owner's repo → the reporter's .ubiquity-os", () => {
    const run = (repo: string, login: string) => {
      const payload = workflowRun({ repo });
      return failureOf(toFailure("workflow_run.completed", { ...payload, repository: { ...(payload["repository"] as object), owner: { login } } }, ctx({ allowWorkflowEvents: true })));
    };
    expect(run("acme/service", "acme")).toMatchObject({ reporter: "acme", target: { repo: "acme/service", resolvedBy: "repository" } });
    expect(run("victim/service", "acme").target).toMatchObject({ repo: "acme/.ubiquity-os", resolvedBy: "org_config_repo", refused: [{ repo: "victim/service" }] });
  });
});

describe("workflow and check events", () => {
  const on: SettingsInput = { allowWorkflowEvents: true };
  it.each([
    ["failure", "failure"],
    ["timed_out", "failure"],
    ["startup_failure", "failure"],
    ["cancelled", "ignored"],
    ["action_required", "ignored"],
    ["success", "green"],
    ["neutral", "ignored"],
    ["skipped", "ignored"],
    [null, "ignored"],
  ] as const)("workflow_run concluded %s → %s", (conclusion, outcome) => {
    expect(toFailure("workflow_run.completed", workflowRun({ conclusion }), ctx(on)).outcome).toBe(outcome);
  });

  it.each(["failure", "timed_out"])("check_suite and check_run concluded %s are failures", (conclusion) => {
    expect(toFailure("check_suite.completed", checkSuite({ conclusion }), ctx(on)).outcome).toBe("failure");
    expect(toFailure("check_run.completed", checkRun({ conclusion }), ctx(on)).outcome).toBe("failure");
  });

  it("ignores workflow events unless allowWorkflowEvents is on", () => {
    expect(toFailure("workflow_run.completed", workflowRun(), ctx())).toMatchObject({ outcome: "ignored", reason: expect.stringContaining("allowWorkflowEvents") });
  });

  it("ignores repos outside a non-empty allowlist (case-insensitively inside it)", () => {
    expect(toFailure("workflow_run.completed", workflowRun({ repo: "o/other" }), ctx({ ...on, allowlistRepos: ["o/listed"] }))).toMatchObject({ outcome: "ignored" });
    expect(toFailure("workflow_run.completed", workflowRun({ repo: "O/Listed" }), ctx({ ...on, allowlistRepos: ["o/listed"] })).outcome).toBe("failure");
  });

  it("ignores a workflow_run that is not a completion", () => {
    expect(toFailure("workflow_run.requested", workflowRun({ action: "requested" }), ctx(on)).outcome).toBe("ignored");
  });

  it("owns a failed run by its repo, keyed by workflow file and branch", () => {
    const f = failureOf(toFailure("workflow_run.completed", workflowRun({ branch: "dev" }), ctx({ ...on, ciBranches: ["*"] })));
    expect(f).toMatchObject({
      kind: "workflow_run",
      target: { repo: "ubiquity-os-marketplace/text-conversation-rewards", resolvedBy: "repository" },
      plugin: { type: "ci", id: "ubiquity-os-marketplace/text-conversation-rewards:.github/workflows/compute.yml@dev", workflowId: "compute.yml", ref: "dev" },
      category: "workflow",
      conclusion: "failure",
      message: 'Workflow "Compute" failed on dev',
      correlation: { runId: 30433642, runAttempt: 1 },
      trigger: { url: "https://github.com/ubiquity-os-marketplace/text-conversation-rewards/actions/runs/30433642" },
    });
  });

  it("gives each run attempt its own delivery and the same attempt the same one", () => {
    const key = (attempt: number) => {
      const c = toFailure("workflow_run.completed", workflowRun({ attempt }), ctx(on));
      return c.outcome === "failure" ? c.deliveryKey : "";
    };
    expect(key(1)).toBe(key(1));
    expect(key(1)).not.toBe(key(2));
  });

  it("carries a check run's output summary as detail", () => {
    expect(failureOf(toFailure("check_run.completed", checkRun({ summary: "FAIL adds" }), ctx(on)))).toMatchObject({ detail: "FAIL adds", message: 'Check "test (ubuntu-latest)" failed: 3 tests failed' });
  });

  it("ignores events daemon-hotfix does not listen to", () => {
    expect(toFailure("issues.opened", {}, ctx())).toMatchObject({ outcome: "ignored" });
  });
});

describe("loop suppression", () => {
  const self = { botLogins: ["daemon-hotfix[bot]"], origins: ["https://hotfix.example.com"] };
  const reasonFor = (eventName: string, payload: Record<string, unknown>, input: SettingsInput = {}) => {
    const c = toFailure(eventName, payload, ctx({ allowWorkflowEvents: true, ...input }));
    if (c.outcome !== "failure") throw new Error(c.outcome);
    return loopReason({ ...c.failure, eventId: "0".repeat(32) }, c.actors, self);
  };

  it.each([
    ["a plugin keyed owner/daemon-hotfix", { type: "http", id: "any-org/daemon-hotfix" }],
    ["a workflow plugin in a daemon-hotfix repo", { type: "workflow", id: "o/daemon-hotfix:compute.yml@main", owner: "o", repo: "daemon-hotfix" }],
    ["a plugin at daemon-hotfix's own URL", { type: "http", id: "https://hotfix.example.com" }],
    ["a plugin on a daemon-hotfix worker host", { type: "http", id: "https://daemon-hotfix.acme.workers.dev" }],
  ])("suppresses the failure of %s", (_name, plugin) => {
    expect(reasonFor("kernel.plugin_error", kernelPluginError({ plugin }))).toMatch(/daemon-hotfix itself/);
  });

  it("suppresses a plugin failure triggered by daemon-hotfix's own bot", () => {
    expect(reasonFor("kernel.plugin_error", kernelPluginError({ trigger: { actor: "Daemon-Hotfix[bot]" } }))).toMatch(/own bot/);
  });

  it("suppresses runs in a daemon-hotfix repo and runs started by its bot", () => {
    expect(reasonFor("workflow_run.completed", workflowRun({ repo: "o/daemon-hotfix" }))).toMatch(/own repo/);
    expect(reasonFor("workflow_run.completed", workflowRun({ actor: "daemon-hotfix[bot]" }))).toMatch(/own bot/);
  });

  it("lets other plugins' failures through", () => {
    expect(reasonFor("kernel.plugin_error", kernelPluginError())).toBeNull();
    expect(reasonFor("workflow_run.completed", workflowRun())).toBeNull();
    expect(reasonFor("kernel.plugin_error", kernelPluginError({ plugin: { type: "workflow", id: "o/daemon-hotfix-docs:compute.yml", owner: "o", repo: "daemon-hotfix-docs" } }))).toBeNull();
  });
});
