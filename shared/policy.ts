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

function originOf(url: string | undefined): string | null {
  if (!url || !/^https?:\/\//i.test(url)) return null;
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Why a `kernel.plugin_error` is about daemon-hotfix itself, or null: a plugin whose repo is named
 * `daemon-hotfix`, or whose URL — a worker plugin's id, or the `@<url>` ref of a worker keyed by its GitHub repo —
 * is daemon-hotfix's own origin or a `daemon-hotfix…` worker host. Never filed (a loop); counted apart.
 */
export function selfFailureReason(failure: FailureEvent, self: Pick<SelfIdentity, "origins">): string | null {
  if (failure.kind !== "plugin_error") return null;
  const pluginId = parsePluginId(failure.plugin.id);
  const pluginRepoName = (failure.plugin.repo ?? (pluginId.kind === "repo" ? pluginId.repo : "")).toLowerCase();
  if (pluginRepoName === SELF_REPO_NAME) return "failure of daemon-hotfix itself";
  const workerUrl = pluginId.kind === "url" ? pluginId.url : pluginId.kind === "repo" ? (pluginId.ref ?? failure.plugin.ref) : undefined;
  const origin = originOf(workerUrl);
  if (origin) {
    if (self.origins.some((o) => o.toLowerCase() === origin)) return "failure of daemon-hotfix itself (its own URL)";
    if (new URL(origin).hostname.split(".")[0]?.startsWith(SELF_REPO_NAME)) return "failure of daemon-hotfix itself (its worker host)";
  }
  return null;
}

/**
 * Why a failure must be dropped to avoid a loop, or null: failures of daemon-hotfix itself (`selfFailureReason`),
 * runs in a `daemon-hotfix` repo, and events caused by daemon-hotfix's own bot.
 */
export function loopReason(failure: FailureEvent, actors: readonly string[], self: SelfIdentity): string | null {
  const own = selfFailureReason(failure, self);
  if (own) return own;
  if (repoNameOf(failure.target.repo) === SELF_REPO_NAME && failure.kind !== "plugin_error") {
    return "run in daemon-hotfix's own repo";
  }
  const bots = new Set(self.botLogins.filter(Boolean).map((b) => b.toLowerCase()));
  const botActor = actors.find((actor) => bots.has(actor.toLowerCase()));
  if (botActor) return `caused by daemon-hotfix's own bot (${botActor})`;
  return null;
}
