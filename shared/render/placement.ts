import { MAX_REPORTERS } from "../cluster-state";
import { MAX_REPOS } from "../lifecycle/lifecycle";
import type { FailureEvent, RefusedTarget } from "../failure-event";
import { code, plain } from "./inert";

const CLAIMED_BY: Record<RefusedTarget["by"], string> = {
  source_repo: "the plugin's `sourceRepo`",
  plugin_repos: "`pluginRepos` in the settings",
  manifest: "the `short_name` of the plugin's manifest.json",
  plugin_repo: "the plugin's own repo",
};

/**
 * Why a failure is in the reporter's config repo rather than in the repo claimed for its plugin (contract "Trust
 * and tenancy": the issue names the plugin and the unverified claim). Only rendered there, in the reporter's own
 * repo: the claims are the reporter's configuration. Empty when nothing was refused.
 */
export function placementNote(target: FailureEvent["target"]): string {
  const refused = target.refused ?? [];
  if (!refused.length) return "";
  const lines = refused.map((r) => `- ${code(r.repo)}, from ${CLAIMED_BY[r.by]}: ${plain(r.reason)}.`);
  return [
    "### Why it is filed here",
    "daemon-hotfix files a failure in its plugin's repo only when that repo's owner is the reporter's (or is in the operator's `HOTFIX_POLICY.targetOwners`) and — for a repo claimed for a URL plugin — the repo's own `manifest.json` `homepage_url` or homepage is on the plugin's origin. Not used:",
    lines.join("\n"),
  ].join("\n\n");
}

/** "affects N orgs": how many distinct reporters saw the failure — never which (contract "Privacy across owners"). */
export function reportedBy(reporters: number | undefined, repos?: number): string | undefined {
  if (!reporters) return undefined;
  const orgs = `affects ${reporters >= MAX_REPORTERS ? "at least " : ""}${reporters} org${reporters === 1 ? "" : "s"}`;
  return repos ? `${orgs} / ${repos >= MAX_REPOS ? "at least " : ""}${repos} repo${repos === 1 ? "" : "s"}` : orgs;
}
