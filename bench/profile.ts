/**
 * `npm run bench:profile`: where workerd's CPU goes while ingest takes signed events at concurrency 50.
 * Starts the local stack (this checkout, as `npm start` runs it), pre-signs the events, attaches to the Worker's
 * isolate through wrangler dev's inspector (the Chrome DevTools protocol), records a CPU profile across the load,
 * and prints the functions with the most self time, and the share of each source file. The Worker's isolate also
 * runs its Durable Objects and queue consumers, so their work meanwhile is in the profile too.
 * The raw profile is written next to the summary for Chrome DevTools (`--out`, default /tmp).
 *
 * GET /healthz is profiled first at the same concurrency (the floor `npm run bench` compares ingest with), so the
 * summary says how much more JS an event costs than a request that does no work.
 *
 *   npm run bench:profile -- [--requests 2000] [--concurrency 50] [--out /tmp]
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { startLocalStack } from "../tests/support/local-stack.ts";
import { fingerprints, occurrence } from "./events.ts";
import { agent, closedLoop, get, postJson } from "./http.ts";
import { job, signAll } from "./sign.ts";

function arg(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? (args[at + 1] as string) : fallback;
}

const REQUESTS = Number(arg("requests", "2000"));
const CONCURRENCY = Number(arg("concurrency", "50"));
const OUT = arg("out", "/tmp");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A DevTools-protocol session over the inspector's WebSocket (Node's own WebSocket is refused by wrangler's inspector proxy). */
async function session(wsUrl: string): Promise<{ call: (method: string, params?: object) => Promise<Record<string, unknown>>; close: () => void }> {
  const ws = new WebSocket(wsUrl, { maxPayload: 1024 * 1024 * 1024 });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let next = 1;
  const waiting = new Map<number, (result: Record<string, unknown>) => void>();
  ws.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown>; error?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result ?? { error: message.error });
  });
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Self time per function and per file, and total time (self and callees, each function once per stack), from the profile's samples. */
function summarise(profile: Profile): { functions: Array<[string, number]>; files: Array<[string, number]>; totals: Array<[string, number]>; totalMs: number; idleMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const totals = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  const nameOf = (frame: ProfileNode["callFrame"]) => {
    const file = frame.url ? frame.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, "") : frame.functionName.startsWith("(") ? frame.functionName : "(native)";
    return { file, name: `${frame.functionName || "(anonymous)"}  ${file}:${frame.lineNumber + 1}` };
  };
  for (const [id, ms] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    totalMs += ms;
    if (frame.functionName === "(idle)") {
      idleMs += ms;
      continue;
    }
    const { file, name } = nameOf(frame);
    functions.set(name, (functions.get(name) ?? 0) + ms);
    files.set(file, (files.get(file) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const callFrame = byId.get(at)?.callFrame;
      if (!callFrame || callFrame.functionName === "(root)") continue;
      const caller = nameOf(callFrame).name;
      if (seen.has(caller)) continue;
      seen.add(caller);
      totals.set(caller, (totals.get(caller) ?? 0) + ms);
    }
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { functions: sorted(functions), files: sorted(files), totals: sorted(totals), totalMs, idleMs };
}

async function main(): Promise<void> {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  const fps = fingerprints("bench-profile", 10);
  const jobs = Array.from({ length: REQUESTS }, (_, i) => job(occurrence(fps[i % fps.length]!, i, new Date()), { updateIntervalSeconds: 3600 }));
  console.log(`signing ${REQUESTS} inputs…`);
  const [bodies, stack] = await Promise.all([signAll(keys.privateKey, jobs), startLocalStack({ vars: { KERNEL_PUBLIC_KEY: keys.publicKey, RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_BURST: "100000" } })]);
  try {
    const targets = (await (await fetch(`http://127.0.0.1:${stack.inspectorPort}/json`)).json()) as Array<{ webSocketDebuggerUrl: string; title?: string }>;
    const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
    if (!target) throw new Error("the inspector lists no target");
    const devtools = await session(target.webSocketDebuggerUrl);
    await devtools.call("Profiler.enable");
    await devtools.call("Profiler.setSamplingInterval", { interval: 200 });
    const via = agent(CONCURRENCY);
    // Latency alone first (concurrency 1, not profiled), against GET /healthz's: medians of 300 each.
    const median = (answers: Array<{ ms: number }>) => answers.map((a) => a.ms).sort((a, b) => a - b)[Math.floor(answers.length / 2)] ?? 0;
    const floorMs = median(await closedLoop(300, 1, () => get(new URL("/healthz", stack.url), via)));
    const aloneMs = median(await closedLoop(300, 1, (i) => postJson(new URL("/", stack.url), bodies[bodies.length - 1 - i] ?? "", via)));
    console.log(`concurrency 1: median ${aloneMs.toFixed(2)} ms vs GET /healthz ${floorMs.toFixed(2)} ms = ${(aloneMs / floorMs).toFixed(2)} ×`);
    // GET /healthz at the same concurrency, profiled too: the floor the bench compares ingest with, and its JS.
    const floorRequests = bodies.length - 300;
    await devtools.call("Profiler.start");
    const floorStarted = performance.now();
    await closedLoop(floorRequests, CONCURRENCY, () => get(new URL("/healthz", stack.url), via));
    const floorWallMs = performance.now() - floorStarted;
    const floorProfile = ((await devtools.call("Profiler.stop")) as unknown as { profile: Profile }).profile;
    const floorSummary = summarise(floorProfile);
    const floorPerSecond = (floorRequests / floorWallMs) * 1000;
    const floorJsMs = (floorSummary.totalMs - floorSummary.idleMs) / floorRequests;
    await devtools.call("Profiler.start");
    const started = performance.now();
    const answers = await closedLoop(bodies.length - 300, CONCURRENCY, (i) => postJson(new URL("/", stack.url), bodies[i] ?? "", via));
    const wallMs = performance.now() - started;
    const { profile } = (await devtools.call("Profiler.stop")) as unknown as { profile: Profile };
    devtools.close();
    const non200 = answers.filter((a) => a.status !== 200).length;
    const file = join(OUT, `daemon-hotfix-ingest-${Date.now()}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const { functions, files, totals, totalMs, idleMs } = summarise(profile);
    const busy = totalMs - idleMs;
    const perSecond = (answers.length / wallMs) * 1000;
    console.log(`\nGET /healthz at concurrency ${CONCURRENCY}: ${floorPerSecond.toFixed(0)} requests/s, ${floorJsMs.toFixed(2)} ms of JS per request`);
    console.log(`${answers.length} requests at concurrency ${CONCURRENCY}: ${perSecond.toFixed(0)} events/s = ${((perSecond / floorPerSecond) * 100).toFixed(1)} % of GET /healthz's, non-200 ${non200}`);
    console.log(`isolate busy ${busy.toFixed(0)} ms of ${totalMs.toFixed(0)} ms sampled = ${(busy / answers.length).toFixed(2)} ms of JS per request (${(busy / answers.length - floorJsMs).toFixed(2)} ms more than GET /healthz)\n`);
    console.log("self time by file:");
    for (const [name, ms] of files.slice(0, 20)) console.log(`  ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${name}`);
    console.log("\nself time by function:");
    for (const [name, ms] of functions.slice(0, 40)) console.log(`  ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${name}`);
    console.log("\nGET /healthz: total time (self and callees, per request) by function:");
    for (const [name, ms] of floorSummary.totals.slice(0, 25)) console.log(`  ${(ms / floorRequests).toFixed(3).padStart(7)} ms  ${name}`);
    console.log("\ntotal time (self and callees, per request) by function:");
    for (const [name, ms] of totals.slice(0, 40)) console.log(`  ${(ms / answers.length).toFixed(3).padStart(7)} ms  ${name}`);
    console.log(`\nprofile: ${file} (open in Chrome DevTools → Performance)`);
  } finally {
    await stack.stop();
  }
}

await main();
