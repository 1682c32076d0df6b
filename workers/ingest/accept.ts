import { boundMessage } from "../../shared/bound-message";
import type { GreenRun } from "../../shared/ci-context/stream-key";
import type { FailureEvent } from "../../shared/failure-event";
import { fingerprint } from "../../shared/fingerprint";
import { CURRENT_GROUPING } from "../../shared/grouping/versions";
import type { IngestOutput } from "../../shared/ingest-output";
import type { PluginInputs } from "../../shared/plugin-input";
import { prepareFailure } from "../../shared/prepare-failure";
import type { MirroredIssue } from "../../shared/lifecycle/issue-event";
import type { FailureMessage, GreenMessage, MirrorMessage } from "../../shared/queue-message";
import { createRedactor } from "../../shared/redact";
import type { Settings } from "../../shared/settings";
import { readSettingsLeniently, type SettingsWarning, warningText } from "../../shared/settings-leniency";
import { reporterOwner, reporterOwns } from "../../shared/trust/reporter";
import { scopeSettings } from "../../shared/trust/settings-scope";
import { policyWarnings } from "../../shared/trust/policy-warnings";
import { isPending } from "../../shared/trust/target-rules";
import { configOf } from "../config";
import { operatorSettings } from "../config/operator-settings";
import type { ShedSampleMessage } from "../durable/repo-gate";
import { AppError } from "../errors";
import type { MetricsBuffer } from "../metrics/buffer";
import { enqueue } from "./enqueue";
import { decodeEventPayload } from "./payload-codec";
import { recordSelfFailure } from "./self-failures";
import { deadLetterUnconverted } from "./unconverted";


export interface AcceptContext {
  env: Env;
  /** Origin the request came in on: failures of a plugin at this origin are daemon-hotfix's own. */
  selfOrigin: string;
  now: Date;
  /** Counters of this request (flushed by the caller, whatever the answer). */
  metrics: MetricsBuffer;
  /** Background work the request must finish (bookkeeping that need not hold up the answer). */
  waitUntil: (work: Promise<unknown>) => void;
}

export interface Accepted {
  output: IngestOutput;
  /** The outcome counted in `events_received`, when it is not the answer's status (a duplicate is answered `queued`). */
  countedAs?: "duplicate";
  /** Labels for counting the outcome. */
  plugin?: string;
  repo?: string;
  /** Durable Object requests the answer took (counted as `do_requests{component="ingest"}`). */
  doRequests?: number;
}

/**
 * What a gathered aggregate keeps apart: its cluster, and what the cluster reads from each event besides the count —
 * the reporter (orgs affected, whose settings apply), the plugin's ref (the versions it failed at) and the settings.
 */
export function gatherKey(fingerprint: string, failure: FailureEvent, settings: Settings): string {
  return [fingerprint, reporterOwner(failure) ?? "", failure.plugin.ref ?? "", JSON.stringify(settings)].join("\n");
}

/** The key of the per-repo gate: the target repo, or the plugin's origin while its repo awaits its manifest or claims. */
export function gateKey(failure: FailureEvent): string {
  if (failure.target.manifestUrl) return `plugin:${new URL(failure.target.manifestUrl).origin}`;
  if (isPending(failure.target) && failure.plugin.url) return `plugin:${new URL(failure.plugin.url).origin}`;
  return `repo:${failure.target.repo.toLowerCase()}`;
}

/**
 * A passing CI run on a watched branch: its commit becomes the stream's last green one ("broken between A and B").
 * No GitHub request, nothing enqueued unless an issue is open; answered `queued` (handled, not ignored: contract
 * "Counting and lifecycle") with what was recorded. A stream that cannot be reached
 * costs only that record, never the answer.
 */
async function recordGreen(env: Env, green: GreenRun, autoClose: boolean): Promise<IngestOutput> {
  const what = `${green.workflow}${green.branch ? ` on ${green.branch}` : ""}`;
  try {
    const { open } = await env.CI_STREAM.getByName(green.stream).green(green);
    const recorded = `success: recorded ${green.commit.sha.slice(0, 12)} as the last passing commit of ${what}`;
    // Issue 15: the stream's index names the clusters with an open issue; none (the common case): no further cost.
    if (open.length === 0 || !autoClose) return { status: "queued", reason: `${recorded}${open.length ? " (settings.autoClose is false: its open issues stay open)" : ""}` };
    return await sendLifecycle(env, { version: 1, type: "green", stream: green.stream, fingerprints: open, workflow: green.workflow, ...(green.branch !== undefined ? { branch: green.branch } : {}), run: green.commit }, `${recorded}; closes ${open.length} open issue${open.length === 1 ? "" : "s"}`);
  } catch (error) {
    console.error(JSON.stringify({ msg: "last green not recorded", stream: green.stream, error: error instanceof Error ? error.message : String(error) }));
    return { status: "ignored", reason: `success of ${what} (its commit could not be recorded)` };
  }
}

