import { deliveryKey } from "../delivery-key";
import { recoverHttpStatus } from "../http-status";
import type { KernelPluginError } from "../kernel-plugin-error";
import { parsePluginId } from "../plugin-id";
import { resolveStaticTarget } from "../target-repo";
import { defined, isoOr, LIMITS, sanitize, sanitizeLines } from "./text";
import type { Conversion, ConvertContext } from "./types";

/** `kernel.plugin_error` (either shape) → one failure owned by the failing plugin's repo. */
export function fromPluginError(payload: KernelPluginError, ctx: ConvertContext): Conversion {
  const { plugin, error } = payload;
  const parsed = parsePluginId(plugin.id);
  const triggerRepo = payload.trigger?.repo ?? payload.repository?.full_name ?? null;
  const target = resolveStaticTarget(ctx.settings, {
    plugin: parsed,
    pluginType: plugin.type,
    pluginOwner: plugin.owner,
    pluginRepo: plugin.repo,
    sourceRepo: plugin.settings?.with?.sourceRepo,
    triggerRepo,
    repositoryOwner: payload.repository?.owner?.login,
  });
  if (!target) {
    return {
      outcome: "invalid",
      issues: [
        {
          path: "eventPayload.trigger.repo",
          message: "no repository to file this failure in: send trigger.repo or repository.full_name, or set settings.fallbackRepo",
        },
      ],
    };
  }
  const issueOrPr = payload.trigger?.issueOrPr ?? undefined;
  const detail = error.stack ?? payload.context?.responseSnippet ?? undefined;
  const fromRepo = parsed.kind === "repo" ? parsed : undefined;
  return {
    outcome: "failure",
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
      plugin: {
        type: plugin.type,
        id: plugin.id,
        ...defined({
          owner: plugin.owner ?? fromRepo?.owner,
          repo: plugin.repo ?? fromRepo?.repo,
          workflowId: plugin.workflowId ?? fromRepo?.workflowId,
          ref: plugin.ref ?? fromRepo?.ref,
          url: parsed.kind === "url" ? parsed.url : undefined,
          name: plugin.manifest?.name,
          version: plugin.manifest?.version,
        }),
      },
      category: sanitize((error.category ?? plugin.type).toLowerCase(), 64, ctx.redactor),
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
      logTrail: sanitizeLines(payload.logTrail?.lines, ctx.redactor),
      ...defined({
        environment: payload.environment ?? payload.source?.environment,
        kernelCommit: payload.kernel?.commit,
      }),
    },
  };
}
