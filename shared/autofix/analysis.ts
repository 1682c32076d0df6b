import * as v from "valibot";
import { EditProposal } from "./schema";

const ContextFileSchema = v.object({
  path: v.string(),
  why: v.picklist(["named", "chosen", "manifest", "package", "test"]),
  line: v.optional(v.number()),
  content: v.string(),
  size: v.number(),
  truncated: v.boolean(),
  fromLine: v.number(),
});

/**
 * What the auto-fix made of one cluster (issue 17): the proposer and model, the commit the repo was read at, the
 * context it was shown (bounded), the model's validated proposal — or why there is none — and what applying its
 * hunks gave. Made once per cluster and kept by the cluster's Durable Object, so a retried step (or a PR a later day
 * after the daily cap) uses the same analysis, and the root-cause note is posted once.
 */
export const AutofixAnalysis = v.object({
  proposer: v.object({ name: v.string(), model: v.string() }),
  /** The commit the repo was read at, and what named it (`ci commit`, `plugin ref main`, `default branch main`). */
  commit: v.string(),
  commitFrom: v.string(),
  /** Files the failure names (resolved against the tree), those the model chose, and what became of its choice. */
  named: v.array(v.object({ path: v.string(), line: v.optional(v.number()), from: v.string() })),
  chosen: v.array(v.string()),
  /** GitHub cut the recursive tree listing short (a very large repo): files beyond it could not be named. */
  treeTruncated: v.optional(v.boolean()),
  choiceProblem: v.optional(v.string()),
  files: v.array(ContextFileSchema),
  proposal: v.nullable(EditProposal),
  /** Why there is no usable proposal (the model failed, or answered something that is not one). */
  problem: v.optional(v.string()),
  applied: v.variant("ok", [
    v.object({ ok: v.literal(true), files: v.array(v.object({ path: v.string(), content: v.string() })), hunks: v.number(), newFiles: v.number() }),
    v.object({ ok: v.literal(false), reasons: v.array(v.string()) }),
  ]),
  createdMs: v.number(),
  /** The root-cause note was posted on the issue. */
  notePosted: v.boolean(),
});
export type AutofixAnalysis = v.InferOutput<typeof AutofixAnalysis>;

/** The model's confidence, 0 without a usable proposal. */
export function confidenceOf(analysis: AutofixAnalysis): number {
  return analysis.proposal?.rootCause.confidence ?? 0;
}
