/** A lean keep-alive HTTP client for the load generator (node:http: less client CPU per request than fetch). */
import { Agent, request } from "node:http";

export interface Answer {
  status: number;
  /** Milliseconds from the request being issued to the whole answer being read. */
  ms: number;
  body: string;
}

export function agent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** POSTs a JSON body; a connection error answers status 0 with the error message as body. */
export function postJson(url: URL, body: string, via: Agent): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: "POST", agent: via, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (e) => resolve({ status: 0, ms: performance.now() - started, body: e.message }));
      },
    );
    req.on("error", (e) => resolve({ status: 0, ms: performance.now() - started, body: e.message }));
    req.end(body);
  });
}

export function get(url: URL, via: Agent): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", agent: via }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (e) => resolve({ status: 0, ms: performance.now() - started, body: e.message }));
    });
    req.on("error", (e) => resolve({ status: 0, ms: performance.now() - started, body: e.message }));
    req.end();
  });
}

/** Runs `count` calls of `task(i)` with at most `concurrency` in flight; answers in index order. */
export async function closedLoop<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      out[i] = await task(i);
    }
  });
  await Promise.all(lanes);
  return out;
}
