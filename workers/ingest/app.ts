import { Hono } from "hono";
import * as v from "valibot";
import type { IngestAnswer } from "../../shared/ingest-output";
import { manifest } from "../../shared/manifest";
import { PluginInputs } from "../../shared/plugin-input";
import { audienceProblem } from "../../shared/trust/audience";
import { toFieldIssues } from "../../shared/validation";
import type { AppEnv } from "../app-env";
import { configOf } from "../config";
import { importKernelKey } from "../config/kernel-key";
import { configProblems } from "../config/problems";
import { AppError, errorResponse } from "../errors";
import { opsRoutes } from "../ops/app";
import { MetricsBuffer } from "../metrics/buffer";
import { countSoon } from "../metrics/isolate-buffer";
import { accept } from "./accept";
import { assertKernelToken } from "./kernel-token";
import { assertJsonContentType, parseJson, readBoundedText } from "./read-body";
import { verifyKernelSignature } from "./signature";

async function kernelKey(env: Env): Promise<CryptoKey> {
  const pem = configOf(env).kernel.publicKeyPem;
  if (!pem) throw new AppError(503, "misconfigured", "KERNEL_PUBLIC_KEY is not configured");
  try {
    return await importKernelKey(pem);
  } catch {
    throw new AppError(503, "misconfigured", "KERNEL_PUBLIC_KEY is not a PEM SPKI RSA public key");
  }
}

function outcomeOfError(error: unknown): string {
  if (error instanceof AppError) return error.status === 401 ? "unauthorised" : error.status < 500 ? "invalid" : "error";
  return "error";
}

/** The Worker's HTTP face: the kernel's worker-plugin protocol plus health. Ops routes join in later issues. */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/manifest.json", (c) => {
    const config = configOf(c.env);
    return c.json(manifest({ homepageUrl: config.publicUrl ?? new URL(c.req.url).origin, shortName: config.manifestShortName }));
  });

  // 200 when the Worker can do its job; 503 naming each configuration problem otherwise.
  app.get("/healthz", async (c) => {
    const problems = await configProblems(c.env);
    return problems.length ? c.json({ status: "misconfigured", problems }, 503) : c.json({ status: "ok" });
  });
  app.route("/", opsRoutes());

  app.post("/", async (c) => {
    // One buffer per request: the outcome, settings warnings, parked events, self failures — counted whatever the answer.
    const metrics = new MetricsBuffer("ingest");
    const waitUntil = (work: Promise<unknown>) =>
      c.executionCtx.waitUntil(work.catch((error: unknown) => console.error(JSON.stringify({ msg: "ingest bookkeeping failed", error: error instanceof Error ? error.message : String(error) }))));
    try {
      // Cheapest checks first: media type, size, JSON, shape — then crypto.
      assertJsonContentType(c.req.header("content-type"));
      const body = parseJson(await readBoundedText(c.req.raw));
      const parsed = v.safeParse(PluginInputs, body);
      if (!parsed.success) throw new AppError(400, "invalid_body", "body is not the kernel's plugin inputs", toFieldIssues(parsed.issues));
      const inputs = parsed.output;
      if (!inputs.signature) throw new AppError(401, "invalid_signature", "signature is missing");
      const key = await kernelKey(c.env);
      if (!(await verifyKernelSignature(key, inputs))) {
        throw new AppError(401, "invalid_signature", "signature does not verify with KERNEL_PUBLIC_KEY");
      }
      // Signed by the kernel — but for us? The kernel signs every plugin's inputs with one key.
      const requestOrigin = new URL(c.req.url).origin;
      const audience = audienceProblem(inputs.ref, configOf(c.env).publicOrigin ?? requestOrigin);
      if (audience) throw new AppError(401, "wrong_audience", audience);
      const now = new Date();
      await assertKernelToken(key, inputs, now);
      const accepted = await accept(inputs, { env: c.env, selfOrigin: requestOrigin, now, metrics, waitUntil });
      metrics.inc("events_received", { outcome: accepted.countedAs ?? accepted.output.status, plugin: accepted.plugin, repo: accepted.repo });
      if (accepted.doRequests) metrics.inc("do_requests", { component: "ingest", object: "repo_gate" }, accepted.doRequests);
      return c.json({ stateId: inputs.stateId, output: accepted.output } satisfies IngestAnswer);
    } catch (error) {
      metrics.inc("events_received", { outcome: outcomeOfError(error) });
      throw error;
    } finally {
      countSoon(c.executionCtx, c.env, metrics, configOf(c.env).metricsFlushMs);
    }
  });

  app.all("/", (c) => errorResponse(new AppError(405, "method_not_allowed", "use POST / with the kernel's plugin inputs"), c));
  app.notFound((c) => errorResponse(new AppError(404, "not_found", "no such endpoint"), c));
  app.onError(errorResponse);
  return app;
}