/** Puts a lifecycle message (a passing run's closes, a mirrored issue state) on the events queue. */
async function sendLifecycle(env: Env, message: GreenMessage | MirrorMessage, reason: string): Promise<IngestOutput> {
  try {
    await env.EVENTS.send(message, { contentType: "json" });
    return { status: "queued", reason };
  } catch (error) {
    console.error(JSON.stringify({ msg: "lifecycle message not queued", type: message.type, error: error instanceof Error ? error.message : String(error) }));
    return { status: "ignored", reason: `${reason} — not queued (the queue refused it): ${message.type === "green" ? "the next passing run closes them" : "the cluster reads the issue again at its next step"}` };
  }
}

/**
 * `issues.closed` / `issues.reopened` of an issue daemon-hotfix filed (issue 15): its cluster takes GitHub's state at
 * once, via the events queue. Its own closes and reopens (made under BOT_LOGIN) are known to the cluster already.
 */
async function mirrorIssue(env: Env, mirror: MirroredIssue, botLogin: string): Promise<IngestOutput> {
  if (mirror.actor && mirror.actor.toLowerCase() === botLogin.toLowerCase()) return { status: "ignored", reason: `issue #${mirror.issue.number} was ${mirror.issue.state === "open" ? "reopened" : "closed"} by daemon-hotfix itself: its cluster knows` };
  const what = mirror.issue.state === "open" ? "reopened" : `closed as ${mirror.issue.stateReason ?? "completed"}`;
  return sendLifecycle(env, { version: 1, type: "mirror", fingerprint: mirror.fingerprint, repo: mirror.repo, issue: mirror.issue }, `issue #${mirror.issue.number} ${what}: its cluster takes the state`);
}

/** Origins daemon-hotfix is served from: the request's, and PUBLIC_URL's (an unusable one only narrows loop detection). */
function selfOrigins(publicOrigin: string | null, requestOrigin: string): string[] {
  return publicOrigin ? [requestOrigin, publicOrigin] : [requestOrigin];
}

/**
 * Takes verified plugin inputs to an outcome: settings (read leniently: a with: block never costs an event),
 * conversion, redaction, loop suppression, delivery de-duplication and the per-repo rate limit, then the queue —
 * or, when the queue refuses, the parking. Never waits on GitHub. The kernel never retries, so nothing authentic is
 * refused for good: an unconvertible event is answered 400 and kept as a dead letter.
 */
export async function accept(inputs: PluginInputs, ctx: AcceptContext): Promise<Accepted> {
  const { settings, warnings } = readSettingsLeniently(inputs.settings, configOf(ctx.env).operatorDefaults.value);
  let owner: string | null = null;
  // Settings the trust rules ignore (another owner's fallbackRepo, issue 12) are warnings like the others.
  const ignored: SettingsWarning[] = [];
  try {
    const accepted = await admit(inputs, settings, ctx, (reporter) => (owner = reporter), ignored);
    const all = [...warnings, ...ignored];
    return all.length ? { ...accepted, output: { ...accepted.output, warnings: all.map(warningText) } } : accepted;
  } finally {
    countWarnings(ctx.metrics, [...warnings, ...ignored], owner);
  }
}

function countWarnings(metrics: MetricsBuffer, warnings: readonly SettingsWarning[], owner: string | null): void {
  for (const w of warnings) metrics.inc("settings_warnings", { key: w.key, owner: owner ?? "" });
}

