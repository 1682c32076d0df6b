import type { FailureEvent, RefusedTarget } from "../failure-event";
import type { ParsedPluginId } from "../plugin-id";
import type { SettingsWarning } from "../settings-leniency";
import { ownerOf } from "../repo-name";

export type Target = FailureEvent["target"];

/**
 * Where a failure may be filed (contract "Trust and tenancy", "Where a failure goes"). The `with:` block, a URL
 * plugin's `sourceRepo` and its manifest's `short_name` are written by the reporter or by whoever hosts the plugin,
 * so none of them may direct a write into another owner's repo:
 * - a repo is a target only when its owner is the reporter's or is in `HOTFIX_POLICY.targetOwners`;
 * - a repo *claimed* for a URL plugin (`sourceRepo`, `pluginRepos`, manifest `short_name`) is filed in only once
 *   the claim is verified through GitHub (the consumer does that: the claimed repo's own manifest or homepage
 *   names the plugin's origin);
 * - anything refused goes to the reporter's own `<owner>/.ubiquity-os`, naming what was refused;
 * - `fallbackRepo` (for a plugin with no known repo) counts only when it is the reporter's own;
 * - kernel-level failures go to the reporter's `.ubiquity-os`.
 * Pure: the ingest side of the rules. A claim is never asked about at GitHub unless its owner may receive it.
 */
export interface PlacementInputs {
  plugin: ParsedPluginId;
  pluginType: "http" | "workflow" | "kernel";
  pluginOwner?: string | null | undefined;
  pluginRepo?: string | null | undefined;
  sourceRepo?: string | null | undefined;
  /** Owner of the repo whose event made the kernel dispatch; null when the event names none. */
  reporter: string | null;
  pluginRepos: Readonly<Record<string, string>>;
  fallbackRepo?: string | undefined;
  /** `HOTFIX_POLICY.targetOwners`. */
  targetOwners: readonly string[];
}

export interface Placement {
  target: Target;
  /** Settings these rules ignored (answered in `output.warnings` and counted, like every settings warning). */
  warnings: SettingsWarning[];
}

const REPO = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;

