import { deliveryKey } from "../delivery-key";
import { recoverHttpStatus } from "../http-status";
import type { KernelPluginError } from "../kernel-plugin-error";
import { parsePluginId } from "../plugin-id";
import { ownerOf } from "../repo-name";
import { placeStatically } from "../trust/target-rules";
import { isPlainObject } from "../settings";
import { readLogTrail } from "./log-trail";
import { defined, isoOr, LIMITS, sanitize } from "./text";
import type { Conversion, ConvertContext } from "./types";

/** How the kernel words a worker's non-2xx answer: `HTTP (target: <url>) <status>: <body>`. */
const WORKER_ANSWER = /^HTTP \(target: [^)\s]+\) [1-5]\d\d\b/;

/**
 * The failure's category. The kernel sends `plugin.type` as the category, and that type comes from the config
 * key: a worker keyed by its GitHub repo (it has a `homepage_url`) is reported as `workflow` though the kernel
 * POSTed to it. Its `HTTP (target: …) NNN` message says what it is: an HTTP failure of that repo's worker.
 */
function categoryOf(plugin: KernelPluginError["plugin"], error: KernelPluginError["error"], ctx: ConvertContext): string {
  const reported = (error.category ?? plugin.type).toLowerCase();
  if (plugin.type === "workflow" && reported === "workflow" && WORKER_ANSWER.test(error.message.trim())) return "http";
  return sanitize(reported, 64, ctx.redactor);
}

/** `plugin.settings.with.sourceRepo` when it is a string: the kernel copies it raw from YAML (any JSON type). */
function sourceRepoOf(settings: unknown): string | undefined {
  const block = isPlainObject(settings) ? settings["with"] : undefined;
  const value = isPlainObject(block) ? block["sourceRepo"] : undefined;
  return typeof value === "string" ? value.trim() : undefined;
}

/** `kernel.plugin_error` (either shape) → one failure owned by the failing plugin's repo. */
export function fromPluginError(payload: KernelPluginError, ctx: ConvertContext): Conversion {
  const { plugin, error } = payload;
  const parsed = parsePluginId(plugin.id);
  const triggerRepo = payload.trigger?.repo ?? payload.repository?.full_name ?? null;
  // The reporter: owner of the repo whose event made the kernel dispatch (for a kernel-level failure, the kernel sets
  // plugin.owner/repo to that trigger repo too).
  const reporter = ownerOf(triggerRepo) ?? payload.repository?.owner?.login ?? null;
  const placement = placeStatically({
    plugin: parsed,
    pluginType: plugin.type,
    pluginOwner: plugin.owner,
    pluginRepo: plugin.repo,
    sourceRepo: sourceRepoOf(plugin.settings),
    reporter,
    pluginRepos: ctx.settings.pluginRepos,
    fallbackRepo: ctx.settings.fallbackRepo,
    targetOwners: ctx.targetOwners ?? [],
  });
  if (!placement) {
    return {
      outcome: "invalid",
      issues: [
        {
          path: "eventPayload.trigger.repo",
          message: "no repository to file this failure in: send trigger.repo or repository.full_name (the reporter's repo)",
        },
      ],
    };
  }
  const { target, warnings } = placement;
  const issueOrPr = payload.trigger?.issueOrPr ?? undefined;
  const detail = error.stack ?? payload.context?.responseSnippet ?? undefined;
  const fromRepo = parsed.kind === "repo" ? parsed : undefined;
  const trail = readLogTrail(payload.logTrail?.lines, ctx.redactor);
  return {
    outcome: "failure",
    ...(warnings.length ? { warnings } : {}),
    deliveryKey: deliveryKey([
      "kernel.plugin_error",
      payload.stateId,
      plugin.id,
      payload.context?.requestId,
      payload.trigger?.deliveryId,
      payload.timestamp,
      error.message,
    ]),
    actors: payload.trigger?.actor ? [payload.trigger.actor] : [],
    failure: {
      kind: "plugin_error",
      sourceEvent: "kernel.plugin_error",
      occurredAt: isoOr(payload.timestamp, ctx.receivedAt),
      receivedAt: ctx.receivedAt,
      target,
      ...(reporter ? { reporter } : {}),
      plugin: {
        type: plugin.type,
        id: plugin.id,
        ...defined({
          owner: plugin.owner ?? fromRepo?.owner,
          repo: plugin.repo ?? fromRepo?.repo,
          workflowId: plugin.workflowId ?? fromRepo?.workflowId,
          ref: plugin.ref || fromRepo?.ref,
          url: parsed.kind === "url" ? parsed.url : undefined,
          name: plugin.manifest?.name,
          version: plugin.manifest?.version,
        }),
      },
      category: categoryOf(plugin, error, ctx),
      status: recoverHttpStatus(error.message, error.status),
      message: sanitize(error.message, LIMITS.message, ctx.redactor),
      ...(detail ? { detail: sanitize(detail, LIMITS.detail, ctx.redactor) } : {}),
      trigger: defined({
        githubEvent: payload.trigger?.githubEvent,
        repo: triggerRepo,
        issueOrPr,
        actor: payload.trigger?.actor,
        url: triggerRepo && issueOrPr ? `https://github.com/${triggerRepo}/issues/${issueOrPr}` : undefined,
      }),
      correlation: defined({
        stateId: payload.stateId,
        kernelStateId: ctx.kernelStateId,
        deliveryId: payload.trigger?.deliveryId,
        requestId: payload.context?.requestId ?? payload.logTrail?.requestId,
        installationId: payload.installation?.id,
      }),
      logTrail: trail.lines,
      ...(trail.errorLine !== undefined ? { logErrorLine: trail.errorLine } : {}),
      ...defined({
        environment: payload.environment ?? payload.source?.environment,
        kernelCommit: payload.kernel?.commit,
      }),
    },
  };
}