async function admit(inputs: PluginInputs, settings: Settings, ctx: AcceptContext, reporter: (owner: string | null) => void, ignored: SettingsWarning[]): Promise<Accepted> {
  const { env } = ctx;
  const config = configOf(env);
  if (!settings.enabled) return { output: { status: "disabled", reason: "settings.enabled is false" } };

  const receivedAt = ctx.now.toISOString();
  const refused = { inputs, settings, receivedAt };
  let payload: unknown;
  try {
    payload = decodeEventPayload(inputs.eventPayload);
  } catch (error) {
    if (error instanceof AppError) await deadLetterUnconverted(env, { ...refused, issues: error.issues.length ? error.issues : [{ path: "eventPayload", message: error.publicMessage }], payloadMissing: `not decodable: ${error.publicMessage}` });
    throw error;
  }
  const prepared = await prepareFailure(inputs.eventName, payload, {
    kernelStateId: inputs.stateId,
    receivedAt,
    settings,
    targetOwners: config.policy.targetOwners,
    secrets: [inputs.authToken, inputs.ubiquityKernelToken],
    self: { botLogins: [config.botLogin], origins: selfOrigins(config.publicOrigin, ctx.selfOrigin) },
  });
  if (prepared.outcome === "invalid") {
    await deadLetterUnconverted(env, { ...refused, issues: prepared.issues, payload });
    throw new AppError(400, "invalid_event_payload", `eventPayload is not a valid ${inputs.eventName} event`, prepared.issues);
  }
  if (prepared.outcome === "ignored") return { output: { status: "ignored", reason: prepared.reason } };
  if (prepared.outcome === "green") return { output: await recordGreen(env, prepared.green, settings.autoClose), repo: prepared.green.repo, doRequests: 1 };
  if (prepared.outcome === "mirror") return { output: await mirrorIssue(env, prepared.mirror, config.botLogin), repo: prepared.mirror.repo };

  const { failure } = prepared;
  ignored.push(...prepared.warnings);
  // What HOTFIX_POLICY changes in the block (a floor, a ceiling, PR mode refused) is said, not silently applied.
  ignored.push(...policyWarnings(settings, { failure, policy: config.policy, operator: operatorSettings(env), targetKnown: !isPending(failure.target) }));
  const eventId = failure.eventId;
  reporter(reporterOwner(failure));
  const labels = { plugin: failure.plugin.id, repo: failure.target.repo };
  if (prepared.selfFailure) {
    // Never filed (a loop), but never silent: the operator sees daemon-hotfix's own failures on the dashboard.
    ctx.metrics.inc("self_failures", { category: failure.category, status: failure.status ?? "none" });
    ctx.waitUntil(recordSelfFailure(env.DB, failure, prepared.selfFailure));
  }
  if (prepared.loop) return { output: { status: "suppressed", reason: prepared.loop, eventId }, ...labels };

  // The fingerprint is computed once, here, from the failure as the message carries it (bounded), and travels
  // with it — unless the repo still has to be settled (a URL plugin's claims verified, its manifest asked: the
  // consumer resolves, then fingerprints), or a CI run's breakage has yet to be read from GitHub (its CI stream
  // attributes it; the provisional key — the run's event alone — still keys its shed aggregate). The reporter's
  // fingerprintRules group only in its own repos (issue 12).
  const raw = settings.keepRawPayload ? { raw: createRedactor([inputs.authToken, inputs.ubiquityKernelToken]).value(payload) } : {};
  const bounded = boundMessage({ version: 1, type: "failure", failure, settings, ...raw });
  const rules = scopeSettings(settings, operatorSettings(env), reporterOwns(failure, failure.target.repo)).fingerprintRules;
  const provisional = await fingerprint(bounded.failure, rules);
  const fp = isPending(failure.target) || failure.ci ? undefined : provisional;
  const carried = fp ? { fingerprint: fp, grouping: CURRENT_GROUPING } : {};
  const message: FailureMessage = { ...bounded, ...carried };
  const limit = config.rateLimit;
  const gate = gateKey(failure);
  // One call decides duplicate, rate limit — and, when the event is shed, counts it into its failure's aggregate.
  const sample = JSON.stringify({ failure: bounded.failure, settings, ...carried } satisfies ShedSampleMessage);
  // A known failure's events are gathered at the gate and forwarded as one counted message per GATHER_SECONDS
  // (issue 14: counting at the speed of ingest) — those whose every detail must travel are sent on their own.
  const gather = fp && !message.raw ? { gather: { key: gatherKey(fp, failure, settings), gatherMs: config.gatherMs } } : {};
  const request = { eventId, nowMs: ctx.now.getTime(), ...limit, sample: { message: sample, receivedAt: bounded.failure.receivedAt }, shedKey: provisional, ...gather };
  const admission = await env.REPO_GATE.getByName(gate).admit(request);
  const doRequests = 1;
  if (admission.outcome === "duplicate") {
    return { output: { status: "queued", reason: "duplicate delivery: already queued", eventId }, countedAs: "duplicate", ...labels, doRequests };
  }
  if (admission.outcome === "rate_limited") {
    return {
      output: { status: "rate_limited", reason: `more than ${limit.perMinute} events/min (burst ${limit.burst}) for ${failure.target.repo}; retry after ${admission.retryAfterSeconds}s (counted, not queued)`, eventId },
      ...labels,
      doRequests,
    };
  }

  if (admission.gathered) return { output: { status: "queued", eventId, fingerprint: fp }, ...labels, doRequests };
  const enqueued = await enqueue(env, message, gate, ctx.metrics);
  return { output: { status: "queued", eventId, ...(enqueued.reason ? { reason: enqueued.reason } : {}), ...(fp ? { fingerprint: fp } : {}) }, ...labels, doRequests };
}
