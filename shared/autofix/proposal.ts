import * as v from "valibot";
import { isSafePath, type ProposedFile } from "./risk";

/** What a fix proposer answers, validated before anything is used (the AI's answer included). */
export const PatchProposal = v.strictObject({
  summary: v.pipe(v.string(), v.minLength(1), v.maxLength(4_000)),
  files: v.pipe(
    v.array(
      v.strictObject({
        path: v.pipe(v.string(), v.check(isSafePath, "must be a relative path inside the repository")),
        content: v.pipe(v.string(), v.maxLength(100_000)),
      }),
    ),
    v.maxLength(20),
  ),
  riskNotes: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(500))), v.maxLength(20)), []),
});
export type PatchProposal = v.InferOutput<typeof PatchProposal>;

/** A proposal ready for a PR: the fixture always, the proposer's files when valid, and what happened. */
export interface Proposal {
  source: "fixture-only" | "proposer";
  summary: string;
  files: ProposedFile[];
  notes: string[];
}
