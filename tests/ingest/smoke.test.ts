import { describe, expect, it } from "vitest";
import { kernelPluginError } from "../helpers/events";
import { jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";

describe("smoke", () => {
  it("queues a signed kernel.plugin_error", async () => {
    const inputs = await signAsKernel(kernelPluginError());
    const res = await postToWorker(jsonRequest(inputs));
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ stateId: inputs.stateId, output: { status: "queued" } });
  });
  it("records with a recording queue", async () => {
    const queue = new RecordingQueue();
    const inputs = await signAsKernel(kernelPluginError({ requestId: "r2" }));
    const res = await postWith(jsonRequest(inputs), { EVENTS: queue } as never);
    expect(res.status).toBe(200);
    expect(queue.sent).toHaveLength(1);
  });
});
