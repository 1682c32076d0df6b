import * as v from "valibot";
import { replayFixture } from "../../shared/autofix/fixture";
import { PatchProposal, type Proposal } from "../../shared/autofix/proposal";
import type { ClusterView } from "../../shared/cluster-view";
import { createRedactor } from "../../shared/redact";
import type { FixProposer } from "./proposers";

/**
 * The change a PR carries: always the replay fixture; plus the proposer's files when its answer passes the
 * `PatchProposal` schema. Anything else — no answer, not JSON, wrong shape, unsafe paths — gives a fixture-only
 * PR and a note saying why. Contents are redacted once more on the way out.
 */
export async function buildProposal(view: ClusterView, proposer: FixProposer): Promise<Proposal> {
  const fixture = replayFixture(view);
  const redact = createRedactor();
  const answer = await proposer.propose(view).catch((error: unknown) => ({ ok: false as const, reason: `the proposer failed (${error instanceof Error ? error.name : "error"})` }));
  if (!answer.ok) {
    return { source: "fixture-only", summary: "Adds a replay fixture that reproduces the failure.", files: [fixture], notes: [`No fix proposed: ${answer.reason}. This PR holds the replay fixture only.`] };
  }
  const parsed = v.safeParse(PatchProposal, answer.answer);
  if (!parsed.success) {
    const where = parsed.issues.slice(0, 3).map((i) => `${v.getDotPath(i) ?? "(root)"}: ${i.message}`).join("; ");
    return { source: "fixture-only", summary: "Adds a replay fixture that reproduces the failure.", files: [fixture], notes: [`The proposer's answer was not a valid patch (${where}), so it was not used. This PR holds the replay fixture only.`] };
  }
  const files = [fixture, ...parsed.output.files.filter((file) => file.path !== fixture.path).map((file) => ({ path: file.path, content: redact.string(file.content) }))];
  return {
    source: parsed.output.files.length ? "proposer" : "fixture-only",
    summary: redact.string(parsed.output.summary),
    files,
    notes: parsed.output.riskNotes.map((n) => redact.string(n)),
  };
}
