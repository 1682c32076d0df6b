import { hashKey } from "../../shared/delivery-key";
import type { PluginInputs } from "../../shared/plugin-input";
import { createRedactor } from "../../shared/redact";
import { isPlainObject, type Settings } from "../../shared/settings";
import { MAX_KEPT_PAYLOAD_BYTES, type UnconvertedEvent } from "../../shared/unconverted-event";
import type { FieldIssue } from "../../shared/validation";
import { storeDeadLetter } from "../dead-letters/store";

export interface Unconvertible {
  inputs: PluginInputs;
  settings: Settings;
  receivedAt: string;
  issues: FieldIssue[];
  /** The decoded event, when it could be decoded. */
  payload?: unknown;
  /** Why there is no payload to keep. */
  payloadMissing?: string;
}

/** The failing plugin's id, when the payload names one: lets the dead letters be filtered by plugin. */
function pluginIdOf(payload: unknown): string | null {
  const plugin = isPlainObject(payload) ? payload["plugin"] : undefined;
  const id = isPlainObject(plugin) ? plugin["id"] : undefined;
  return typeof id === "string" ? id.slice(0, 500) : null;
}

/**
 * Keeps a signed event that could not be converted (answered `400 invalid_event_payload`) as a dead letter with
 * that reason: the kernel never retries, so this is the only copy. Redacted (the input's own tokens too); its id is
 * the input's, so the same input is kept once. A storage failure is logged, never turned into another answer.
 */
export async function deadLetterUnconverted(env: Env, event: Unconvertible): Promise<void> {
  const { inputs } = event;
  const redactor = createRedactor([inputs.authToken, inputs.ubiquityKernelToken]);
  let payload = event.payload === undefined ? undefined : redactor.value(event.payload);
  let payloadMissing = event.payloadMissing;
  const size = payload === undefined ? 0 : new TextEncoder().encode(JSON.stringify(payload)).byteLength;
  if (size > MAX_KEPT_PAYLOAD_BYTES) {
    payload = undefined;
    payloadMissing = `too large to keep (${size} bytes as JSON)`;
  }
  const body: UnconvertedEvent = {
    version: 1,
    type: "unconverted",
    eventName: inputs.eventName,
    kernelStateId: inputs.stateId,
    receivedAt: event.receivedAt,
    settings: event.settings,
    issues: redactor.value(event.issues),
    ...(payload !== undefined ? { payload } : {}),
    ...(payloadMissing ? { payloadMissing } : {}),
  };
  const first = event.issues[0];
  const reason = `invalid_event_payload: ${first ? `${first.path}: ${first.message}` : "not convertible"}${event.issues.length > 1 ? ` (+${event.issues.length - 1} more)` : ""}`;
  try {
    const id = `ingest:${await hashKey([inputs.eventName, inputs.stateId, inputs.eventPayload].join("\n"))}`;
    await storeDeadLetter(env.DB, { id, queue: "ingest", reason: redactor.string(reason).slice(0, 1_000), attempts: 0, body, plugin: pluginIdOf(payload) });
  } catch (error) {
    console.error(JSON.stringify({ msg: "unconvertible event not kept as a dead letter", eventName: inputs.eventName, stateId: inputs.stateId, error: error instanceof Error ? error.message : String(error) }));
  }
}
