/**
 * Pre-signing, outside every timed section: plugin inputs signed like the kernel signs them, in a pool of
 * worker threads (brotli at quality 11 dominates the cost, ~2 ms per event).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

export interface SignJob {
  stateId: string;
  eventName: string;
  payload: Record<string, unknown>;
  settings: Record<string, unknown>;
  authToken: string;
}

export const AUTH_TOKEN = "ghs_benchKernelInstallationToken000000000";

export function job(payload: Record<string, unknown>, settings: Record<string, unknown> = {}): SignJob {
  return { stateId: crypto.randomUUID(), eventName: "kernel.plugin_error", payload, settings, authToken: AUTH_TOKEN };
}

/** The POST bodies for `jobs`, in order. */
export async function signAll(privateKey: string, jobs: readonly SignJob[], threads = Math.max(1, availableParallelism())): Promise<string[]> {
  const workers = Array.from({ length: Math.min(threads, Math.max(1, jobs.length)) }, () => new Worker(new URL("./sign-worker.ts", import.meta.url), { workerData: { privateKey } }));
  const chunk = 250;
  const out: string[] = new Array(jobs.length);
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= jobs.length) {
                resolve();
                return;
              }
              const start = next;
              next = Math.min(jobs.length, next + chunk);
              worker.postMessage({ batch: start, jobs: jobs.slice(start, next) });
            };
            worker.on("message", (m: { batch: number; bodies: string[] }) => {
              m.bodies.forEach((body, i) => {
                out[m.batch + i] = body;
              });
              send();
            });
            worker.once("error", reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
