import { consumeCiContext } from "./ci-context/consume";
import { consumeDeadLetters } from "./consumer/dead-letters";
import { consumeFailures } from "./consumer/queue";
import { consumeWrites } from "./consumer/writes";
import { createApp } from "./ingest/app";
import { housekeeping } from "./maintenance/housekeeping";

export { CiStream } from "./durable/ci-stream";
export { ClusterObject } from "./durable/cluster";
export { ParkedEvents } from "./durable/parked-events";
export { RepoGate } from "./durable/repo-gate";
export { SpikeGuard } from "./durable/spike-guard";
export { WriteBudget } from "./durable/write-budget";

const app = createApp();

/** True for the dead-letter queue (`daemon-hotfix-dlq`, or an environment's `…-dlq`). */
export function isDeadLetterQueue(queue: string): boolean {
  return queue.endsWith("-dlq");
}

/** True for the writes queue (`daemon-hotfix-writes`, or an environment's `…-writes`): the clusters' GitHub steps. */
export function isWritesQueue(queue: string): boolean {
  return queue.endsWith("-writes");
}

/** True for the CI-context queue (`daemon-hotfix-ci`, or an environment's `…-ci`): CI streams asking for their read. */
export function isCiContextQueue(queue: string): boolean {
  return queue.endsWith("-ci");
}

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  async queue(batch, env, _ctx) {
    if (isDeadLetterQueue(batch.queue)) await consumeDeadLetters(batch, env);
    else if (isWritesQueue(batch.queue)) await consumeWrites(batch, env);
    else if (isCiContextQueue(batch.queue)) await consumeCiContext(batch, env);
    else await consumeFailures(batch, env);
  },
  /** The daily cron (wrangler.toml `[triggers]`): D1 housekeeping. */
  async scheduled(controller, env, _ctx) {
    const result = await housekeeping(env.DB, controller.scheduledTime);
    console.log(JSON.stringify({ msg: "housekeeping done", cron: controller.cron, ...result }));
  },
} satisfies ExportedHandler<Env, unknown>;
