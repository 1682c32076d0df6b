import type { FlushMessage, GreenMessage, MirrorMessage } from "../../shared/queue-message";
import type { LifecycleResult } from "../durable/cluster";
import { trackInStream } from "../lifecycle/stream-index";
import type { MetricsBuffer } from "../metrics/buffer";
import { upsertClusterIndex } from "./cluster-index";

export interface LifecycleDeps {
  env: Env;
  metrics: MetricsBuffer;
  pending: Promise<void>[];
  flushes: FlushMessage[];
}

/**
 * The events queue's part for issue 15's lifecycle messages: a passing run told to the clusters its stream named
 * (each closes its open issue with a `resolve` step), or GitHub's state of an issue told to its cluster. No GitHub
 * request here: a cluster with a step due asks for a flush on the writes queue. Throws when a cluster could not be
 * reached (the message is retried; telling a cluster twice changes nothing).
 */
export async function handleLifecycle(body: GreenMessage | MirrorMessage, deps: LifecycleDeps): Promise<void> {
  const { env } = deps;
  const now = Date.now();
  const results: Array<{ fingerprint: string; result: LifecycleResult }> = [];
  if (body.type === "green") {
    for (const fingerprint of body.fingerprints) {
      const result = await env.CLUSTER.getByName(fingerprint).green({ run: body.run, workflow: body.workflow, ...(body.branch !== undefined ? { branch: body.branch } : {}), nowMs: now });
      results.push({ fingerprint, result });
      // No open issue any more (closed meanwhile): the stream forgets it, so the next success costs nothing.
      if (result.refused && result.snapshot && result.snapshot.state !== "open") await trackInStream(env, result.snapshot);
    }
  } else {
    const result = await env.CLUSTER.getByName(body.fingerprint).mirror(body.repo, body.issue, now);
    results.push({ fingerprint: body.fingerprint, result });
    if (!result.refused) {
      deps.metrics.inc("issues_mirrored");
      const flush = await trackInStream(env, result.snapshot);
      if (flush) deps.flushes.push(flush);
    } else console.warn(JSON.stringify({ msg: "issue state not mirrored", fingerprint: body.fingerprint, reason: result.refused }));
  }
  deps.metrics.inc("do_requests", { component: "consumer", object: "cluster" }, results.length);
  for (const { fingerprint, result } of results) {
    const snapshot = result.snapshot;
    if (result.flush && snapshot) deps.flushes.push({ version: 1, type: "flush", fingerprint, repo: snapshot.repo });
    if (snapshot && !result.refused) {
      deps.pending.push(upsertClusterIndex(env.DB, snapshot));
      deps.metrics.inc("d1_statements", { component: "consumer" });
    }
  }
}
