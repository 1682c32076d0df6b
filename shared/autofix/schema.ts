import * as v from "valibot";
import { isSafePath } from "./risk";

/** The most paths the model may ask to read (the context holds at most `CONTEXT_LIMITS.files` files in all). */
export const MAX_CHOSEN_PATHS = 10;

const RepoPath = v.pipe(v.string(), v.maxLength(300), v.check(isSafePath, "must be a relative path inside the repository"));

/** The model's first answer: which files of the tree it wants to read (validated; only paths of the tree count). */
export const FileChoice = v.strictObject({
  paths: v.pipe(v.array(v.pipe(v.string(), v.maxLength(300))), v.maxLength(MAX_CHOSEN_PATHS)),
});
export type FileChoice = v.InferOutput<typeof FileChoice>;

/** One search/replace hunk: `search` must occur exactly once in the file as shown (at the failing commit). */
export const Hunk = v.strictObject({
  path: RepoPath,
  search: v.pipe(v.string(), v.minLength(1), v.maxLength(20_000)),
  replace: v.pipe(v.string(), v.maxLength(20_000)),
});
export type Hunk = v.InferOutput<typeof Hunk>;

/** A file the model adds: only a test or a fixture. */
export const NewFile = v.strictObject({
  path: RepoPath,
  content: v.pipe(v.string(), v.maxLength(20_000)),
});
export type NewFile = v.InferOutput<typeof NewFile>;

/**
 * What a fix proposer answers (the model's answer is data to validate, never instructions): its root-cause
 * hypothesis with the files it points at and its confidence, a summary, search/replace hunks against the files it
 * was shown, new test or fixture files, and risk notes. Every field is required (a strict JSON schema for the
 * model); empty lists are valid answers.
 */
export const EditProposal = v.strictObject({
  rootCause: v.strictObject({
    hypothesis: v.pipe(v.string(), v.minLength(1), v.maxLength(2_000)),
    files: v.pipe(v.array(v.pipe(v.string(), v.maxLength(300))), v.maxLength(10)),
    confidence: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
  }),
  summary: v.pipe(v.string(), v.minLength(1), v.maxLength(4_000)),
  edits: v.pipe(v.array(Hunk), v.maxLength(20)),
  newFiles: v.pipe(v.array(NewFile), v.maxLength(5)),
  riskNotes: v.pipe(v.array(v.pipe(v.string(), v.maxLength(500))), v.maxLength(20)),
});
export type EditProposal = v.InferOutput<typeof EditProposal>;

/** Why a model answer was not usable, in words (the first few issues, with where). */
export function answerProblems(issues: ReadonlyArray<v.BaseIssue<unknown>>): string {
  return issues
    .slice(0, 3)
    .map((i) => `${v.getDotPath(i) ?? "(root)"}: ${i.message}`)
    .join("; ");
}
