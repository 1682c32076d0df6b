import { ciFingerprintParts, ciFingerprintText, groupsCiByBreakage } from "./ci-context/fingerprint";
import type { FailureEvent } from "./failure-event";
import { globMatch } from "./glob";
import { CURRENT_GROUPING, type GroupingVersion } from "./grouping/versions";
import { normalizeMessage } from "./normalize-message";
import { parsePluginId } from "./plugin-id";
import type { FingerprintRule } from "./settings";

/**
 * What goes into a fingerprint (and, by omission, what does not):
 * - the target repo (lower-cased): one issue per fingerprint per repo;
 * - the plugin identity: a worker's URL without query or trailing slash (the host already names its
 *   deployment), a workflow plugin's `owner/repo:workflow` WITHOUT its `@ref` (the same failure at `main` and at
 *   a pinned ref is one problem; refs seen are listed in the issue), and for CI runs the repo, workflow or check
 *   AND the branch (a failure on `main` is not the one on a feature branch);
 * - the category (lower-cased);
 * - the message as the grouping version normalises it (see grouping/versions.ts), in which the HTTP status survives.
 * Not in: request/state/delivery/run ids, timestamps, the kernel environment and commit, the log trail.
 * A `fingerprintRules` match replaces plugin, category and message with the rule's group name.
 *
 * The hashed text starts with the grouping version (`v1\n…`, `v2\n…`), so each version's fingerprints are its own.
 * A custom group does not depend on normalisation: its fingerprint is the same under every version (hashed as it
 * always was), so a grouping upgrade never moves it.
 *
 * CI failures (workflow runs, check runs and suites), from grouping v2 on, are keyed by what broke instead — repo,
 * workflow, failed job, failed step, first error: `ciFingerprintText` (shared/ci-context/fingerprint.ts). Under v1
 * (frozen) they hash as they always did, from the event alone (`Workflow "CI" failed on main`), so the transition
 * to v2 finds an ongoing CI failure's v1 cluster.
 */
export interface FingerprintParts {
  repo: string;
  plugin: string;
  category: string;
  message: string;
  /** Set when a custom rule decided the group. */
  group?: string;
}

/** The plugin part of the fingerprint (see above). */
export function pluginIdentity(failure: Pick<FailureEvent, "plugin" | "kind">): string {
  const { plugin } = failure;
  if (plugin.type === "ci") return plugin.id.toLowerCase();
  const parsed = parsePluginId(plugin.id);
  if (parsed.kind === "url") {
    const url = new URL(parsed.url);
    return `${url.origin}${url.pathname.replace(/\/+$/, "")}`.toLowerCase();
  }
  if (parsed.kind === "repo") return `${parsed.owner}/${parsed.repo}${parsed.workflowId ? `:${parsed.workflowId}` : ""}`.toLowerCase();
  return plugin.id.toLowerCase();
}

/** The first rule whose every given glob matches, or undefined. */
export function matchingRule(failure: Pick<FailureEvent, "plugin" | "category" | "message">, rules: readonly FingerprintRule[]): FingerprintRule | undefined {
  return rules.find(
    ({ match }) =>
      (match.plugin === undefined || globMatch(match.plugin, failure.plugin.id)) &&
      (match.category === undefined || globMatch(match.category, failure.category)) &&
      (match.message === undefined || globMatch(match.message, failure.message)) &&
      (match.plugin !== undefined || match.category !== undefined || match.message !== undefined),
  );
}

export function fingerprintParts(failure: FailureEvent, rules: readonly FingerprintRule[] = [], version: GroupingVersion = CURRENT_GROUPING): FingerprintParts {
  const repo = failure.target.repo.toLowerCase();
  const rule = matchingRule(failure, rules);
  if (rule) return { repo, plugin: "", category: "", message: "", group: rule.group };
  return { repo, plugin: pluginIdentity(failure), category: failure.category.toLowerCase(), message: normalizeMessage(failure.message, version) };
}

/** The text a fingerprint hashes. */
export function fingerprintText(parts: FingerprintParts, version: GroupingVersion): string {
  // Custom groups were hashed as `v1` from the start and stay so under every version.
  if (parts.group !== undefined) return `v1\nrepo=${parts.repo}\ngroup=${parts.group}`;
  return `${version}\nrepo=${parts.repo}\nplugin=${parts.plugin}\ncategory=${parts.category}\nmessage=${parts.message}`;
}

/** SHA-256 (hex, 40 chars) of the parts under grouping `version` (default: the current one): the cluster's name, the issue's marker. */
export async function fingerprint(failure: FailureEvent, rules: readonly FingerprintRule[] = [], version: GroupingVersion = CURRENT_GROUPING): Promise<string> {
  const text = failure.ci ? ciText(failure, failure.ci, rules, version) : fingerprintText(fingerprintParts(failure, rules, version), version);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)]
    .slice(0, 20)
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

/** A CI failure's text: by what broke from v2 on; under v1 from the event's own message, as v1 always hashed it. */
function ciText(failure: FailureEvent, ci: NonNullable<FailureEvent["ci"]>, rules: readonly FingerprintRule[], version: GroupingVersion): string {
  if (!groupsCiByBreakage(version)) return fingerprintText(fingerprintParts({ ...failure, message: ci.facts.runMessage }, rules, version), version);
  if (matchingRule(failure, rules)) return fingerprintText(fingerprintParts(failure, rules, version), version);
  return ciFingerprintText(ciFingerprintParts(failure.target.repo, ci.facts, ci.details?.breakage, version));
}
