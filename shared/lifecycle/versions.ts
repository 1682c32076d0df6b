import * as v from "valibot";
import type { FailureEvent } from "../failure-event";

/**
 * The versions a cluster saw its failure on: a CI run's head commit, a workflow plugin's ref, the kernel's commit.
 * A *gating* version (a commit: CI's head SHA, a plugin ref that is a commit SHA) decides whether a recurrence after
 * a close is a regression (a version new since the close) or a re-run of an old one; a branch-like ref (`main`)
 * or the kernel's commit says nothing about the failing code's version, so it is recorded and shown, not gating.
 */
export const SeenVersion = v.object({
  kind: v.picklist(["commit", "ref", "kernel"]),
  value: v.string(),
  gating: v.boolean(),
  firstSeen: v.string(),
  lastSeen: v.string(),
  /** A CI commit's time (when its run was created): orders commits. */
  commitAt: v.optional(v.string()),
  /** The run (or trigger) that showed it: named when it breaks the failure again. */
  url: v.optional(v.string()),
});
export type SeenVersion = v.InferOutput<typeof SeenVersion>;

/** Versions a cluster keeps (the most recently seen). */
export const VERSIONS_KEPT = 20;

const COMMIT = /^[0-9a-f]{7,64}$/i;

type Observed = Omit<SeenVersion, "firstSeen" | "lastSeen">;

/** The versions one occurrence names. Pure. */
export function versionsOf(failure: FailureEvent): Observed[] {
  const out: Observed[] = [];
  const commit = failure.ci?.facts.commit;
  const headSha = commit?.sha ?? failure.correlation.headSha;
  const url = commit?.url ?? failure.trigger.url;
  if (failure.ci && headSha) out.push({ kind: "commit", value: headSha.toLowerCase(), gating: true, ...(commit?.at ? { commitAt: commit.at } : {}), ...(url ? { url } : {}) });
  const ref = failure.plugin.ref;
  if (!failure.ci && ref && failure.plugin.type !== "kernel") out.push({ kind: "ref", value: ref, gating: COMMIT.test(ref), ...(failure.trigger.url ? { url: failure.trigger.url } : {}) });
  const kernel = failure.kernelCommit;
  if (kernel && kernel !== "unknown") out.push({ kind: "kernel", value: kernel, gating: false });
  return out;
}

/** Whether an occurrence names no gating version (its recurrence after a close always reopens, as before versions). */
export function isUnversioned(failure: FailureEvent): boolean {
  return !versionsOf(failure).some((version) => version.gating);
}

/** The versions with one occurrence's added (first/last seen by the occurrence's time), bounded. Pure. */
export function withVersions(seen: readonly SeenVersion[], failure: FailureEvent): SeenVersion[] {
  const at = failure.occurredAt;
  const out = seen.map((s) => ({ ...s }));
  for (const observed of versionsOf(failure)) {
    const known = out.find((s) => s.kind === observed.kind && s.value === observed.value);
    if (known) {
      if (Date.parse(at) < Date.parse(known.firstSeen)) known.firstSeen = at;
      if (Date.parse(at) > Date.parse(known.lastSeen)) {
        known.lastSeen = at;
        if (observed.url) known.url = observed.url;
      }
    } else out.push({ ...observed, firstSeen: at, lastSeen: at });
  }
  return out.sort((a, b) => Date.parse(a.lastSeen) - Date.parse(b.lastSeen)).slice(-VERSIONS_KEPT);
}

/** `abc1234…` for a commit, the ref itself otherwise. */
export function shortVersion(version: Pick<SeenVersion, "kind" | "value">): string {
  return version.kind === "commit" || COMMIT.test(version.value) ? version.value.slice(0, 12) : version.value;
}
