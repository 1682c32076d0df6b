/** Small pieces every operation handler of the double uses. */
import type { Core, Ctx } from "./operations.ts";
import { isObject } from "./spec.ts";

/** The request's JSON body as an object (validation already refused other shapes where the spec requires one). */
export function requestBody(ctx: Ctx): Record<string, unknown> {
  return isObject(ctx.body) ? ctx.body : {};
}

/** Content creation counts towards the secondary limit (issues, comments, and every POST of PR mode). */
export function creationAllowed(core: Core, ctx: Ctx): boolean {
  const ok = core.limits.allowCreation(ctx.limitKey ?? ctx.token, ctx.now, core.config.secondaryLimitPerMinute, core.config.secondaryLimitPerHour);
  if (!ok) core.stats.secondaryLimitHits++;
  return ok;
}
