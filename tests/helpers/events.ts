/** Event payloads as the kernel and GitHub send them, with overridable parts. */

type Json = Record<string, unknown>;

/** `kernel.plugin_error` exactly as `buildKernelPluginErrorPayload` builds it for a worker plugin failure. */
export function kernelPluginError(overrides: { plugin?: Json; error?: Json; trigger?: Json; stateId?: string; requestId?: string; timestamp?: string; logLines?: string[] } = {}): Json {
  const requestId = overrides.requestId ?? "req-7f3a9c1e";
  return {
    event: "kernel.plugin_error",
    timestamp: overrides.timestamp ?? "2026-11-20T10:15:30.123Z",
    stateId: overrides.stateId ?? "4c8d1e2f-0a1b-4c3d-9e8f-112233445566",
    environment: "production",
    configPath: ".github/.ubiquity-os.config.yml",
    config: { path: ".github/.ubiquity-os.config.yml", sources: [] },
    kernel: { commit: "a1b2c3d" },
    source: { kernelRepo: "ubiquity-os/ubiquity-os-kernel", environment: "production" },
    trigger: {
      githubEvent: "issue_comment.created",
      deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      repo: "ubiquity/work.ubq.fi",
      issueOrPr: 42,
      actor: "octocat",
      ...overrides.trigger,
    },
    plugin: {
      type: "http",
      id: "https://command-start-stop-main.deno.dev",
      ref: "main",
      ...overrides.plugin,
    },
    error: {
      message: "HTTP (target: https://command-start-stop-main.deno.dev) 500: Unexpected error",
      status: null,
      category: "http",
      ...overrides.error,
    },
    context: { retryCount: 0, requestId },
    logTrail: {
      requestId,
      startedAt: "2026-11-20T10:15:29.000Z",
      durationMs: 1123,
      lines: overrides.logLines ?? [
        "INFO Dispatching plugin | plugin=https://command-start-stop-main.deno.dev",
        'ERROR Error processing plugin; skipping | plugin=https://command-start-stop-main.deno.dev err="HTTP (target: https://command-start-stop-main.deno.dev) 500: Unexpected error"',
      ],
    },
    repository: { owner: { login: "ubiquity" }, name: "work.ubq.fi", full_name: "ubiquity/work.ubq.fi" },
    installation: { id: 48381972 },
  };
}

/** The proposal's draft shape (fields the kernel does not send: stack, raw, manifest, responseSnippet). */
export function draftPluginError(overrides: { plugin?: Json; error?: Json } = {}): Json {
  return {
    event: "kernel.plugin_error",
    timestamp: "2025-01-01T00:00:00Z",
    stateId: "draft-state-1",
    source: { kernelRepo: "ubiquity-os/ubiquity-os-kernel", environment: "dev" },
    trigger: { githubEvent: "issue_comment.created", deliveryId: "draft-delivery-1", repo: "owner/repo", issueOrPr: 123, actor: "octocat" },
    plugin: {
      type: "workflow",
      id: "ubiquity-os-marketplace/text-conversation-rewards:compute.yml@main",
      owner: "ubiquity-os-marketplace",
      repo: "text-conversation-rewards",
      workflowId: "compute.yml",
      ref: "main",
      manifest: { name: "text-conversation-rewards", version: "1.2.3" },
      ...overrides.plugin,
    },
    error: {
      message: "HTTP 502: Bad Gateway",
      status: 502,
      stack: "Error: HTTP 502\n    at dispatch (kernel.ts:10:5)",
      category: "dispatch",
      raw: { body: "<html>502</html>" },
      ...overrides.error,
    },
    context: { requestId: "draft-req-1", pluginInputs: { redacted: true }, responseSnippet: "<html>502 Bad Gateway</html>", retryCount: 0 },
  };
}

const repository = (fullName: string) => {
  const [owner, name] = fullName.split("/");
  return { id: 1296269, full_name: fullName, name, html_url: `https://github.com/${fullName}`, owner: { login: owner }, default_branch: "main" };
};

