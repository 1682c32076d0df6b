import * as v from "valibot";
import { GLOB_LIMITS, globProblem } from "./glob";
import { RepoFullName } from "./repo-name";

const Int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/** A `*`/`?` glob, bounded in length and in stars so that matching stays cheap (shared/glob.ts). */
const Glob = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(GLOB_LIMITS.maxLength),
  v.check((glob) => globProblem(glob) === null, `must have at most ${GLOB_LIMITS.maxStars} "*"`),
);

/** A rule that names the group of failures it matches, for when the default fingerprint groups too finely or too coarsely. */
export const FingerprintRule = v.object({
  match: v.object({
    plugin: v.optional(v.pipe(Glob, v.description("glob on the plugin id"))),
    category: v.optional(v.pipe(Glob, v.description("glob on the failure category"))),
    message: v.optional(v.pipe(Glob, v.description("glob on the sanitised message"))),
  }),
  group: v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.description("name of the group; failures of one group share one issue")),
});
export type FingerprintRule = v.InferOutput<typeof FingerprintRule>;

/**
 * The plugin's settings: the `with:` block of its entry in `.ubiquity-os.config.yml`, merged over
 * `HOTFIX_CONFIG`. Every field is optional; defaults follow the contract. Objects are open (not `strictObject`):
 * the kernel never retries, so a with: block is read leniently (`settings-leniency.ts`) — an unknown key is
 * ignored and an unusable value falls back to its default, each named in a warning, never a refusal.
 */
export const Settings = v.object({
  enabled: v.optional(v.pipe(v.boolean(), v.description("false: every event is answered `disabled`")), true),
  modes: v.optional(
    v.pipe(v.array(v.picklist(["issue", "pr"])), v.minLength(1), v.description('"issue" files issues; "pr" adds guarded draft PRs')),
    ["issue"],
  ),
  riskPolicy: v.optional(
    v.object({
      autoMerge: v.optional(v.pipe(v.boolean(), v.description("enable GitHub auto-merge for low-risk PRs")), false),
      maxAutofixPerDay: v.optional(v.pipe(Int(0, 100), v.description("PRs per repo per UTC day")), 3),
      maxRiskTier: v.optional(v.pipe(v.picklist(["low", "medium", "high"]), v.description("highest risk tier a PR may have (above: a comment explains, no PR)")), "low"),
      minOccurrences: v.optional(v.pipe(Int(1, 1_000_000), v.description("occurrences before the auto-fix runs (root-cause note, PR)")), 3),
      minConfidence: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1), v.description("the proposer's confidence a PR needs (0 to 1)")), 0.7),
    }),
    {},
  ),
  issueLabels: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(50))), v.maxLength(20)), []),
  notify: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.regex(/^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\/[A-Za-z0-9._-]{1,100})?$/, "must be a GitHub handle or @org/team"))),
      v.maxLength(20),
      v.description("handles mentioned once, in a new issue"),
    ),
    [],
  ),
  allowlistRepos: v.optional(v.pipe(v.array(RepoFullName), v.description("repos whose workflow/check failures are handled; [] = all")), []),
  allowWorkflowEvents: v.optional(v.pipe(v.boolean(), v.description("handle failing workflow_run / check_suite / check_run events")), false),
  ciBranches: v.optional(
    v.pipe(
      v.array(Glob),
      v.minLength(1),
      v.maxLength(20),
      v.description('branch globs whose CI failures are handled; unset: the repository\'s default branch; ["*"]: all'),
    ),
  ),
  windowMinutes: v.optional(v.pipe(Int(1, 10080), v.description("clustering window: at most one comment per window")), 60),
  updateIntervalSeconds: v.optional(v.pipe(Int(0, 86400), v.description("at most one body edit per cluster per interval")), 60),
  pluginRepos: v.optional(v.pipe(v.record(v.pipe(v.string(), v.url()), RepoFullName), v.description("plugin URL → owner/repo")), {}),
  fallbackRepo: v.optional(v.pipe(RepoFullName, v.description("where failures of a plugin with no known repo go"))),
  fingerprintRules: v.optional(v.pipe(v.array(FingerprintRule), v.maxLength(50)), []),
  autoClose: v.optional(v.pipe(v.boolean(), v.description("close a CI failure's issue as completed when the same workflow (or check) passes on the same branch again")), true),
  fileAfter: v.optional(
    v.pipe(
      v.object({
        occurrences: v.optional(v.pipe(Int(1, 100), v.description("occurrences needed before the issue is filed")), 1),
        withinMinutes: v.optional(v.pipe(Int(1, 10080), v.description("…within this many minutes")), 60),
      }),
      v.description("no issue until a failure was seen `occurrences` times within `withinMinutes` (every occurrence is still counted)"),
    ),
    {},
  ),
  resolveAfterQuietDays: v.optional(v.pipe(Int(1, 365), v.description("a plugin failure quiet this many days after its plugin's ref or commit changed is closed as completed")), 7),
  keepRawPayload: v.optional(v.pipe(v.boolean(), v.description("keep the redacted raw event with the failure (off by default)")), false),
});
export type Settings = v.InferOutput<typeof Settings>;
export type SettingsInput = v.InferInput<typeof Settings>;

/** A plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merges the event's `with:` block over the operator's defaults: top-level keys of the event win; the nested
 * `riskPolicy` object is merged key by key so an event can change one of its fields.
 */
export function mergeSettings(defaults: Record<string, unknown>, event: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...defaults, ...event };
  const base = defaults["riskPolicy"];
  const over = event["riskPolicy"];
  if (isPlainObject(base) && isPlainObject(over)) merged["riskPolicy"] = { ...base, ...over };
  return merged;
}
