import * as v from "valibot";
import { CiCommit, type CiSource } from "./schema";

/**
 * The run-level key of a CI failure: one stream per repo, kind of event, workflow (or check) and branch. Every
 * failing run of a stream is first counted there; passing runs record the stream's last green commit.
 */
export function ciStreamKey(source: CiSource, repo: string, workflow: string, branch: string | undefined): string {
  return `${source}:${repo.toLowerCase()}:${workflow}@${branch ?? ""}`;
}

/** A passing run: the commit a stream was last green on (issue 15's success handling reads the same record). */
export const GreenRun = v.object({
  stream: v.string(),
  repo: v.string(),
  workflow: v.string(),
  branch: v.optional(v.string()),
  commit: CiCommit,
});
export type GreenRun = v.InferOutput<typeof GreenRun>;
