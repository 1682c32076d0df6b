import { env } from "cloudflare:workers";
import type { IngestAnswer } from "../../shared/ingest-output";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "./kernel";
import { consumeWith } from "./queue";
import { unique } from "./send";

/** Worker vars of one test operator (e.g. its HOTFIX_POLICY), over the test bindings. */
export type Operator = Partial<Pick<Env, "HOTFIX_POLICY" | "HOTFIX_CONFIG">>;

/**
 * Events as the kernel sends them, through ingest and then the consumer (counting, then the GitHub steps the
 * clusters ask for), all under `operator`'s configuration; the ingest answers. The GitHub work is done when this
 * returns, unless GitHub failed a step (then it is retried later).
 */
export async function deliver(payloads: Array<{ payload: Record<string, unknown>; settings?: Record<string, unknown>; eventName?: string }>, operator: Operator = {}): Promise<IngestAnswer[]> {
  const queue = new RecordingQueue();
  const answers: IngestAnswer[] = [];
  for (const { payload, settings, eventName } of payloads) {
    const res = await postWith(jsonRequest(await signAsKernel(payload, { settings: settings ?? {}, ...(eventName ? { eventName } : {}) })), { EVENTS: queue, GATHER_SECONDS: "0", ...operator });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    answers.push(await res.json<IngestAnswer>());
  }
  await consumeWith({ ...env, ...operator } as Env, queue.sent, `deliver-${unique()}`);
  return answers;
}
