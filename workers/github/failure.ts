import type { Classified } from "./classify";

/** A GitHub failure, sorted (see classify.ts). */
export class GitHubFailure extends Error {
  override readonly name = "GitHubFailure";
  constructor(readonly classified: Classified) {
    super(classified.reason);
  }
}
