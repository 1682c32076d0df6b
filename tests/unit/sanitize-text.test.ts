import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { boundMessage, MAX_MESSAGE_BYTES } from "../../shared/bound-message";
import { toFailure } from "../../shared/convert";
import { LIMITS, sanitize, stripControls } from "../../shared/convert/text";
import type { FailureEvent } from "../../shared/failure-event";
import type { FailureMessage } from "../../shared/queue-message";
import { Settings } from "../../shared/settings";
import { kernelPluginError } from "../helpers/events";
import { CANARY_SECRETS, leaksPartOf, PROVIDER_CANARIES } from "../helpers/secrets";

// Issue 13: redact before clipping; control characters stripped; every queue message ≤ 120 KB.

const settings = v.parse(Settings, {});
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;

function failureOf(payload: Record<string, unknown>): FailureEvent {
  const c = toFailure("kernel.plugin_error", payload, { kernelStateId: "k", receivedAt: "2026-12-01T00:00:00.000Z", settings });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: "b".repeat(32) };
}

describe("tokens cut at the clip boundary (issue 13)", () => {
  const kinds = Object.keys(PROVIDER_CANARIES) as Array<keyof typeof PROVIDER_CANARIES>;

  it.each(kinds)("a %s token straddling the message clip is removed whole", (kind) => {
    const token = PROVIDER_CANARIES[kind];
    // The clip keeps LIMITS.message - 1 characters: the token starts 9 characters before that.
    const message = `${"x ".repeat((LIMITS.message - 10) / 2)} ${token} and more`;
    const out = sanitize(message, LIMITS.message);
    expect(out.length).toBeLessThanOrEqual(LIMITS.message);
    expect(leaksPartOf(CANARY_SECRETS[kind], out, 5)).toBe(false);
  });

  it.each(kinds)("a %s token straddling a log line's clip is removed whole", (kind) => {
    const token = PROVIDER_CANARIES[kind];
    const line = `${"y".repeat(LIMITS.logLine - 12)} ${token}`;
    const failure = failureOf(kernelPluginError({ logLines: [line] }));
    expect(leaksPartOf(CANARY_SECRETS[kind], JSON.stringify(failure), 5)).toBe(false);
  });

  it("a secret known by value (the input's authToken) straddling the clip is removed whole", () => {
    const authToken = "plain-looking-installation-token-value-0123456789";
    const redactor = { string: (t: string) => t.split(authToken).join("[REDACTED]"), value: <T>(x: T) => x };
    const out = sanitize(`${"z".repeat(LIMITS.message - 20)} ${authToken}`, LIMITS.message, redactor);
    expect(leaksPartOf(authToken, out, 5)).toBe(false);
  });
});

describe("control characters", () => {
  it("strips ANSI escapes, OSC hyperlinks and other control characters, keeping tabs and newlines", () => {
    expect(stripControls("\u001b[31mred\u001b[0m \u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007 a\u0000b\u0007c\r\nd\te")).toBe("red link abc\nd\te");
  });

  it("a message full of control characters is stored without them", () => {
    const failure = failureOf(kernelPluginError({ error: { message: `HTTP 500: ${"\u0000\u001b[2J\u0007".repeat(500)}boom` }, logLines: ["\u0001\u0002ok\u0003"] }));
    expect(failure.message).toBe("HTTP 500: boom");
    expect(failure.logTrail).toEqual(["ok"]);
  });
});

describe("bounded queue messages", () => {
  function message(failure: FailureEvent, raw?: unknown): FailureMessage {
    return { version: 1, type: "failure", failure, settings, ...(raw === undefined ? {} : { raw }) };
  }

  it("40 log lines full of control characters no longer make a 131 KB message", () => {
    const lines = Array.from({ length: 40 }, () => "\u0001".repeat(500));
    const failure = failureOf(kernelPluginError({ logLines: lines }));
    expect(bytes(message(failure))).toBeLessThan(MAX_MESSAGE_BYTES);
  });

  it("trims the raw payload, then the oldest log lines, then the detail, and says what it trimmed", () => {
    const failure = failureOf(kernelPluginError({ error: { message: `HTTP 500: ${"é".repeat(3000)}`, stack: "漢".repeat(7990) }, logLines: Array.from({ length: 40 }, (_, i) => `${i} ${"字".repeat(490)}`) }));
    const huge = message({ ...failure, detail: "漢".repeat(40_000) }, { body: "r".repeat(200_000) });
    const bounded = boundMessage(huge);
    expect(bytes(bounded)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(bounded.raw).toBeUndefined();
    expect(bounded.failure.trimmed?.[0]).toMatch(/^raw payload: \d+ bytes$/);
    expect(bounded.failure.trimmed?.join("; ")).toMatch(/detail: \d+ of 40000 characters/);
    expect(bounded.failure.message).toBe(failure.message);
    expect(bounded.failure.logTrail.at(-1)).toBe(failure.logTrail.at(-1));
  });

  it("drops only the oldest log lines when they are what is too big", () => {
    const failure = failureOf(kernelPluginError({ logLines: Array.from({ length: 40 }, (_, i) => `${i} ${"字".repeat(490)}`) }));
    const big = message({ ...failure, logTrail: [...failure.logTrail, ...failure.logTrail, ...failure.logTrail] });
    const bounded = boundMessage(big);
    expect(bytes(bounded)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(bounded.failure.logTrail.length).toBeGreaterThan(0);
    expect(bounded.failure.logTrail.at(-1)).toBe(big.failure.logTrail.at(-1));
    expect(bounded.failure.trimmed).toEqual([`log trail: ${120 - bounded.failure.logTrail.length} oldest of 120 lines`]);
  });

  it("returns a message that fits unchanged", () => {
    const small = message(failureOf(kernelPluginError()));
    expect(boundMessage(small)).toBe(small);
  });
});
