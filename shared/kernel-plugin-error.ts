import * as v from "valibot";

const Text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const OptionalText = (max: number) => v.optional(v.nullable(Text(max)));

/**
 * `kernel.plugin_error` as the kernel sends it (`buildKernelPluginErrorPayload`) and as the proposal drafts it.
 * Only `plugin` and `error` are required; every field the draft adds (`error.stack`, `error.raw`,
 * `plugin.manifest`, `context.responseSnippet`) is accepted, none is required.
 */
export const KernelPluginError = v.object({
  event: v.optional(v.literal("kernel.plugin_error")),
  timestamp: OptionalText(64),
  stateId: OptionalText(200),
  environment: OptionalText(64),
  configPath: OptionalText(500),
  kernel: v.optional(v.nullable(v.object({ commit: OptionalText(64) }))),
  source: v.optional(v.nullable(v.object({ kernelRepo: OptionalText(200), environment: OptionalText(64) }))),
  trigger: v.optional(
    v.nullable(
      v.object({
        githubEvent: OptionalText(200),
        deliveryId: OptionalText(200),
        repo: OptionalText(200),
        issueOrPr: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0)))),
        actor: OptionalText(200),
      }),
    ),
  ),
  plugin: v.object({
    type: v.picklist(["http", "workflow", "kernel"]),
    id: v.pipe(v.string(), v.minLength(1), v.maxLength(2000)),
    owner: OptionalText(200),
    repo: OptionalText(200),
    workflowId: OptionalText(500),
    ref: OptionalText(500),
    // The kernel copies these raw from the org's YAML: any JSON type (a number, an object…). Only a string is used.
    settings: v.optional(v.unknown()),
    manifest: v.optional(v.nullable(v.object({ name: OptionalText(200), version: OptionalText(100) }))),
  }),
  error: v.object({
    message: Text(100_000),
    status: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(999)))),
    category: OptionalText(64),
    stack: OptionalText(100_000),
    raw: v.optional(v.unknown()),
  }),
  context: v.optional(
    v.nullable(
      v.object({
        retryCount: v.optional(v.nullable(v.number())),
        requestId: OptionalText(200),
        responseSnippet: OptionalText(100_000),
        pluginInputs: v.optional(v.unknown()),
      }),
    ),
  ),
  logTrail: v.optional(
    v.nullable(
      v.object({
        requestId: OptionalText(200),
        startedAt: OptionalText(64),
        durationMs: v.optional(v.nullable(v.number())),
        lines: v.optional(v.nullable(v.pipe(v.array(Text(10_000)), v.maxLength(1000)))),
      }),
    ),
  ),
  repository: v.optional(
    v.nullable(
      v.object({
        owner: v.optional(v.nullable(v.object({ login: OptionalText(200) }))),
        name: OptionalText(200),
        full_name: OptionalText(300),
      }),
    ),
  ),
  installation: v.optional(v.nullable(v.object({ id: v.optional(v.nullable(v.number())) }))),
});
export type KernelPluginError = v.InferOutput<typeof KernelPluginError>;
