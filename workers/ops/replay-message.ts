import * as v from "valibot";
import { prepareFailure } from "../../shared/prepare-failure";
import { CountedMessage } from "../../shared/queue-message";
import { UnconvertedEvent } from "../../shared/unconverted-event";
import { configOf } from "../config";

export type ReplayMessage = { message: CountedMessage } | { notReplayable: string };

/**
 * What replaying a dead letter sends: its failure message or aggregate (marked as a replay), or — for an event ingest could not
 * convert when it came — the failure the current code converts it into, judged by the same loop rules as at the
 * door. Why not, otherwise (still not convertible, now ignored or suppressed, payload not kept).
 */
export async function replayMessage(env: Env, body: unknown): Promise<ReplayMessage> {
  // An event, or an aggregate counted at ingest's gate: its cluster counted it (by id) already, the replay unblocks it.
  const counted = v.safeParse(CountedMessage, body);
  if (counted.success) return { message: { ...counted.output, replay: true } };
  const unconverted = v.safeParse(UnconvertedEvent, body);
  if (!unconverted.success) return { notReplayable: "the body is not an event daemon-hotfix can replay" };
  const event = unconverted.output;
  if (event.payload === undefined) return { notReplayable: `the event was not kept: ${event.payloadMissing ?? "no payload"}` };
  const config = configOf(env);
  const prepared = await prepareFailure(event.eventName, event.payload, {
    kernelStateId: event.kernelStateId,
    receivedAt: event.receivedAt,
    settings: event.settings,
    secrets: [],
    self: { botLogins: [config.botLogin], origins: config.publicOrigin ? [config.publicOrigin] : [] },
  });
  if (prepared.outcome === "invalid") {
    const first = prepared.issues[0];
    return { notReplayable: `still not convertible${first ? `: ${first.path}: ${first.message}` : ""}` };
  }
  if (prepared.outcome === "ignored") return { notReplayable: `ignored now: ${prepared.reason}` };
  if (prepared.outcome === "green") return { notReplayable: "a passing CI run: nothing to file" };
  if (prepared.outcome === "mirror") return { notReplayable: "an issue's state change: GitHub's state now is what counts" };
  if (prepared.loop) return { notReplayable: `suppressed now: ${prepared.loop}` };
  return { message: { version: 1, type: "failure", failure: prepared.failure, settings: event.settings, replay: true } };
}
