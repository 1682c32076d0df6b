import type { GroupingVersion } from "./versions";

/** A fingerprint with the grouping version it was computed under. */
export interface GroupingKey {
  version: GroupingVersion;
  fingerprint: string;
}

/**
 * What the cluster Durable Object named by a fingerprint holds: a cluster (it has counted events), a link to the
 * cluster its failure joined during a transition, or nothing.
 */
export type ClusterProbe = { kind: "cluster" } | { kind: "link"; to: GroupingKey } | { kind: "none" };

/** The keys of one event: under the current grouping version and, during a transition, the previous one. */
export interface Candidates {
  current: GroupingKey;
  previous: GroupingKey | null;
}

export interface Route {
  /** The cluster the event is counted in. */
  target: GroupingKey;
  /** Set when the current key is to be linked to `target` (a failure that started under the previous version). */
  link?: GroupingKey;
}

/**
 * Which cluster an event goes to (pure). The current version's cluster when it exists, or where the current key
 * is linked; otherwise, during a transition, the previous version's cluster when that one exists — and then the
 * current key is linked to it, so later events (after the transition too) find it without the previous version;
 * otherwise a new cluster under the current version. `previous` is the probe of `candidates.previous`, needed only
 * when `current` is `none`.
 */
export function routeEvent(candidates: Candidates, current: ClusterProbe, previous?: ClusterProbe): Route {
  if (current.kind === "cluster") return { target: candidates.current };
  if (current.kind === "link") return { target: current.to };
  const before = candidates.previous;
  if (!before || before.fingerprint === candidates.current.fingerprint || !previous) return { target: candidates.current };
  if (previous.kind === "cluster") return { target: before, link: before };
  if (previous.kind === "link") return { target: previous.to, link: previous.to };
  return { target: candidates.current };
}

/** Whether routing needs the previous key's probe, given the current key's. */
export function needsPrevious(candidates: Candidates, current: ClusterProbe): boolean {
  return current.kind === "none" && candidates.previous !== null && candidates.previous.fingerprint !== candidates.current.fingerprint;
}
