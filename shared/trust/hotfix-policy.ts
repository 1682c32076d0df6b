import * as v from "valibot";

const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));
const owner = v.pipe(v.string(), v.regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "must be a GitHub owner login"));
const repoGlob = v.pipe(v.string(), v.minLength(3), v.maxLength(200), v.regex(/^[^/\s]+\/[^/\s]+$/, "must be an owner/repo glob"));

/**
 * `HOTFIX_POLICY`: the operator's ceilings, which no `with:` block can raise (contract: "Trust and tenancy").
 * Strict: a misspelt key is an operator error that /healthz names, not a silently ignored ceiling.
 */
export const HotfixPolicy = v.strictObject({
  /** Owners besides the reporter's own that any reporter's failures may be filed in (e.g. the marketplace org). */
  targetOwners: v.optional(v.pipe(v.array(owner), v.maxLength(100)), []),
  /** `owner/repo` globs where PR mode may run at all (empty: nowhere). */
  prRepos: v.optional(v.pipe(v.array(repoGlob), v.maxLength(100)), []),
  /** New issues per target repo per UTC day; further new failures go to that day's digest issue. */
  maxNewIssuesPerRepoPerDay: v.optional(count(10_000), 10),
  /** Floor for `updateIntervalSeconds`. */
  minUpdateIntervalSeconds: v.optional(count(86_400), 60),
  /** Floor for `windowMinutes`. */
  minWindowMinutes: v.optional(count(10_080), 15),
  /** Ceiling for `riskPolicy.maxAutofixPerDay`. */
  maxAutofixPerDay: v.optional(count(1_000), 3),
  /** Ceiling for the number of `notify` handles. */
  maxNotify: v.optional(count(100), 5),
});
export type HotfixPolicy = v.InferOutput<typeof HotfixPolicy>;

/** The policy when `HOTFIX_POLICY` is unset (and, with a problem reported, when it is unusable): the strictest. */
export const DEFAULT_HOTFIX_POLICY: HotfixPolicy = v.parse(HotfixPolicy, {});
