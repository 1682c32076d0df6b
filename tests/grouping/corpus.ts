/**
 * The grouping corpus (issue 18): realistic failure messages of UbiquityOS plugins, the kernel, Cloudflare, Deno
 * Deploy, Supabase, OpenAI, GitHub and AWS, several occurrences per failure, with the ids, times and counts that
 * really vary between occurrences. Different failures that must stay apart sit side by side (500 vs 502,
 * `reading 'id'` vs `reading 'login'`, 1101 vs 1102, exit code 1 vs 137, os error 104 vs 111).
 *
 * tests/unit/grouping-corpus.test.ts scores the current grouping on it (precision 100 %, recall ≥ 99 %);
 * `npm run bench` (or `npm run bench -- --only grouping`) prints the score of every version.
 */
import { type Ids, ids } from "./ids.ts";

export interface CorpusFailure {
  /** Names the failure; occurrences with one id are one failure. */
  id: string;
  source: "ubiquityos" | "kernel" | "cloudflare" | "deno" | "supabase" | "openai" | "github" | "aws";
  occurrences: string[];
}

const OCCURRENCES = 5;

type Template = (x: Ids, n: number) => string;

const FAILURES: ReadonlyArray<{ id: string; source: CorpusFailure["source"]; message: Template }> = [
  // ---- the kernel (shared/kernel.md): constant texts, worker status codes
  { id: "kernel-worker-500", source: "kernel", message: () => "HTTP (target: https://command-start-stop-main.deno.dev) 500: Unexpected error" },
  { id: "kernel-worker-502", source: "kernel", message: () => "HTTP (target: https://command-start-stop-main.deno.dev) 502: Unexpected error" },
  { id: "kernel-invalid-signature", source: "kernel", message: () => "HTTP (target: https://text-conversation-rewards-main.deno.dev) 400: Invalid signature" },
  {
    id: "kernel-workflow-missing",
    source: "kernel",
    message: () => 'Workflow "compute.yml" not found on default branch "main" for ubiquity-os-marketplace/text-conversation-rewards; GitHub requires workflow_dispatch workflows to exist on the default branch',
  },
  { id: "kernel-unexpected-inputs", source: "kernel", message: () => 'Unexpected inputs provided: ["kernelPublicKey"] - https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event' },
  {
    id: "kernel-dispatch-timeout",
    source: "kernel",
    message: (x) => `Error: Timeout of ${x.int(30_000, 30_999)}ms exceeded while dispatching to https://command-ask-main.deno.dev (stateId ${x.uuid()}, attempt ${x.int(1, 3)})`,
  },

  // ---- Cloudflare Workers
  { id: "cf-1101-worker-threw", source: "cloudflare", message: (x) => `HTTP (target: https://daemon-pricing.ubq.workers.dev) 500: error code: 1101 (Worker threw exception) Ray ID: ${x.hex(16)}` },
  { id: "cf-1102-cpu-limit", source: "cloudflare", message: (x) => `HTTP (target: https://daemon-pricing.ubq.workers.dev) 503: error code: 1102 (Worker exceeded resource limits) Ray ID: ${x.hex(16)}` },
  {
    id: "cf-crash-two-colos",
    source: "cloudflare",
    message: (x) => `TypeError: Cannot read properties of undefined (reading 'body') at handleComment (worker.js:${x.int(1200, 1300)}:${x.int(10, 40)}) cf-ray ${x.ray()}`,
  },
  { id: "cf-d1-no-table", source: "cloudflare", message: (x) => `D1_ERROR: no such table: permits: SQLITE_ERROR (query took ${x.int(1, 40)}ms, cf-ray ${x.ray()})` },
  {
    id: "cf-d1-unique",
    source: "cloudflare",
    message: (x) => `D1_ERROR: UNIQUE constraint failed: wallets.user_id: SQLITE_CONSTRAINT (user ${x.int(100_000, 9_999_999)}, cf-ray ${x.ray()})`,
  },
  { id: "cf-too-many-subrequests", source: "cloudflare", message: (x) => `Error: Too many subrequests. (request ${x.uuid()} at ${x.iso()})` },
  {
    id: "cf-do-reset",
    source: "cloudflare",
    message: (x) => `Durable Object reset because its code was updated. (object ${x.hex(64)}, version ${x.uuid()})`,
  },

  // ---- Deno Deploy
  {
    id: "deno-conn-reset",
    source: "deno",
    message: (x) =>
      `TypeError: error sending request for url (https://api.github.com/repos/ubiquity/work.ubq.fi/issues/${x.int(1, 4000)}/comments): client error (SendRequest): connection error: Connection reset by peer (os error 104)`,
  },
  {
    id: "deno-conn-refused",
    source: "deno",
    message: (x) =>
      `TypeError: error sending request for url (https://api.github.com/repos/ubiquity/work.ubq.fi/issues/${x.int(1, 4000)}/comments): client error (Connect): tcp connect error: Connection refused (os error 111)`,
  },
  {
    id: "deno-memory",
    source: "deno",
    message: (x) => `Isolate ${x.uuid()} exceeded its memory limit of 512 MiB and was terminated (deployment ${x.denoDeployment()}, region ${x.pick(["gcp-us-east4", "gcp-europe-west3", "gcp-asia-southeast1"])})`,
  },
  {
    id: "deno-preview-500",
    source: "deno",
    message: (x) => `HTTP (target: https://command-start-stop-${x.denoDeployment()}.deno.dev) 500: Internal Server Error`,
  },
  { id: "deno-bad-resource", source: "deno", message: (x) => `BadResource: Bad resource ID (rid ${x.int(3, 400)}) at async Object.pull (ext:deno_web/06_streams.js:${x.int(900, 950)}:${x.int(5, 30)})` },

  // ---- Supabase / PostgREST / Postgres
  { id: "supabase-permits-pkey", source: "supabase", message: (x) => `duplicate key value violates unique constraint "permits_pkey" Key (id)=(${x.int(1, 99_999)}) already exists.` },
  { id: "supabase-rls", source: "supabase", message: (x) => `new row violates row-level security policy for table "wallets" (request ${x.ulid()})` },
  { id: "supabase-pgrst116", source: "supabase", message: (x) => `PGRST116: JSON object requested, multiple (or no) rows returned. Results contain ${x.int(0, 3)} rows, application/vnd.pgrst.object+json requires 1 row` },
  {
    id: "supabase-jwt-expired",
    source: "supabase",
    message: (x) => `AuthApiError: invalid JWT: unable to parse or verify signature, token is expired by ${x.int(1, 23)}h${x.int(0, 59)}m${x.int(0, 59)}s`,
  },
  {
    id: "supabase-fetch-failed",
    source: "supabase",
    message: (x) => `FetchError: request to https://wfzpewmlyiozupulbuur.supabase.co/rest/v1/users?select=*&id=eq.${x.int(1, 999_999)} failed, reason: connect ETIMEDOUT ${x.ipv4()}:443`,
  },

  // ---- OpenAI and other LLM APIs
  {
    id: "openai-rate-limit",
    source: "openai",
    message: (x) =>
      `429 Rate limit reached for gpt-4o in organization org-${x.base62(24)} on tokens per min (TPM): Limit 30000, Used ${x.int(20_000, 29_999)}, Requested ${x.int(500, 9_000)}. Please try again in ${x.int(1, 9)}.${x.int(100, 999)}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
  },
  {
    id: "openai-500",
    source: "openai",
    message: (x) =>
      `500 The server had an error while processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if the error persists. (Please include the request ID req_${x.hex(32)} in your message.)`,
  },
  {
    id: "openai-context-length",
    source: "openai",
    message: (x) => `400 This model's maximum context length is 128000 tokens. However, your messages resulted in ${x.int(128_001, 190_000)} tokens. Please reduce the length of the messages.`,
  },
  { id: "openai-quota", source: "openai", message: () => "429 You exceeded your current quota, please check your plan and billing details." },
  {
    id: "openrouter-502",
    source: "openai",
    message: (x) => `LLM API error: 502 Bad Gateway - {"error":{"message":"Provider returned error","code":502}} (generation gen-${x.int(1_732_000_000, 1_739_999_999)}-${x.base62(20)})`,
  },
  {
    id: "command-ask-completion",
    source: "openai",
    message: (x) => `OpenAI completion failed for chatcmpl-${x.base62(29)}: finish_reason "length" after ${x.int(4000, 4096)} tokens`,
  },

  // ---- GitHub
  { id: "github-node-id", source: "github", message: (x) => `Could not resolve to a node with the global id of '${x.nodeId("I")}'` },
  { id: "github-pr-node-id", source: "github", message: (x) => `Could not resolve to a node with the global id of '${x.nodeId("PR")}'` },
  { id: "github-legacy-node-id", source: "github", message: (x) => `Could not resolve to a PullRequest with the global id of '${x.legacyNodeId("PullRequest")}'.` },
  {
    id: "github-installation-rate-limit",
    source: "github",
    message: (x) =>
      `API rate limit exceeded for installation ID ${x.int(40_000_000, 59_999_999)}. If you reach out to GitHub Support for help, please include the request ID ${x.githubRequestId()} and timestamp ${x.iso().slice(0, 19).replace("T", " ")} UTC.`,
  },
  {
    id: "github-secondary-limit",
    source: "github",
    message: (x) => `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${x.githubRequestId()}.`,
  },
  {
    id: "github-body-too-long",
    source: "github",
    message: () => 'Validation Failed: {"resource":"Issue","code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"} - https://docs.github.com/rest/issues/issues#create-an-issue',
  },
  {
    id: "github-ip-allow-list",
    source: "github",
    message: (x) => `Although you appear to have the correct authorization credentials, the \`ubiquity\` organization has an IP allow list enabled, and ${x.pick([x.ipv4(), x.ipv6()])} is not permitted to access this resource.`,
  },
  { id: "github-not-accessible", source: "github", message: (x) => `Resource not accessible by integration (x-github-request-id ${x.githubRequestId()})` },
  { id: "actions-exit-1", source: "github", message: (x) => `Process completed with exit code 1. (job ${x.digits(11)}, runner GitHub Actions ${x.int(2, 90)})` },
  { id: "actions-exit-137", source: "github", message: (x) => `Process completed with exit code 137. (job ${x.digits(11)}, runner GitHub Actions ${x.int(2, 90)})` },

  // ---- UbiquityOS plugins
  {
    id: "plugin-reading-id",
    source: "ubiquityos",
    message: (x) => `TypeError: Cannot read properties of undefined (reading 'id') at startStopTask (file:///src/handlers/start.ts:${x.int(40, 60)}:${x.int(5, 30)}) [req_${x.ulid()}]`,
  },
  {
    id: "plugin-reading-login",
    source: "ubiquityos",
    message: (x) => `TypeError: Cannot read properties of undefined (reading 'login') at startStopTask (file:///src/handlers/start.ts:${x.int(40, 60)}:${x.int(5, 30)}) [req_${x.ulid()}]`,
  },
  {
    id: "plugin-permit-allowance",
    source: "ubiquityos",
    message: (x) => `Permit generation failed for user ${x.int(100_000, 9_999_999)} on issue #${x.int(1, 4000)}: insufficient allowance (have ${x.int(0, 99)}.${x.int(0, 9)} WXDAI, need ${x.int(100, 900)}) on wallet 0x${x.hex(40)}`,
  },
  { id: "plugin-unknown-setting", source: "ubiquityos", message: (x) => `Unknown key "labels.priority" in the configuration of ubiquity-os-marketplace/daemon-pricing (config ${x.shortSha()})` },
  { id: "plugin-labels-priority-invalid", source: "ubiquityos", message: (x) => `Invalid value for "labels.time": expected array, received string (config ${x.shortSha()})` },
  {
    id: "plugin-session-expired",
    source: "ubiquityos",
    message: (x) => `Session ${x.nanoid()} expired while waiting for the user to link a wallet (evt_${x.base62(24)})`,
  },
  {
    id: "plugin-kv-lock",
    source: "ubiquityos",
    message: (x) => `Job ${x.ulid()} failed: lock held by worker ${x.ulid()} since ${x.iso()}`,
  },

  // ---- AWS (plugins storing artefacts in S3, running on Lambda)
  {
    id: "aws-s3-access-key",
    source: "aws",
    message: (x) =>
      `InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records. (Service: S3, Status Code: 403, Request ID: ${x.HEX(16)}, Extended Request ID: ${btoa(x.base62(54))})`,
  },
  { id: "aws-lambda-killed", source: "aws", message: (x) => `RequestId: ${x.uuid()} Error: Runtime exited with error: signal: killed Runtime.ExitError` },
];

/** The corpus: every failure with its occurrences, deterministic (seeded per failure). */
export function groupingCorpus(occurrences = OCCURRENCES): CorpusFailure[] {
  return FAILURES.map((failure, index) => {
    const x = ids(18_000 + index);
    return { id: failure.id, source: failure.source, occurrences: Array.from({ length: occurrences }, (_, n) => failure.message(x, n)) };
  });
}

/** Pairs of failures that differ in a detail a normaliser is most tempted to erase: they must never merge. */
export const MUST_STAY_APART: ReadonlyArray<readonly [string, string]> = [
  ["kernel-worker-500", "kernel-worker-502"],
  ["plugin-reading-id", "plugin-reading-login"],
  ["cf-1101-worker-threw", "cf-1102-cpu-limit"],
  ["actions-exit-1", "actions-exit-137"],
  ["deno-conn-reset", "deno-conn-refused"],
  ["github-node-id", "github-pr-node-id"],
];
