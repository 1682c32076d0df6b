import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kernelPluginError } from "../helpers/events";
import { jsonRequest, postWith, RecordingQueue, signAsKernel, type SignedInputs } from "../helpers/kernel";

/** Every answer must be a JSON object; errors must be 4xx with `error` and `message`. */
async function expectWellFormed(res: Response): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(typeof body).toBe("object");
  if (res.status >= 400) {
    expect(typeof body["error"]).toBe("string");
    expect(typeof body["message"]).toBe("string");
  } else {
    expect(body).toHaveProperty("output.status");
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const fieldNames = ["stateId", "eventName", "eventPayload", "settings", "authToken", "ubiquityKernelToken", "ref", "command", "signature"] as const;

describe("POST / under 1,000+ malformed and mutated bodies", () => {
  it("never answers 5xx and always answers JSON", async () => {
    const queue = new RecordingQueue();
    const signed = await signAsKernel(kernelPluginError());
    const send = (body: string, contentType = "application/json") => postWith(jsonRequest(body, { contentType }), { EVENTS: queue });

    // 1. Arbitrary strings and arbitrary JSON.
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 200 }), async (s) => expectWellFormed(await send(s))), { numRuns: 250, seed: 1 });
    await fc.assert(fc.asyncProperty(jsonValue, async (value) => expectWellFormed(await send(JSON.stringify(value)))), { numRuns: 250, seed: 2 });

    // 2. Signed inputs with one or more fields replaced by arbitrary JSON, or removed.
    const mutation = fc.record({
      field: fc.constantFrom(...fieldNames),
      value: fc.oneof(jsonValue, fc.constant(undefined), fc.string({ maxLength: 50 })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const body: Record<string, unknown> = { ...signed };
        for (const { field, value } of mutations) {
          if (value === undefined) delete body[field];
          else body[field] = value;
        }
        await expectWellFormed(await send(JSON.stringify(body)));
      }),
      { numRuns: 300, seed: 3 },
    );

    // 3. Correctly signed inputs whose event payload or settings are arbitrary JSON (the kernel signs garbage too).
    await fc.assert(
      fc.asyncProperty(jsonValue, jsonValue, fc.constantFrom("kernel.plugin_error", "workflow_run.completed", "check_run.completed", "issues.opened"), async (payload, settings, eventName) => {
        const inputs: SignedInputs = await signAsKernel(payload as Record<string, unknown>, { eventName, settings: settings as Record<string, unknown> });
        await expectWellFormed(await send(JSON.stringify(inputs)));
      }),
      { numRuns: 150, seed: 4 },
    );

    // 4. Signed kernel.plugin_error payloads with fields of the real shape mutated.
    const errorMutation = fc.record({ message: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), status: fc.oneof(fc.integer(), fc.constant(null), fc.string()), category: fc.oneof(fc.string(), fc.constant(undefined)) });
    await fc.assert(
      fc.asyncProperty(errorMutation, fc.oneof(fc.string(), fc.webUrl(), fc.integer()), async (error, id) => {
        const inputs = await signAsKernel(kernelPluginError({ error, plugin: { id }, requestId: crypto.randomUUID() }));
        await expectWellFormed(await send(JSON.stringify(inputs)));
      }),
      { numRuns: 100, seed: 5 },
    );

    // 5. Wrong content types with arbitrary bodies.
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("text/plain", "application/xml", "multipart/form-data", ""), fc.string({ maxLength: 100 }), async (type, s) => expectWellFormed(await send(s, type))),
      { numRuns: 50, seed: 6 },
    );
  }, 120_000);
});
