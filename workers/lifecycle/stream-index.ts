import type { FlushMessage } from "../../shared/queue-message";
import type { ClusterSnapshot } from "../durable/cluster";

/**
 * Tells a CI cluster's stream whether its issue is open (issue 15): the stream's index is what a passing run reads,
 * so a success costs nothing unless an issue is open for that workflow and branch. Re-told after every GitHub step
 * and mirrored state of the cluster (idempotent), so an index a failed call left stale is put right by the next one.
 * The stream answers its newest passing run: told to the cluster, which closes the issue if that run is newer than
 * its newest failure — so a success that came while the issue was being filed is not lost. Returns the flush the
 * cluster asked for then, if any.
 */
export async function trackInStream(env: Env, snapshot: ClusterSnapshot | null): Promise<FlushMessage | null> {
  if (!snapshot?.stream) return null;
  const open = snapshot.state === "open" && snapshot.issueNumber !== null;
  const { lastGreen } = await env.CI_STREAM.getByName(snapshot.stream).trackIssue(snapshot.fingerprint, snapshot.issueNumber, open, Date.now());
  if (!lastGreen) return null;
  const told = await env.CLUSTER.getByName(snapshot.fingerprint).green({ run: lastGreen, nowMs: Date.now() });
  return told.flush ? { version: 1, type: "flush", fingerprint: snapshot.fingerprint, repo: snapshot.repo } : null;
}