export function workflowRun(
  opts: { conclusion?: string | null; repo?: string; action?: string; id?: number; attempt?: number; actor?: string; branch?: string; sha?: string; commitMessage?: string; createdAt?: string; headRepo?: string; name?: string; path?: string } = {},
): Json {
  const repo = opts.repo ?? "ubiquity-os-marketplace/text-conversation-rewards";
  const sha = opts.sha ?? "acb5820ced9479c074f688cc328bf03f341a511d";
  return {
    action: opts.action ?? "completed",
    workflow_run: {
      id: opts.id ?? 30433642,
      name: opts.name ?? "Compute",
      path: opts.path ?? ".github/workflows/compute.yml",
      head_branch: opts.branch ?? "main",
      head_sha: sha,
      run_number: 562,
      run_attempt: opts.attempt ?? 1,
      event: "workflow_dispatch",
      status: "completed",
      conclusion: opts.conclusion === undefined ? "failure" : opts.conclusion,
      html_url: `https://github.com/${repo}/actions/runs/${opts.id ?? 30433642}`,
      created_at: opts.createdAt ?? "2026-11-20T10:00:00Z",
      updated_at: "2026-11-20T10:04:00Z",
      actor: { login: opts.actor ?? "ubiquity-os[bot]", type: "Bot" },
      triggering_actor: { login: opts.actor ?? "ubiquity-os[bot]", type: "Bot" },
      head_commit: { id: sha, message: opts.commitMessage ?? "Compute rewards per comment\n\nCo-authored-by: someone <someone@example.com>", timestamp: "2026-11-20T09:59:00Z", author: { name: "Jane Dev", email: "jane@example.com" } },
      head_repository: { full_name: opts.headRepo ?? repo },
    },
    workflow: { name: opts.name ?? "Compute", path: opts.path ?? ".github/workflows/compute.yml" },
    repository: repository(repo),
    sender: { login: opts.actor ?? "ubiquity-os[bot]", type: "Bot" },
  };
}

/** A CI app that reports through the Checks API (GitHub Actions' own checks are left to their workflow_run). */
export const CHECKS_APP = { slug: "circleci-checks", name: "CircleCI Checks" };

export function checkSuite(opts: { conclusion?: string | null; repo?: string; id?: number; app?: { slug: string; name: string } } = {}): Json {
  const repo = opts.repo ?? "ubiquity-os-marketplace/text-conversation-rewards";
  return {
    action: "completed",
    check_suite: {
      id: opts.id ?? 118578147,
      head_branch: "main",
      head_sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
      status: "completed",
      conclusion: opts.conclusion === undefined ? "failure" : opts.conclusion,
      url: `https://api.github.com/repos/${repo}/check-suites/${opts.id ?? 118578147}`,
      created_at: "2026-11-20T10:00:00Z",
      updated_at: "2026-11-20T10:05:00Z",
      app: opts.app ?? CHECKS_APP,
    },
    repository: repository(repo),
    sender: { login: "octocat", type: "User" },
  };
}

export function checkRun(opts: { conclusion?: string | null; repo?: string; id?: number; summary?: string; app?: { slug: string; name: string } } = {}): Json {
  const repo = opts.repo ?? "ubiquity-os-marketplace/text-conversation-rewards";
  return {
    action: "completed",
    check_run: {
      id: opts.id ?? 4,
      name: "test (ubuntu-latest)",
      head_sha: "ce587453ced02b1526dfb4cb910479d431683101",
      status: "completed",
      conclusion: opts.conclusion === undefined ? "failure" : opts.conclusion,
      html_url: `https://github.com/${repo}/runs/${opts.id ?? 4}`,
      details_url: "https://example.com",
      started_at: "2026-11-20T10:00:00Z",
      completed_at: "2026-11-20T10:02:00Z",
      output: { title: "3 tests failed", summary: opts.summary ?? "FAIL tests/a.test.ts > adds" },
      check_suite: { id: 5, head_branch: "main" },
      app: opts.app ?? CHECKS_APP,
    },
    repository: repository(repo),
    sender: { login: "octocat", type: "User" },
  };
}
