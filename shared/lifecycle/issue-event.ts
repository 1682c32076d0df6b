import * as v from "valibot";
import { WebhookRepository } from "../ci-events";

const Text = (max: number) => v.pipe(v.string(), v.maxLength(max));

/** `issues.closed` / `issues.reopened` webhook (the fields daemon-hotfix reads to mirror its issues' state). */
export const IssuesEvent = v.object({
  action: v.string(),
  issue: v.object({
    number: v.pipe(v.number(), v.integer(), v.minValue(1)),
    /** Only its start is read: the marker daemon-hotfix puts first in every issue it files. */
    body: v.optional(v.nullable(v.string())),
    state: v.optional(v.nullable(Text(20))),
    state_reason: v.optional(v.nullable(Text(50))),
    closed_at: v.optional(v.nullable(Text(64))),
    pull_request: v.optional(v.unknown()),
  }),
  repository: WebhookRepository,
  sender: v.optional(v.nullable(v.object({ login: v.optional(v.nullable(Text(200))) }))),
});
export type IssuesEvent = v.InferOutput<typeof IssuesEvent>;

/** What a mirrored issue event tells the cluster whose marker opens the issue. */
export interface MirroredIssue {
  fingerprint: string;
  repo: string;
  issue: { number: number; state: "open" | "closed"; stateReason: string | null; closedAt: string | null };
  actor: string | null;
}

const MARKER = /^<!-- daemon-hotfix:fingerprint=([0-9a-f]{40}) -->/;

/**
 * The cluster an issue event is about, when the issue is one daemon-hotfix filed (its body starts with the marker);
 * else why it costs nothing. Pure.
 */
export function mirroredIssue(event: IssuesEvent): { mirror: MirroredIssue } | { ignored: string } {
  if (event.action !== "closed" && event.action !== "reopened") return { ignored: `action "${event.action}" of an issue is not mirrored` };
  if (event.issue.pull_request) return { ignored: "a pull request, not an issue daemon-hotfix filed" };
  const found = MARKER.exec(event.issue.body ?? "");
  if (!found?.[1]) return { ignored: "not an issue daemon-hotfix filed (no marker)" };
  const closed = event.action === "closed";
  return {
    mirror: {
      fingerprint: found[1],
      repo: event.repository.full_name,
      issue: { number: event.issue.number, state: closed ? "closed" : "open", stateReason: closed ? (event.issue.state_reason ?? "completed") : "reopened", closedAt: closed ? (event.issue.closed_at ?? null) : null },
      actor: event.sender?.login ?? null,
    },
  };
}
