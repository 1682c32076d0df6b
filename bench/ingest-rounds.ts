/**
 * `npm run bench:ingest`: ingest at concurrency 50 against GET /healthz on the same local stack, in alternating
 * rounds, so the machine's drift hits both alike: each round is N GET /healthz then N signed events, and the
 * summary is the median of the rounds' ratios. Also the CPU of workerd's busiest thread per request (the Worker's
 * isolate runs ingest, its Durable Objects and its consumers), read from /proc. A quicker, steadier look at the
 * issue-14 target than `npm run bench`'s single pair of levels; it writes no file.
 *
 *   npm run bench:ingest -- [--rounds 5] [--requests 1000] [--concurrency 50]
 */
import { generateKeyPairSync } from "node:crypto";
import { startLocalStack } from "../tests/support/local-stack.ts";
import { fingerprints, occurrence } from "./events.ts";
import { agent, closedLoop, get, postJson } from "./http.ts";
import * as cpu from "./procstat.ts";
import { job, signAll } from "./sign.ts";

function arg(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} takes a positive whole number`);
    process.exit(2);
  }
  return value;
}

const ROUNDS = arg("rounds", 5);
const REQUESTS = arg("requests", 1000);
const CONCURRENCY = arg("concurrency", 50);
const WARMUP = 300;

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  const fps = fingerprints("bench-rounds", 10);
  const jobs = Array.from({ length: WARMUP + ROUNDS * REQUESTS }, (_, i) => job(occurrence(fps[i % fps.length]!, i, new Date()), { updateIntervalSeconds: 3600 }));
  console.log(`signing ${jobs.length} inputs and starting the local stack…`);
  const [bodies, stack] = await Promise.all([signAll(keys.privateKey, jobs), startLocalStack({ vars: { KERNEL_PUBLIC_KEY: keys.publicKey, RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_BURST: "100000" } })]);
  const via = agent(CONCURRENCY);
  let next = 0;
  const post = () => postJson(new URL("/", stack.url), bodies[next++] ?? "", via);
  try {
    await closedLoop(WARMUP, 20, post);
    const rounds: Array<{ floor: number; ingest: number; ingestMs: number; floorMs: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const floorBefore = cpu.sample();
      let started = performance.now();
      const floorAnswers = await closedLoop(REQUESTS, CONCURRENCY, () => get(new URL("/healthz", stack.url), via));
      const floor = (REQUESTS / (performance.now() - started)) * 1000;
      const floorUse = cpu.between(floorBefore, cpu.sample());
      const before = cpu.sample();
      started = performance.now();
      const answers = await closedLoop(REQUESTS, CONCURRENCY, post);
      const ingest = (REQUESTS / (performance.now() - started)) * 1000;
      const use = cpu.between(before, cpu.sample());
      const bad = answers.filter((a) => a.status !== 200).length + floorAnswers.filter((a) => a.status !== 200).length;
      if (bad > 0) throw new Error(`round ${r}: ${bad} answers were not 200`);
      const perRequest = (u: cpu.CpuUse) => ((u.busiestWorkerdThread * u.wallSeconds) / REQUESTS) * 1000;
      rounds.push({ floor, ingest, ingestMs: perRequest(use), floorMs: perRequest(floorUse) });
      console.log(
        `round ${r + 1}: GET /healthz ${floor.toFixed(0)}/s, ingest ${ingest.toFixed(0)} events/s = ${((ingest / floor) * 100).toFixed(1)} %; workerd's busiest thread ${perRequest(floorUse).toFixed(2)} ms per GET /healthz, ${perRequest(use).toFixed(2)} ms per event`,
      );
    }
    console.log(
      `\nmedian of ${ROUNDS} rounds at concurrency ${CONCURRENCY}: ingest ${(median(rounds.map((r) => r.ingest / r.floor)) * 100).toFixed(1)} % of GET /healthz's throughput; ` +
        `workerd's busiest thread ${median(rounds.map((r) => r.ingestMs)).toFixed(2)} ms per event vs ${median(rounds.map((r) => r.floorMs)).toFixed(2)} ms per GET /healthz`,
    );
  } finally {
    via.destroy();
    await stack.stop();
  }
}

await main();
