import { RecordingQueue } from "./kernel";
/** Queue test helpers. */

/** Records the delay of each `retry()` on a batch's messages (the test harness's QueueResult does not report them). */
export function recordRetryDelays(batch: MessageBatch<unknown>): Array<number | undefined> {
  const delays: Array<number | undefined> = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    message.retry = (options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds);
      retry(options);
    };
  }
  return delays;
}

/**
 * Runs the whole consumer with `workerEnv`, as the queues would: the events batch is counted, then the flushes
 * the clusters asked for (caught on a recording writes queue) are performed by the writes consumer with the same
 * env — and the flushes those steps lead to, until none is asked for. Returns the batches run.
 */
export interface Consumed {
  batch: MessageBatch<unknown>;
  result: Awaited<ReturnType<typeof import("cloudflare:test").getQueueResult>>;
}

export async function consumeWith(workerEnv: Env, bodies: unknown[], idPrefix: string): Promise<{ events: Consumed; writes: Consumed[] }> {
  const { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } = await import("cloudflare:test");
  const worker = (await import("../../workers/index")).default;
  const writesQueue = new RecordingQueue();
  const withWrites = { ...workerEnv, WRITES: writesQueue } as unknown as Env;
  const run = async (batch: MessageBatch<unknown>): Promise<Consumed> => {
    const ctx = createExecutionContext();
    await worker.queue(batch, withWrites, ctx);
    await waitOnExecutionContext(ctx);
    return { batch, result: await getQueueResult(batch, ctx) };
  };
  const events = await run(createMessageBatch("daemon-hotfix-events", bodies.map((body, i) => ({ id: `${idPrefix}-${i}`, timestamp: new Date(), attempts: 1, body }))));
  const writes: Consumed[] = [];
  for (let round = 0; writesQueue.sent.length > 0 && round < 10; round++) {
    const flushes = writesQueue.sent.splice(0);
    const batch = createMessageBatch("daemon-hotfix-writes", flushes.map((body, i) => ({ id: `${idPrefix}-flush-${round}-${i}`, timestamp: new Date(), attempts: 1, body })));
    writes.push(await run(batch));
  }
  return { events, writes };
}
