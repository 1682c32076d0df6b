import { consumeDeadLetters } from "./consumer/dead-letters";
import { consumeFailures } from "./consumer/queue";
import { createApp } from "./ingest/app";

export { ClusterObject } from "./durable/cluster";
export { RepoGate } from "./durable/repo-gate";
export { WriteBudget } from "./durable/write-budget";

const app = createApp();

/** True for the dead-letter queue (`daemon-hotfix-dlq`, or an environment's `…-dlq`). */
export function isDeadLetterQueue(queue: string): boolean {
  return queue.endsWith("-dlq");
}

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  async queue(batch, env, _ctx) {
    if (isDeadLetterQueue(batch.queue)) await consumeDeadLetters(batch, env);
    else await consumeFailures(batch, env);
  },
} satisfies ExportedHandler<Env, unknown>;
