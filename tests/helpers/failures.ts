import * as v from "valibot";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { Settings } from "../../shared/settings";
import { kernelPluginError } from "./events";

/** A fresh occurrence (its own request and event id, now) of the workflow plugin `acme/<repo>`'s failure, reported by acme. */
export function workflowFailureIn(repo: string): FailureEvent {
  const now = new Date().toISOString();
  const payload = kernelPluginError({ plugin: { type: "workflow", id: `acme/${repo}:compute.yml@main`, owner: "acme", repo }, trigger: { repo: "acme/app" }, requestId: crypto.randomUUID(), timestamp: now });
  const c = toFailure("kernel.plugin_error", payload, { kernelStateId: "k", receivedAt: now, settings: v.parse(Settings, {}) });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: crypto.randomUUID().replaceAll("-", "") };
}
