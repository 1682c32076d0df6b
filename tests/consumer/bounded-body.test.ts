import { describe, expect, it } from "vitest";
import { readJsonBounded } from "../../workers/consumer/bounded-body";

// Issue 13: the manifest fetch read an unbounded body.

/** A body that never ends, counting how many chunks were pulled from it. */
function endless(): { response: Response; pulled: () => number } {
  let pulls = 0;
  const chunk = new TextEncoder().encode(`{"padding":"${"x".repeat(16 * 1024)}`);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(chunk);
    },
  });
  return { response: new Response(body), pulled: () => pulls };
}

describe("reading a bounded JSON body", () => {
  it("parses a small body", async () => {
    expect(await readJsonBounded(Response.json({ short_name: "o/r" }), 64 * 1024)).toEqual({ short_name: "o/r" });
  });

  it("stops reading an endless body soon after the bound, and gives up", async () => {
    const { response, pulled } = endless();
    expect(await readJsonBounded(response, 64 * 1024)).toBeUndefined();
    expect(pulled()).toBeLessThanOrEqual(6);
  });

  it("does not read a body whose declared length is over the bound", async () => {
    const { response, pulled } = endless();
    const declared = new Response(response.body, { headers: { "content-length": String(1024 * 1024) } });
    expect(await readJsonBounded(declared, 64 * 1024)).toBeUndefined();
    expect(pulled()).toBeLessThanOrEqual(1);
  });

  it("gives up on a body that is not JSON", async () => {
    expect(await readJsonBounded(new Response("<html>"), 64 * 1024)).toBeUndefined();
  });
});
