import type { FailureEvent } from "./failure-event";
import { parsePluginId } from "./plugin-id";
import { repoNameOf } from "./repo-name";

/** The service's own repo name: the kernel keys daemon-hotfix as `<owner>/daemon-hotfix`. */
export const SELF_REPO_NAME = "daemon-hotfix";

/** Conclusions of a completed run, suite or check that are failures worth an issue. */
export const FAILING_CONCLUSIONS: ReadonlySet<string> = new Set(["failure", "timed_out", "startup_failure"]);

export function isFailingConclusion(conclusion: string | null | undefined): boolean {
  return typeof conclusion === "string" && FAILING_CONCLUSIONS.has(conclusion.toLowerCase());
}

export interface SelfIdentity {
  /** Logins daemon-hotfix writes under (BOT_LOGIN), compared case-insensitively. */
  botLogins: readonly string[];
  /** Origins daemon-hotfix is served from (its request URL, PUBLIC_URL). */
  origins: readonly string[];
}

/**
 * Why a failure must be dropped to avoid a loop, or null: failures of daemon-hotfix itself (a plugin whose repo
 * is named `daemon-hotfix`, or whose URL is daemon-hotfix's own), runs in a `daemon-hotfix` repo, and events
 * caused by daemon-hotfix's own bot.
 */
export function loopReason(failure: FailureEvent, actors: readonly string[], self: SelfIdentity): string | null {
  const pluginId = parsePluginId(failure.plugin.id);
  const pluginRepoName = (failure.plugin.repo ?? (pluginId.kind === "repo" ? pluginId.repo : "")).toLowerCase();
  if (failure.kind === "plugin_error") {
    if (pluginRepoName === SELF_REPO_NAME) return "failure of daemon-hotfix itself";
    if (pluginId.kind === "url") {
      const origins = new Set(self.origins.map((o) => o.toLowerCase()));
      if (origins.has(pluginId.origin.toLowerCase())) return "failure of daemon-hotfix itself (its own URL)";
      if (pluginId.hostname.split(".")[0]?.startsWith(SELF_REPO_NAME)) return "failure of daemon-hotfix itself (its worker host)";
    }
  }
  if (repoNameOf(failure.target.repo) === SELF_REPO_NAME && failure.kind !== "plugin_error") {
    return "run in daemon-hotfix's own repo";
  }
  const bots = new Set(self.botLogins.filter(Boolean).map((b) => b.toLowerCase()));
  const botActor = actors.find((actor) => bots.has(actor.toLowerCase()));
  if (botActor) return `caused by daemon-hotfix's own bot (${botActor})`;
  return null;
}
