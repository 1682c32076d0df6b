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
