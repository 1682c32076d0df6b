import type { FailureEvent } from "../failure-event";

/**
 * The plugin a `kernel.plugin_error` is about, without its ref (`owner/repo:compute.yml`, a worker URL, the kernel),
 * and the ref it ran at — what tells that a plugin moved on (issue 15's quiet resolution). Null for CI failures and
 * for a plugin reported without a ref. Pure.
 */
export function pluginVersionOf(failure: FailureEvent): { repo: string; plugin: string; ref: string } | null {
  if (failure.kind !== "plugin_error") return null;
  const ref = failure.plugin.ref;
  if (!ref) return null;
  const plugin = failure.plugin.url ?? failure.plugin.id.replace(/@[^@]*$/, "");
  return { repo: failure.target.repo.toLowerCase(), plugin, ref };
}
