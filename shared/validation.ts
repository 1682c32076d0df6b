import * as v from "valibot";

/** One problem with an input, named by its dotted path (e.g. `settings.windowMinutes`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Turns valibot issues into path-named problems, each path prefixed (e.g. with `eventPayload`). */
export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ""): FieldIssue[] {
  return issues.slice(0, 20).map((issue) => {
    const dotPath = v.getDotPath(issue);
    const path = [prefix, dotPath].filter((part) => part !== null && part !== "").join(".") || prefix || "(root)";
    return { path, message: issue.message };
  });
}
