import type { FailureEvent } from "./failure-event";
import type { ParsedPluginId } from "./plugin-id";
import { ownerOf } from "./repo-name";
import type { Settings } from "./settings";

export type Target = FailureEvent["target"];

export interface TargetInputs {
  plugin: ParsedPluginId;
  pluginType: "http" | "workflow" | "kernel";
  pluginOwner?: string | null | undefined;
  pluginRepo?: string | null | undefined;
  sourceRepo?: string | null | undefined;
  /** `owner/repo` of the event that triggered the failing plugin. */
  triggerRepo?: string | null | undefined;
  /** Owner of the repository the kernel event is about, when the trigger names none. */
  repositoryOwner?: string | null | undefined;
}

const REPO = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;

function fallback(settings: Settings, inputs: TargetInputs): Omit<Target, "manifestUrl"> | null {
  if (settings.fallbackRepo) return { repo: settings.fallbackRepo, resolvedBy: "fallback_repo" };
  const owner = ownerOf(inputs.triggerRepo) ?? inputs.repositoryOwner ?? null;
  return owner ? { repo: `${owner}/.ubiquity-os`, resolvedBy: "org_config_repo" } : null;
}

/**
 * The repo that owns a `kernel.plugin_error`, as far as it can be known without I/O (contract order):
 * workflow plugins → their repo; URL plugins → `sourceRepo`, `pluginRepos[url]`, then (in the consumer) the
 * manifest's `short_name`, then `fallbackRepo`, then `<trigger owner>/.ubiquity-os`. When the manifest still has
 * to be asked, the fallback is returned with `manifestUrl` set. Null: no way to name a repo at all.
 */
export function resolveStaticTarget(settings: Settings, inputs: TargetInputs): Target | null {
  const { plugin } = inputs;
  if (inputs.pluginOwner && inputs.pluginRepo && REPO.test(`${inputs.pluginOwner}/${inputs.pluginRepo}`)) {
    return { repo: `${inputs.pluginOwner}/${inputs.pluginRepo}`, resolvedBy: "plugin_repo" };
  }
  if (plugin.kind === "repo") return { repo: `${plugin.owner}/${plugin.repo}`, resolvedBy: "plugin_repo" };
  if (inputs.sourceRepo && REPO.test(inputs.sourceRepo)) return { repo: inputs.sourceRepo, resolvedBy: "source_repo" };
  if (plugin.kind === "url") {
    const mapped = settings.pluginRepos[plugin.url] ?? settings.pluginRepos[`${plugin.url}/`];
    if (mapped) return { repo: mapped, resolvedBy: "plugin_repos" };
    const last = fallback(settings, inputs);
    return last ? { ...last, manifestUrl: `${plugin.url}/manifest.json` } : null;
  }
  return fallback(settings, inputs);
}
