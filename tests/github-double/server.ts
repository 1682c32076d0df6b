/**
 * node:http wrapper around GitHubDouble.handle().
 *   node tests/github-double/server.ts [--port 8789]     (Node >= 22.18 / 24: native type stripping)
 * A handler that throws (a "drop" fault) destroys the socket, as a lost connection would.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GitHubDouble } from "./double.ts";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return chunks.length === 0 ? null : new Uint8Array(Buffer.concat(chunks));
}

async function serve(double: GitHubDouble, req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const method = (req.method ?? "GET").toUpperCase();
  const body = method === "GET" || method === "HEAD" ? null : await readBody(req);
  const aborter = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) aborter.abort(new Error("client went away"));
  });
  const request = new Request(new URL(req.url ?? "/", origin), { method, headers, body, signal: aborter.signal });
  const response = await double.handle(request);
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  }
  res.end();
}

export function startServer(double: GitHubDouble, port = 8789, host = "127.0.0.1"): Promise<RunningServer> {
  double.warmUp();
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host ?? `${host}:${port}`}`;
    serve(double, req, res, origin).catch(() => {
      req.socket.destroy();
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      resolvePromise({
        url: `http://${host}:${address.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.closeAllConnections();
            server.close((e) => (e ? fail(e) : done()));
          }),
      });
    });
  });
}

function portFromArgs(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--port") return Number(argv[i + 1]);
    if (arg.startsWith("--port=")) return Number(arg.slice("--port=".length));
  }
  return Number(process.env.PORT ?? 8789);
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);

if (invokedDirectly) {
  const port = portFromArgs(process.argv.slice(2));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`github-double: invalid port ${String(port)}`);
    process.exit(2);
  }
  startServer(new GitHubDouble(), port).then(
    (running) => {
      console.log(`GitHub double listening on ${running.url}`);
      const stop = () => {
        running.close().finally(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
    (e: unknown) => {
      console.error(`github-double: cannot listen on port ${port}: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
