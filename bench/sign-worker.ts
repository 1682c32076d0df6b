/**
 * Worker thread of the signing pool: signs plugin inputs exactly as the kernel does (plugin-sdk's PluginInput:
 * brotli + base64 payload, RSASSA-PKCS1-v1_5 / SHA-256) and answers the JSON bodies to POST.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PluginInput } from "@ubiquity-os/plugin-sdk/signature";
import type { SignJob } from "./sign.ts";

const { privateKey } = workerData as { privateKey: string };

parentPort?.on("message", async (message: { batch: number; jobs: SignJob[] }) => {
  const bodies: string[] = [];
  for (const job of message.jobs) {
    const inputs = await new PluginInput(
      privateKey,
      job.stateId,
      job.eventName as never,
      job.payload as never,
      job.settings as never,
      job.authToken,
      "main",
      null,
    ).getInputs();
    bodies.push(JSON.stringify(inputs));
  }
  parentPort?.postMessage({ batch: message.batch, bodies });
});
