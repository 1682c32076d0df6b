/** Issue 18: grouping v2's identifier shapes, and what it leaves alone. */
import { describe, expect, it } from "vitest";
import { isRandomToken } from "../../shared/grouping/identifiers";
import { normalizeV2 } from "../../shared/grouping/normalize-v2";

describe("grouping v2 turns each identifier shape into a token", () => {
  it.each([
    ["Cloudflare ray id with its colo", "worker crashed, cf-ray 31fdb420ec531fd6-IAD", "worker crashed, cf-ray <cf-ray>"],
    ["… the same from another colo", "worker crashed, cf-ray 8e2f0b1c9a7d3e45-SIN", "worker crashed, cf-ray <cf-ray>"],
    ["GitHub node id (issue)", "Could not resolve to a node with the global id of 'I_kwDOd-nVJDDJVn-d'", "Could not resolve to a node with the global id of 'I_<node-id>'"],
    ["GitHub node id (pull request)", "no PR PR_kwDOKx8Zzs5jQ2Ab", "no PR PR_<node-id>"],
    ["GitHub node id (issue comment)", "comment IC_kwDOKx8Zzs6Ab_cD9 gone", "comment IC_<node-id> gone"],
    ["GitHub legacy node id", "Could not resolve to a PullRequest with the global id of 'MDExOlB1bGxSZXF1ZXN0NTgyMzc0MTI='", "Could not resolve to a PullRequest with the global id of '<node-id>'"],
    ["legacy user id", "no user MDQ6VXNlcjU4MzIzMQ==", "no user <node-id>"],
    ["ULID", "lock 01HZBXH7ZSNKKNSZ7HXBVD1QF9 held", "lock <ulid> held"],
    ["prefixed ULID", "failed [req_01HZBXH7ZSNKKNSZ7HXBVD1QF9]", "failed [req_<ulid>]"],
    ["prefixed random id", "webhook evt_1NqB2xLkdIwHu7ix0Q9C3xYz rejected", "webhook evt_<id> rejected"],
    ["dash-prefixed id", "quota of org-Xq2b8R3kLmN7pYz1WvT9aB4c exceeded", "quota of org-<id> exceeded"],
    ["nanoid", "token V1StGXR8_Z5jdHi6B-myT unknown", "token <id> unknown"],
    ["GitHub request id", "include the request ID E2D4:3F1A:1B2C3D:4E5F60:65A1B2C3.", "include the request ID <gh-request-id>."],
    ["… and its longer form", "x-github-request-id CB9A:2D5B:1F6E9C7:2058B39:65C4D1A2", "x-github-request-id <gh-request-id>"],
    ["AWS S3 request id", "Access Denied (Service: S3, Status Code: 403, Request ID: 4442587FB7D0A2F9)", "Access Denied (Service: S3, Status Code: 403, Request ID: <hex>)"],
    ["AWS extended request id", "Extended Request ID: lBwQK0Tj4bK+Qf/abc12DEF3ghiJKL45=", "Extended Request ID: <id>"],
    ["AWS Lambda request id", "RequestId: 7b4d3e2a-1c2d-4e5f-8a9b-0c1d2e3f4a5b Error: Runtime exited", "RequestId: <uuid> Error: Runtime exited"],
    ["keyed id", "trace_id=run-7-eu stopped; session: s3ss10n-42 expired", "trace_id=<id> stopped; session: <id> expired"],
    ["high-entropy token", "deployment kx7p2m9q4r1t is gone, isolate 3wpdkmh6bioo too", "deployment <id> is gone, isolate <id> too"],
    ["Deno Deploy preview host", "HTTP (target: https://command-start-stop-qyvmhyv64yyf.deno.dev) 500: boom", "HTTP (target: https://command-start-stop-<deployment>.deno.dev) 500: boom"],
    ["Go-style duration", "token is expired by 3h12m5s", "token is expired by <duration>"],
    ["stack frame line numbers", "at handler (file:///src/index.ts:42:17)", "at handler (file:///src/index.ts:<line>)"],
  ])("%s", (_name, input, expected) => {
    expect(normalizeV2(input)).toBe(expected);
  });
});

describe("grouping v2 leaves words and names alone", () => {
  it.each([
    ['duplicate key value violates unique constraint "permits_pkey"'],
    ['Unknown key "labels.priority" in the configuration'],
    ["TypeError: Cannot read properties of undefined (reading 'login')"],
    ["ERR_INVALID_ARG_TYPE ECONNREFUSED PGRST116 D1_ERROR SQLITE_CONSTRAINT"],
    ["sha256WithRSAEncryption getElementById XMLHttpRequest getUserIdByLoginAndOrgId"],
    ["text-conversation-rewards ubiquity-os-marketplace x86_64-unknown-linux-gnu utf8mb4_unicode_ci node-v20 gpt-4o-mini"],
    ['Workflow "compute.yml" not found on default branch "main"'],
  ])("%s", (input) => {
    expect(normalizeV2(input)).toBe(input);
  });
});

describe("grouping v2 keeps what tells failures apart", () => {
  it.each([
    ["exit codes", "Process completed with exit code 137.", "Process completed with exit code 1."],
    ["errno", "Connection reset by peer (os error 104)", "Connection reset by peer (os error 111)"],
    ["an SDK's leading status", "429 Too busy", "500 Too busy"],
    ["HTTP status", "HTTP (target: https://x.deno.dev) 500: Unexpected error", "HTTP (target: https://x.deno.dev) 502: Unexpected error"],
    ["Cloudflare error code", "error code: 1101", "error code: 1102"],
    ["the property read", "Cannot read properties of undefined (reading 'id')", "Cannot read properties of undefined (reading 'login')"],
  ])("%s", (_name, a, b) => {
    expect(normalizeV2(a)).not.toBe(normalizeV2(b));
    expect(normalizeV2(a)).toBe(a);
  });

  it("a value after an id key is an id only when it has a digit: `Session ID expired` and `Session ID missing` stay apart", () => {
    expect(normalizeV2("Session ID expired")).toBe("Session ID expired");
    expect(normalizeV2("Session ID missing")).toBe("Session ID missing");
  });
});

describe("random-token rule", () => {
  it.each(["kx7p2m9q4r1t", "V1StGXR8_Z5jdHi6B-myT", "Xq2b8R3kLmN7pYz1WvT9aB4c", "TsBfkGLiDfKrnYOVHchAZ", "fb7aub19bcxw"])("%s is random", (token) => {
    expect(isRandomToken(token)).toBe(true);
  });
  it.each(["permits_pkey", "sha256WithRSAEncryption", "getUserIdByLoginAndOrgId", "PGRST116abcd", "node20-bullseye", "HTTP2ServerRequest", "base64url", "i18nextProvider", "short1"])("%s is not", (token) => {
    expect(isRandomToken(token)).toBe(false);
  });
});

describe("bounds", () => {
  it("normalises at most the first 4,000 characters, then folds white space", () => {
    const out = normalizeV2(`a  b\n\tc ${"x".repeat(5000)}`);
    expect(out.slice(0, 7)).toBe("a b c x");
    expect(out.length).toBe(6 + (4000 - 8));
  });

  it("ignores private-use characters in the input (they mark kept spans internally)", () => {
    expect(normalizeV2("HTTP 500 \uE000\uE100 and \uE000\uE101")).toBe("HTTP 500 and");
  });
});
