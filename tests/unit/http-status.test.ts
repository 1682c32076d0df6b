import { describe, expect, it } from "vitest";
import { recoverHttpStatus } from "../../shared/http-status";

describe("HTTP status recovery", () => {
  it.each([
    ["HTTP (target: https://command-start-stop-main.deno.dev) 500: Unexpected error", null, 500],
    ["HTTP (target: https://text-conversation-rewards-main.deno.dev) 400: Invalid signature", null, 400],
    ["HTTP (target: https://x.workers.dev) 502: <html>Bad Gateway</html>", null, 502],
    ["HTTP 502: Bad Gateway", null, 502],
    ["HTTP 503 Service Unavailable", undefined, 503],
    ["request failed with status code 504", null, 504],
    ["error code: 1101", null, 500],
    ["error code: 1102", null, 500],
    ["Resource not accessible by integration", null, null],
    ["Manifest is invalid.", null, null],
    ["HTTP (target: https://x.dev) 500: boom", 502, 502],
    ["took 1500ms", null, null],
  ] as const)("%s (reported %s) → %s", (message, reported, expected) => {
    expect(recoverHttpStatus(message, reported)).toBe(expected);
  });
});
