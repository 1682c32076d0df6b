import { boundMessage } from "../../shared/bound-message";
import { toFailure } from "../../shared/convert";
import { hashKey } from "../../shared/delivery-key";
import type { FailureEvent } from "../../shared/failure-event";
import { fingerprint } from "../../shared/fingerprint";
import { CURRENT_GROUPING } from "../../shared/grouping/versions";
import type { IngestOutput } from "../../shared/ingest-output";
import type { PluginInputs } from "../../shared/plugin-input";
import { loopReason } from "../../shared/policy";
import type { FailureMessage } from "../../shared/queue-message";
import { createRedactor } from "../../shared/redact";
import { configOf } from "../config";
import { AppError } from "../errors";
import { decodeEventPayload } from "./payload-codec";
import { resolveSettings } from "./settings";


export interface AcceptContext {
  env: Env;
  /** Origin the request came in on: failures of a plugin at this origin are daemon-hotfix's own. */
  selfOrigin: string;
  now: Date;
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

/** The key of the per-repo gate: the target repo, or the plugin's origin while its repo awaits its manifest. */
export function gateKey(failure: FailureEvent): string {
  if (failure.target.manifestUrl) return `plugin:${new URL(failure.target.manifestUrl).origin}`;
  return `repo:${failure.target.repo.toLowerCase()}`;
}

/** Origins daemon-hotfix is served from: the request's, and PUBLIC_URL's (an unusable one only narrows loop detection). */
function selfOrigins(publicOrigin: string | null, requestOrigin: string): string[] {
  return publicOrigin ? [requestOrigin, publicOrigin] : [requestOrigin];
}

/**
 * Takes verified plugin inputs to an outcome: settings, policy, conversion, redaction, loop suppression,
 * delivery de-duplication and the per-repo rate limit, then the queue. Never waits on GitHub.
 */
export async function accept(inputs: PluginInputs, ctx: AcceptContext): Promise<Accepted> {
  const { env } = ctx;
  const config = configOf(env);
  const settings = resolveSettings(inputs.settings, config.operatorDefaults);
  if (!settings.enabled) return { output: { status: "disabled", reason: "settings.enabled is false" } };

  const payload = decodeEventPayload(inputs.eventPayload);
  const receivedAt = ctx.now.toISOString();
  // Redaction runs inside the conversion, before any text is clipped; the input's own tokens are known secrets.
  const redactor = createRedactor([inputs.authToken, inputs.ubiquityKernelToken]);
  const conversion = toFailure(inputs.eventName, payload, { kernelStateId: inputs.stateId, receivedAt, settings, redactor });
  if (conversion.outcome === "invalid") {
    throw new AppError(400, "invalid_event_payload", `eventPayload is not a valid ${inputs.eventName} event`, conversion.issues);
  }
  if (conversion.outcome === "ignored") return { output: { status: "ignored", reason: conversion.reason } };

  const eventId = await hashKey(conversion.deliveryKey);
  const failure = redactor.value<FailureEvent>({ ...conversion.failure, eventId });
  const labels = { plugin: failure.plugin.id, repo: failure.target.repo };

  const loop = loopReason(failure, conversion.actors, { botLogins: [config.botLogin], origins: selfOrigins(config.publicOrigin, ctx.selfOrigin) });
  if (loop) return { output: { status: "suppressed", reason: loop, eventId }, ...labels };

  // The fingerprint is computed once, here, from the failure as the message carries it (bounded), and travels
  // with it — unless the repo still has to come from the plugin's manifest (the consumer resolves, then
  // fingerprints).
  const bounded = boundMessage({ version: 1, type: "failure", failure, settings, ...(settings.keepRawPayload ? { raw: redactor.value(payload) } : {}) });
  const provisional = await fingerprint(bounded.failure, settings.fingerprintRules);
  const fp = failure.target.manifestUrl ? undefined : provisional;
  const carried = fp ? { fingerprint: fp, grouping: CURRENT_GROUPING } : {};
  const message: FailureMessage = { ...bounded, ...carried };
  const limit = config.rateLimit;
  const gate = env.REPO_GATE.getByName(gateKey(failure));
  // One call decides duplicate, rate limit — and, when the event is shed, counts it into its failure's aggregate.
  const shed = { key: provisional, message: { failure: bounded.failure, settings, ...carried } };
  const admission = await gate.admit({ eventId, nowMs: ctx.now.getTime(), ...limit, shed });
  if (admission.outcome === "duplicate") {
    return { output: { status: "queued", reason: "duplicate delivery: already queued", eventId }, countedAs: "duplicate", ...labels, doRequests: 1 };
  }
  if (admission.outcome === "rate_limited") {
    return {
      output: { status: "rate_limited", reason: `more than ${limit.perMinute} events/min (burst ${limit.burst}) for ${failure.target.repo}; retry after ${admission.retryAfterSeconds}s (counted, not queued)`, eventId },
      ...labels,
      doRequests: 1,
    };
  }

  try {
    await env.EVENTS.send(message, { contentType: "json" });
  } catch (error) {
    await gate.release(eventId, limit.burst);
    throw new AppError(503, "unavailable", "the event queue is unavailable; retry later", [], error instanceof Error ? error.message : String(error));
  }
  return { output: { status: "queued", eventId, ...(fp ? { fingerprint: fp } : {}) }, ...labels, doRequests: 1 };
}
