import type { FailureEvent } from "../../shared/failure-event";
import { fingerprint } from "../../shared/fingerprint";
import { type Candidates, type ClusterProbe, type GroupingKey, needsPrevious, routeEvent } from "../../shared/grouping/route";
import type { ActiveGrouping } from "../../shared/grouping/transition";
import type { FingerprintRule } from "../../shared/settings";
import type { ClusterObject } from "../durable/cluster";

/** The cluster Durable Objects, as far as routing needs them. */
export type ClusterLookup = Pick<DurableObjectNamespace<ClusterObject>, "getByName">;

/** The keys of `failure` under the active grouping versions (the previous one only while its transition lasts). */
export async function candidatesOf(failure: FailureEvent, rules: readonly FingerprintRule[], active: ActiveGrouping): Promise<Candidates> {
  const current: GroupingKey = { version: active.current, fingerprint: await fingerprint(failure, rules, active.current) };
  if (!active.previous) return { current, previous: null };
  const previous: GroupingKey = { version: active.previous, fingerprint: await fingerprint(failure, rules, active.previous) };
  return { current, previous: previous.fingerprint === current.fingerprint ? null : previous };
}

/**
 * The cluster an event with these keys is counted in (see routeEvent), asking the cluster Durable Objects — the
 * source of truth, never the D1 index, which lags. Outside a transition: the current key, asked nothing (a link
 * made during a transition is followed by `record`). During one: the current key's object, then if it holds
 * nothing the previous key's; a failure found under the previous version gets the current key linked to it —
 * atomically in the current key's object, so of two events racing, both end up in the same cluster.
 */
export async function clusterFor(clusters: ClusterLookup, candidates: Candidates, nowMs: number): Promise<GroupingKey> {
  if (!candidates.previous) return candidates.current;
  const current = clusters.getByName(candidates.current.fingerprint);
  const held: ClusterProbe = await current.probe();
  const before: ClusterProbe | undefined = needsPrevious(candidates, held) ? await clusters.getByName(candidates.previous.fingerprint).probe() : undefined;
  const route = routeEvent(candidates, held, before);
  if (!route.link) return route.target;
  const linked: ClusterProbe = await current.link(route.link, nowMs);
  // Someone made the current key a cluster meanwhile (an older consumer still deploying): it stays one.
  return linked.kind === "link" ? linked.to : candidates.current;
}

/** clusterFor, asked once per pair of keys within one batch (events with the same keys go to the same cluster). */
export function batchRouter(clusters: ClusterLookup, nowMs: () => number): (candidates: Candidates) => Promise<GroupingKey> {
  const asked = new Map<string, Promise<GroupingKey>>();
  return (candidates) => {
    const key = `${candidates.current.fingerprint}:${candidates.previous?.fingerprint ?? ""}`;
    let route = asked.get(key);
    if (!route) {
      route = clusterFor(clusters, candidates, nowMs());
      asked.set(key, route);
      route.catch(() => asked.delete(key));
    }
    return route;
  };
}
