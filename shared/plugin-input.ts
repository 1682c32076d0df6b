import * as v from "valibot";

/**
 * The body the kernel POSTs to a worker plugin (plugin-sdk `PluginInput.getInputs()`): every field a string as
 * sent, so that the signature can be checked over exactly those strings.
 */
export const PluginInputs = v.object({
  stateId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  eventName: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  eventPayload: v.pipe(v.string(), v.minLength(1)),
  settings: v.string(),
  authToken: v.string(),
  ubiquityKernelToken: v.optional(v.string()),
  ref: v.string(),
  command: v.string(),
  /** Optional in the shape so that a missing signature is answered 401 (contract), not 400. */
  signature: v.optional(v.pipe(v.string(), v.maxLength(2048))),
});
export type PluginInputs = v.InferOutput<typeof PluginInputs>;