const same = (a: string | null | undefined, b: string | null | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** The reporter's own config repo, `<owner>/.ubiquity-os`. */
export function orgConfigRepo(reporter: string): string {
  return `${reporter}/.ubiquity-os`;
}

/** Whether `repo` may receive a failure this reporter reported: its owner is the reporter's, or the operator allows it. */
export function ownerMayReceive(repo: string, reporter: string | null, targetOwners: readonly string[]): boolean {
  const owner = ownerOf(repo);
  return same(owner, reporter) || targetOwners.some((allowed) => same(allowed, owner));
}

/** Why `repo`'s owner may not receive this reporter's failures. */
export function ownerRefusal(repo: string, reporter: string | null): string {
  return `${ownerOf(repo) ?? repo} is not the reporter's owner${reporter ? ` (${reporter})` : ""} and not in HOTFIX_POLICY.targetOwners`;
}

/**
 * Whether a claimed repo's own GitHub data names the plugin's origin: its `manifest.json` `homepage_url`, or the
 * repo's `homepage`. Absolute http(s) URLs only; origins compare as URLs do (case-insensitive host, default ports).
 */
export function namesOrigin(url: unknown, pluginOrigin: string): boolean {
  if (typeof url !== "string" || !/^https?:\/\//i.test(url.trim())) return false;
  try {
    return new URL(url.trim()).origin === new URL(pluginOrigin).origin;
  } catch {
    return false;
  }
}

/** Where it goes when nothing better is known: `fallbackRepo` when it is the reporter's own, else `.ubiquity-os`. */
function fallback(inputs: PlacementInputs, warnings: SettingsWarning[]): Omit<Target, "manifestUrl"> | null {
  const { fallbackRepo, reporter } = inputs;
  if (fallbackRepo && same(ownerOf(fallbackRepo), reporter)) return { repo: fallbackRepo, resolvedBy: "fallback_repo" };
  if (fallbackRepo) {
    warnings.push({
      path: "settings.fallbackRepo",
      key: "fallbackRepo",
      message: `${fallbackRepo} is not a repo of the reporter's owner${reporter ? ` (${reporter})` : ""}, so it is ignored${reporter ? `; failures with no known repo go to ${orgConfigRepo(reporter)}` : ""}`,
    });
  }
  return reporter ? { repo: orgConfigRepo(reporter), resolvedBy: "org_config_repo" } : null;
}

function refusedTo(reporter: string | null, refused: RefusedTarget[]): Target | null {
  return reporter ? { repo: orgConfigRepo(reporter), resolvedBy: "org_config_repo", refused } : null;
}

/**
 * The target as far as it can be known without I/O. A URL plugin's claims that its owner may receive are left in
 * `claims` (with `manifestUrl` for its `short_name`) for the consumer to verify; `repo` is then where it goes if no
 * claim verifies and none was refused. Null: no repo may be named at all (no reporter, no allowed plugin repo).
 */
export function placeStatically(inputs: PlacementInputs): Placement | null {
  const warnings: SettingsWarning[] = [];
  const { plugin, reporter, targetOwners } = inputs;
  const done = (target: Target | null): Placement | null => (target ? { target, warnings } : null);

  if (inputs.pluginType === "kernel") return done(reporter ? { repo: orgConfigRepo(reporter), resolvedBy: "org_config_repo" } : null);

  // The failing plugin's own repo (a workflow plugin, or a worker keyed by its repo): the kernel names it.
  const own = inputs.pluginOwner && inputs.pluginRepo && REPO.test(`${inputs.pluginOwner}/${inputs.pluginRepo}`) ? `${inputs.pluginOwner}/${inputs.pluginRepo}` : plugin.kind === "repo" ? `${plugin.owner}/${plugin.repo}` : null;
  if (own) {
    if (ownerMayReceive(own, reporter, targetOwners)) return done({ repo: own, resolvedBy: "plugin_repo" });
    return done(refusedTo(reporter, [{ repo: own, by: "plugin_repo", reason: ownerRefusal(own, reporter) }]));
  }

  if (plugin.kind === "url") {
    const claimed = [
      ...(inputs.sourceRepo && REPO.test(inputs.sourceRepo) ? [{ repo: inputs.sourceRepo, by: "source_repo" as const }] : []),
      ...[inputs.pluginRepos[plugin.url] ?? inputs.pluginRepos[`${plugin.url}/`]].filter((r): r is string => !!r).map((repo) => ({ repo, by: "plugin_repos" as const })),
    ];
    const claims = claimed.filter((c) => ownerMayReceive(c.repo, reporter, targetOwners));
    const refused: RefusedTarget[] = claimed.filter((c) => !claims.includes(c)).map((c) => ({ ...c, reason: ownerRefusal(c.repo, reporter) }));
    const last = refused.length ? refusedTo(reporter, refused) : fallback(inputs, warnings);
    if (!last) return null;
    return done({ ...last, manifestUrl: `${plugin.url}/manifest.json`, ...(claims.length ? { claims } : {}) });
  }
  return done(fallback(inputs, warnings));
}

/**
 * A workflow/check run's failure goes to the run's repo; a payload whose repo is not the reporter's (nor an allowed
 * owner's) goes to the reporter's config repo instead. Null when there is no reporter to name.
 */
export function placeRun(fullName: string, reporter: string | null, targetOwners: readonly string[]): Target | null {
  if (ownerMayReceive(fullName, reporter, targetOwners)) return { repo: fullName, resolvedBy: "repository" };
  return refusedTo(reporter, [{ repo: fullName, by: "plugin_repo", reason: ownerRefusal(fullName, reporter) }]);
}

/** What the consumer learnt about a URL plugin's claims (see `settleTarget`). */
export interface ClaimOutcome {
  /** The first claim that verified (its repo and how it was claimed), if any. */
  verified: { repo: string; by: "source_repo" | "plugin_repos" | "manifest" } | null;
  /** Claims that were refused on the way (owner not allowed, or not verified), with the reason. */
  refused: RefusedTarget[];
}

/**
 * The final target once the claims were looked at: the verified claim's repo; else — when anything was refused —
 * the reporter's `.ubiquity-os`, naming every refusal; else where ingest put it (`fallbackRepo` or `.ubiquity-os`).
 * Pure.
 */
export function settleTarget(target: Target, reporter: string | null, outcome: ClaimOutcome): Target {
  if (outcome.verified) return { repo: outcome.verified.repo, resolvedBy: outcome.verified.by };
  const refused = [...(target.refused ?? []), ...outcome.refused];
  const { manifestUrl: _asked, claims: _checked, ...rest } = target;
  if (!refused.length) return rest;
  return reporter ? { repo: orgConfigRepo(reporter), resolvedBy: "org_config_repo", refused } : { ...rest, refused };
}

/** Whether the consumer still has to settle this target (claims to verify, or a manifest to ask). */
export function isPending(target: Target): boolean {
  return target.manifestUrl !== undefined || (target.claims?.length ?? 0) > 0;
}
