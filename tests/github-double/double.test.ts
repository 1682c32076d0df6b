/**
 * Tests of the GitHub double itself, in plain Node (ajv cannot run inside workerd):
 *   npm test (the "github-double" vitest project, in Node)
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { afterEach, beforeEach, describe, test } from "vitest";
import { GitHubDouble, startServer } from "./index.ts";
import { HANDLERS } from "./operations.ts";
import { json } from "./http.ts";
import { schemaValidator } from "./validate.ts";

const START = Date.parse("2025-06-01T12:00:00Z");
let clock = START;
let double: GitHubDouble;

const API = "https://api.github.com";
const REPO = "acme/widgets";

function headers(token: string | null = "ghp_devtoken"): Record<string, string> {
  const h: Record<string, string> = { "user-agent": "github-double-test", accept: "application/vnd.github+json" };
  if (token !== null) h.authorization = `token ${token}`;
  return h;
}

async function call(method: string, path: string, body?: unknown, token: string | null = "ghp_devtoken"): Promise<{ status: number; json: unknown; headers: Headers }> {
  const init: RequestInit = { method, headers: headers(token) };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const response = await double.handle(new Request(`${API}${path}`, init));
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, json: parsed, headers: response.headers };
}

/** The double's control API (/_double/…), as the test hooks' HTTP face. */
async function control(method: string, path: string, body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await double.handle(new Request(`http://127.0.0.1:8789${path}`, init));
  const text = await r.text();
  return { status: r.status, text, json: r.headers.get("content-type")?.includes("json") ? (JSON.parse(text) as unknown) : null };
}

function obj(value: unknown): Record<string, unknown> {
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), `expected an object, got ${JSON.stringify(value)}`);
  return value as Record<string, unknown>;
}

function arr(value: unknown): unknown[] {
  assert.ok(Array.isArray(value), `expected an array, got ${JSON.stringify(value)}`);
  return value;
}

const createIssue = (title: string, extra: Record<string, unknown> = {}, token?: string) => call("POST", `/repos/${REPO}/issues`, { title, ...extra }, token);

beforeEach(() => {
  clock = START;
  double = new GitHubDouble({ now: () => clock });
});

afterEach(() => {
  assert.deepEqual(double.violations, [], "every answer the double produced must validate against the spec");
});

describe("issues", () => {
  test("create → get → list → close → reopen", async () => {
    const created = await createIssue("Plugin crashed", { body: "stack trace" });
    assert.equal(created.status, 201);
    const issue = obj(created.json);
    assert.equal(issue.number, 1);
    assert.equal(issue.state, "open");
    assert.equal(issue.html_url, "https://github.com/acme/widgets/issues/1");
    assert.equal(obj(issue.user).login, "daemon-hotfix-dev");
    assert.equal(created.headers.get("location"), `${API}/repos/${REPO}/issues/1`);

    assert.equal(obj((await createIssue("Second")).json).number, 2);
    assert.equal(obj((await call("POST", "/repos/other/repo/issues", { title: "x" })).json).number, 1, "numbers are per repo");

    const got = await call("GET", `/repos/${REPO}/issues/1`);
    assert.equal(got.status, 200);
    assert.equal(obj(got.json).title, "Plugin crashed");
    assert.equal((await call("GET", `/repos/${REPO}/issues/99`)).status, 404);

    const listed = await call("GET", `/repos/${REPO}/issues`);
    assert.deepEqual(
      arr(listed.json).map((i) => obj(i).number),
      [2, 1],
    );

    clock += 5_000;
    const closed = await call("PATCH", `/repos/${REPO}/issues/1`, { state: "closed", state_reason: "not_planned" });
    assert.equal(closed.status, 200);
    assert.equal(obj(closed.json).state, "closed");
    assert.equal(obj(closed.json).state_reason, "not_planned");
    assert.equal(obj(closed.json).closed_at, "2025-06-01T12:00:05Z");

    const defaultReason = await call("PATCH", `/repos/${REPO}/issues/2`, { state: "closed" });
    assert.equal(obj(defaultReason.json).state_reason, "completed");

    assert.deepEqual(arr((await call("GET", `/repos/${REPO}/issues`)).json), []);
    assert.equal(arr((await call("GET", `/repos/${REPO}/issues?state=closed`)).json).length, 2);
    assert.equal(arr((await call("GET", `/repos/${REPO}/issues?state=all`)).json).length, 2);

    const reopened = await call("PATCH", `/repos/${REPO}/issues/1`, { state: "open" });
    assert.equal(obj(reopened.json).state, "open");
    assert.equal(obj(reopened.json).state_reason, "reopened");
    assert.equal(obj(reopened.json).closed_at, null);

    const edited = await call("PATCH", `/repos/${REPO}/issues/1`, { title: "Renamed", body: "new body", labels: ["triaged"] });
    assert.equal(obj(edited.json).title, "Renamed");
    assert.deepEqual(
      arr(obj(edited.json).labels).map((l) => obj(l).name),
      ["triaged"],
    );
  });

  test("labels that do not exist yet are created, strings or objects", async () => {
    const first = obj((await createIssue("a", { labels: ["bug", { name: "hotfix" }] })).json);
    const labels = arr(first.labels).map(obj);
    assert.deepEqual(
      labels.map((l) => l.name),
      ["bug", "hotfix"],
    );
    for (const label of labels) for (const key of ["id", "node_id", "url", "name", "description", "color", "default"]) assert.ok(key in label, key);
    const second = obj((await createIssue("b", { labels: ["BUG"] })).json);
    assert.equal(obj(arr(second.labels)[0]).id, labels[0]?.id, "label names are case-insensitive and reused");
    assert.equal(arr((await call("GET", `/repos/${REPO}/issues?labels=bug,hotfix`)).json).length, 1);
    assert.equal(arr((await call("GET", `/repos/${REPO}/issues?labels=bug`)).json).length, 2);
  });

  test("list filters, sort and pagination with a link header", async () => {
    for (let i = 1; i <= 5; i++) {
      await createIssue(`issue ${i}`);
      clock += 1000;
    }
    const page1 = await call("GET", `/repos/${REPO}/issues?per_page=2&direction=asc`);
    assert.deepEqual(
      arr(page1.json).map((i) => obj(i).number),
      [1, 2],
    );
    const link = page1.headers.get("link") ?? "";
    assert.match(link, /[?&]page=2[^>]*>; rel="next"/);
    assert.match(link, /[?&]page=3[^>]*>; rel="last"/);
    const page3 = await call("GET", `/repos/${REPO}/issues?per_page=2&direction=asc&page=3`);
    assert.deepEqual(
      arr(page3.json).map((i) => obj(i).number),
      [5],
    );
    assert.doesNotMatch(page3.headers.get("link") ?? "", /rel="next"/);
    const since = await call("GET", `/repos/${REPO}/issues?since=${new Date(START + 3000).toISOString()}`);
    assert.deepEqual(
      arr(since.json).map((i) => obj(i).number),
      [5, 4],
    );
    assert.equal(arr((await call("GET", `/repos/${REPO}/issues?creator=someone-else`)).json).length, 0);
    assert.equal(arr((await call("GET", `/repos/${REPO}/issues?creator=daemon-hotfix-dev`)).json).length, 5);
    assert.equal((await call("GET", `/repos/${REPO}/issues?milestone=1`)).status, 501);
  });

  test("comments", async () => {
    await createIssue("with comments");
    clock += 1000;
    const comment = await call("POST", `/repos/${REPO}/issues/1/comments`, { body: "seen again" });
    assert.equal(comment.status, 201);
    assert.equal(obj(comment.json).body, "seen again");
    assert.match(String(obj(comment.json).html_url), /^https:\/\/github\.com\/acme\/widgets\/issues\/1#issuecomment-\d+$/);
    const listed = await call("GET", `/repos/${REPO}/issues/1/comments`);
    assert.equal(arr(listed.json).length, 1);
    const issue = obj((await call("GET", `/repos/${REPO}/issues/1`)).json);
    assert.equal(issue.comments, 1);
    assert.equal(issue.updated_at, "2025-06-01T12:00:01Z");
    assert.equal(double.issues(REPO)[0]?.comments_list.length, 1);
    assert.equal((await call("POST", `/repos/${REPO}/issues/7/comments`, { body: "x" })).status, 404);
    assert.equal((await call("POST", `/repos/${REPO}/issues/1/comments`, { body: "" })).status, 422);
  });

  test("GitHub's business limits: body and title length, label name length", async () => {
    assert.equal((await createIssue("t", { body: "x".repeat(65_537) })).status, 422);
    assert.equal((await createIssue("t".repeat(257))).status, 422);
    assert.equal((await createIssue("t", { labels: ["l".repeat(51)] })).status, 422);
    assert.equal((await call("POST", `/repos/${REPO}/issues`, { title: "   " })).status, 422);
    assert.equal((await createIssue("t", { milestone: 3 })).status, 422, "the double has no milestones");
    assert.equal(double.issues(REPO).length, 0);
    assert.equal((await createIssue("t", { body: "x".repeat(65_536) })).status, 201);
  });
});

describe("request validation against the spec", () => {
  const validationError = schemaValidator("validation-error");

  test("a typo'd field (lables) is 422 in GitHub's validation-error shape", async () => {
    const r = await call("POST", `/repos/${REPO}/issues`, { title: "x", lables: ["bug"] });
    assert.equal(r.status, 422);
    const body = obj(r.json);
    assert.equal(body.message, "Validation Failed");
    assert.ok(validationError(body), JSON.stringify(validationError.errors));
    assert.ok(arr(body.errors).some((e) => obj(e).field === "lables"));
    assert.equal(double.issues(REPO).length, 0);
  });

  test("a missing title is 422 missing_field", async () => {
    const r = await call("POST", `/repos/${REPO}/issues`, { body: "no title" });
    assert.equal(r.status, 422);
    assert.ok(validationError(r.json));
    assert.deepEqual(
      arr(obj(r.json).errors).map((e) => [obj(e).field, obj(e).code]),
      [["title", "missing_field"]],
    );
  });

  test("wrong types, bad enum values and broken JSON", async () => {
    assert.equal((await call("PATCH", `/repos/${REPO}/issues/1`, { state: "shut" })).status, 422);
    assert.equal((await call("POST", `/repos/${REPO}/issues`, { title: "x", labels: "bug" })).status, 422);
    assert.equal((await call("POST", `/repos/${REPO}/issues`, "{not json")).status, 400);
  });
});

describe("routing and auth", () => {
  test("an unknown operation is 404 Not Found", async () => {
    const r = await call("GET", `/repos/${REPO}/no-such-thing`);
    assert.equal(r.status, 404);
    assert.deepEqual(obj(r.json).message, "Not Found");
    assert.equal(obj(r.json).documentation_url, "https://docs.github.com/rest");
    assert.equal((await call("DELETE", `/repos/${REPO}/issues/1`)).status, 404, "method not in the spec for that path");
  });

  test("a spec operation the double does not implement is 501 naming it", async () => {
    const r = await call("GET", `/repos/${REPO}/labels`);
    assert.equal(r.status, 501);
    assert.match(String(obj(r.json).message), /issues\/list-labels-for-repo/);
    assert.equal(double.calls.at(-1)?.operationId, "issues/list-labels-for-repo");
    assert.deepEqual(double.stats.notImplemented, ["issues/list-labels-for-repo"]);
  });

  test("no authorization header is 401; token and Bearer both work; no user-agent is 403", async () => {
    const r = await call("POST", `/repos/${REPO}/issues`, { title: "x" }, null);
    assert.equal(r.status, 401);
    assert.equal(obj(r.json).message, "Requires authentication");
    const bearer = await double.handle(
      new Request(`${API}/repos/${REPO}/issues`, { headers: { authorization: "Bearer ghs_abc", "user-agent": "t" } }),
    );
    assert.equal(bearer.status, 200);
    const noAgent = await double.handle(new Request(`${API}/repos/${REPO}/issues`, { headers: { authorization: "token x" } }));
    assert.equal(noAgent.status, 403);
    assert.equal(double.issues(REPO).length, 0);
  });

  test("a GHES-style /api/v3 prefix is accepted", async () => {
    const r = await double.handle(new Request(`https://ghe.example.com/api/v3/repos/${REPO}/issues`, { method: "POST", headers: headers(), body: JSON.stringify({ title: "ghes" }) }));
    assert.equal(r.status, 201);
    assert.equal(double.calls.at(-1)?.path, `/repos/${REPO}/issues`);
  });

  test("GET /user: 403 for an installation token, the dev user otherwise; bots author with ghs_ tokens", async () => {
    const app = await call("GET", "/user", undefined, "ghs_installation");
    assert.equal(app.status, 403);
    assert.equal(obj(app.json).message, "Resource not accessible by integration");
    const dev = await call("GET", "/user");
    assert.equal(dev.status, 200);
    assert.equal(obj(dev.json).login, "daemon-hotfix-dev");
    assert.equal(obj(dev.json).type, "User");
    const byBot = obj((await createIssue("from the app", {}, "ghs_installation")).json);
    assert.equal(obj(byBot.user).login, "daemon-hotfix[bot]");
    assert.equal(obj(byBot.user).type, "Bot");
  });

  test("GET /repos/{owner}/{repo}, and a repo marked missing answers 404 to everything", async () => {
    const repo = await call("GET", `/repos/${REPO}`);
    assert.equal(repo.status, 200);
    assert.equal(obj(repo.json).full_name, REPO);
    double.markMissing(REPO);
    assert.equal((await call("GET", `/repos/${REPO}`)).status, 404);
    assert.equal((await createIssue("x")).status, 404);
    assert.equal(double.issues(REPO).length, 0);
  });
});

describe("rate limits", () => {
  test("x-ratelimit-* headers on every answer, remaining decrements per token", async () => {
    const a = await call("GET", `/repos/${REPO}/issues`);
    const b = await call("GET", `/repos/${REPO}/nope`);
    for (const r of [a, b]) {
      assert.equal(r.headers.get("x-ratelimit-limit"), "5000");
      assert.equal(r.headers.get("x-ratelimit-resource"), "core");
      assert.equal(r.headers.get("x-ratelimit-reset"), String(Math.floor((START + 3_600_000) / 1000)));
    }
    assert.equal(a.headers.get("x-ratelimit-remaining"), "4999");
    assert.equal(b.headers.get("x-ratelimit-remaining"), "4998");
    assert.equal(b.headers.get("x-ratelimit-used"), "2");
    const other = await call("GET", `/repos/${REPO}/issues`, undefined, "ghp_other");
    assert.equal(other.headers.get("x-ratelimit-remaining"), "4999");
  });

  test("secondary limit: the 4th create in a minute is 403 with retry-after and creates nothing", async () => {
    double = new GitHubDouble({ now: () => clock, secondaryLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) assert.equal((await createIssue(`n${i}`)).status, 201);
    const fourth = await createIssue("n3");
    assert.equal(fourth.status, 403);
    assert.equal(fourth.headers.get("retry-after"), "60");
    assert.match(String(obj(fourth.json).message), /secondary rate limit/);
    assert.equal(obj(fourth.json).documentation_url, "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits");
    assert.equal((await call("POST", `/repos/${REPO}/issues/1/comments`, { body: "c" })).status, 403, "comments count too");
    assert.equal(double.issues(REPO).length, 3);
    assert.equal(double.stats.secondaryLimitHits, 2);
    clock += 60_000;
    assert.equal((await createIssue("after a minute")).status, 201);
  });

  test("secondary hourly limit", async () => {
    double = new GitHubDouble({ now: () => clock, secondaryLimitPerHour: 2 });
    await createIssue("a");
    clock += 61_000;
    await createIssue("b");
    clock += 61_000;
    assert.equal((await createIssue("c")).status, 403);
    clock += 3_600_000;
    assert.equal((await createIssue("d")).status, 201);
  });

  test("search: 30 requests a minute per token, then 403 with x-ratelimit-resource: search", async () => {
    for (let i = 0; i < 30; i++) assert.equal((await call("GET", "/search/issues?q=is:issue")).status, 200);
    const over = await call("GET", "/search/issues?q=is:issue");
    assert.equal(over.status, 403);
    assert.match(String(obj(over.json).message), /API rate limit exceeded/);
    assert.equal(over.headers.get("x-ratelimit-resource"), "search");
    assert.equal(over.headers.get("x-ratelimit-remaining"), "0");
    assert.equal(double.stats.searchLimitHits, 1);
    clock += 60_000;
    assert.equal((await call("GET", "/search/issues?q=is:issue")).status, 200);
  });
});

describe("search", () => {
  const search = async (q: string) => {
    const r = await call("GET", `/search/issues?q=${encodeURIComponent(q)}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return obj(r.json);
  };
  const numbers = (result: Record<string, unknown>) => arr(result.items).map((i) => obj(i).number);

  test("the index lags: a new issue is invisible until the lag passes, edits likewise", async () => {
    double = new GitHubDouble({ now: () => clock, searchLagMs: 10_000 });
    await createIssue("Fingerprint abc123", { body: "details" });
    assert.equal((await search(`repo:${REPO} is:issue abc123`)).total_count, 0);
    assert.equal(arr((await call("GET", `/repos/${REPO}/issues`)).json).length, 1, "list is immediately consistent");
    clock += 10_000;
    const found = await search(`repo:${REPO} is:issue abc123`);
    assert.equal(found.total_count, 1);
    assert.equal(obj(arr(found.items)[0]).score, 1);
    assert.equal(found.incomplete_results, false);

    await call("PATCH", `/repos/${REPO}/issues/1`, { state: "closed" });
    assert.deepEqual(numbers(await search(`repo:${REPO} is:issue is:open abc123`)), [1], "search still sees it open");
    clock += 10_001;
    assert.deepEqual(numbers(await search(`repo:${REPO} is:issue is:open abc123`)), []);
    assert.deepEqual(numbers(await search(`repo:${REPO} is:issue is:closed abc123`)), [1]);
  });

  test("infinite lag: search never sees anything; incomplete_results switch", async () => {
    double = new GitHubDouble({ now: () => clock, searchLagMs: Number.POSITIVE_INFINITY, incompleteResults: true });
    await createIssue("x");
    clock += 86_400_000;
    const result = await search("is:issue x");
    assert.equal(result.total_count, 0);
    assert.equal(result.incomplete_results, true);
  });

  test("qualifiers", async () => {
    double = new GitHubDouble({ now: () => clock, searchLagMs: 0 });
    await createIssue("Crash in parser", { body: "TypeError: undefined is not a function", labels: ["bug", "needs triage"] });
    await createIssue("Slow startup", { body: "takes 10s", labels: ["perf"] });
    await call("POST", "/repos/acme/other/issues", { title: "Crash elsewhere" });
    await call("POST", `/repos/${REPO}/issues/2/comments`, { body: "parser involved" });
    assert.deepEqual(numbers(await search(`repo:${REPO} crash`)), [1]);
    assert.equal((await search("crash")).total_count, 2);
    assert.deepEqual(numbers(await search(`repo:${REPO} "not a function"`)), [1]);
    assert.deepEqual(numbers(await search(`repo:${REPO} label:"needs triage" label:bug`)), [1]);
    assert.deepEqual(numbers(await search(`repo:${REPO} parser in:title`)), [1]);
    assert.deepEqual((numbers(await search(`repo:${REPO} parser`)) as number[]).sort(), [1, 2], "comments are searched by default");
    assert.deepEqual(numbers(await search(`repo:${REPO} author:daemon-hotfix-dev state:open is:issue`)).length, 2);
    assert.deepEqual(numbers(await search(`repo:${REPO} author:someone`)), []);
    assert.deepEqual(numbers(await search(`repo:${REPO} is:pr`)), []);
  });

  test("unsupported qualifiers and negation are 422", async () => {
    for (const q of ["repo:acme/widgets sort:created", "language:python crash", "-label:bug", "is:locked"]) {
      const r = await call("GET", `/search/issues?q=${encodeURIComponent(q)}`);
      assert.equal(r.status, 422, q);
      assert.equal(obj(r.json).message, "Validation Failed");
    }
    assert.equal((await call("GET", "/search/issues")).status, 422, "q is required");
  });

  test("a user-to-server token must say is:issue or is:pull-request", async () => {
    assert.equal((await call("GET", "/search/issues?q=crash", undefined, "ghu_user")).status, 422);
    assert.equal((await call("GET", "/search/issues?q=crash+is:issue", undefined, "ghu_user")).status, 200);
  });
});

describe("faults", () => {
  test("status: 503 once, then normal; matched by method, path substring and repo", async () => {
    double.addFault({ kind: "status", status: 503, match: { method: "post", path: "/issues", repo: REPO } });
    assert.equal((await call("GET", `/repos/${REPO}/issues`)).status, 200, "method does not match");
    assert.equal((await call("POST", "/repos/acme/other/issues", { title: "x" })).status, 201, "repo does not match");
    const failed = await createIssue("x");
    assert.equal(failed.status, 503);
    assert.ok(failed.headers.get("x-ratelimit-remaining"));
    assert.equal(double.issues(REPO).length, 0);
    assert.equal((await createIssue("x")).status, 201);
    assert.equal(double.stats.faultsTriggered, 1);
  });

  test("status with times: Infinity until cleared; RegExp paths", async () => {
    double.addFault({ kind: "status", status: 500, times: Number.POSITIVE_INFINITY, match: { path: /\/issues$/ } });
    for (let i = 0; i < 3; i++) assert.equal((await createIssue("x")).status, 500);
    double.clearFaults();
    assert.equal((await createIssue("x")).status, 201);
  });

  test("secondary_limit: 403 with retry-after and the secondary message", async () => {
    double.addFault({ kind: "secondary_limit", retryAfterSeconds: 7 });
    const r = await createIssue("x");
    assert.equal(r.status, 403);
    assert.equal(r.headers.get("retry-after"), "7");
    assert.match(String(obj(r.json).message), /secondary rate limit/);
    assert.equal(double.stats.secondaryLimitHits, 1);
    assert.equal(double.issues(REPO).length, 0);
  });

  test("primary_limit: 403 or 429 with remaining 0 and a reset", async () => {
    double.addFault({ kind: "primary_limit", resetInSeconds: 120 });
    double.addFault({ kind: "primary_limit", status: 429 });
    const a = await createIssue("x");
    assert.equal(a.status, 403);
    assert.equal(a.headers.get("x-ratelimit-remaining"), "0");
    assert.equal(a.headers.get("x-ratelimit-reset"), String(Math.floor(START / 1000) + 120));
    const b = await createIssue("x");
    assert.equal(b.status, 429);
    assert.equal(b.headers.get("x-ratelimit-remaining"), "0");
    assert.equal(double.issues(REPO).length, 0);
  });

  test("hang: waits, then answers normally; an aborted request rejects", async () => {
    double.addFault({ kind: "hang", hangMs: 150 });
    const started = performance.now();
    assert.equal((await createIssue("slow")).status, 201);
    assert.ok(performance.now() - started >= 140);
    double.addFault({ kind: "hang", hangMs: 10_000 });
    const aborted = double.handle(new Request(`${API}/repos/${REPO}/issues`, { headers: headers(), signal: AbortSignal.timeout(50) }));
    await assert.rejects(aborted);
  });

  test("drop: handle() throws TypeError and nothing is created", async () => {
    double.addFault({ kind: "drop" });
    await assert.rejects(createIssue("x"), (e: unknown) => e instanceof TypeError && e.message === "connection dropped");
    assert.equal(double.issues(REPO).length, 0);
    assert.equal(double.calls.at(-1)?.status, 0);
  });

  test("commit_then_status: GitHub created the issue but answered 502", async () => {
    double.addFault({ kind: "commit_then_status", match: { method: "POST" } });
    const r = await createIssue("lost answer");
    assert.equal(r.status, 502);
    assert.equal(double.issues(REPO).length, 1);
    assert.equal(double.writes(REPO).length, 1);
    assert.equal(double.calls.at(-1)?.committed, true);
  });

  test("commit_then_drop: GitHub created the issue and the connection dropped", async () => {
    double.addFault({ kind: "commit_then_drop" });
    await assert.rejects(createIssue("lost connection"), TypeError);
    assert.equal(double.issues(REPO).length, 1);
  });

  test("probability uses a seeded PRNG (deterministic per seed)", async () => {
    const outcomes = async (seed: number) => {
      double = new GitHubDouble({ now: () => clock, seed });
      double.addFault({ kind: "status", status: 500, probability: 0.5, times: Number.POSITIVE_INFINITY });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await call("GET", `/repos/${REPO}/issues`)).status);
      return statuses;
    };
    const a = await outcomes(42);
    assert.deepEqual(await outcomes(42), a);
    assert.ok(a.includes(500) && a.includes(200));
  });
});

describe("test hooks and control API", () => {

  test("calls, writes, closeIssue, reset", async () => {
    await createIssue("one");
    await call("GET", `/repos/${REPO}/issues`);
    const entry = double.calls[0];
    assert.equal(entry?.operationId, "issues/create");
    assert.equal(entry?.status, 201);
    assert.deepEqual(entry?.requestBody, { title: "one" });
    assert.equal(entry?.token, "ghp_devtoken");
    assert.equal(entry?.repo, REPO);
    assert.equal(double.writes().length, 1);
    clock += 1000;
    const closed = double.closeIssue(REPO, 1, "not_planned");
    assert.equal(closed.state_reason, "not_planned");
    assert.equal(obj(closed.closed_by).login, "repo-maintainer");
    assert.equal(obj((await call("GET", `/repos/${REPO}/issues/1`)).json).state, "closed");
    double.reset();
    assert.equal(double.calls.length, 0);
    assert.deepEqual(double.issues(REPO), []);
  });

  test("the same over HTTP under /_double/", async () => {
    assert.equal((await control("POST", "/_double/faults", { kind: "status", status: 502, match: { path: "/issues" } })).status, 201);
    assert.equal((await createIssue("x")).status, 502);
    assert.equal((await createIssue("x")).status, 201);
    await control("POST", "/_double/faults", { kind: "status", times: "Infinity" });
    assert.equal((await call("GET", "/user")).status, 500);
    await control("DELETE", "/_double/faults");
    assert.equal((await call("GET", "/user")).status, 200);

    const issues = arr((await control("GET", `/_double/issues?repo=${REPO}`)).json);
    assert.equal(issues.length, 1);
    const closed = await control("POST", `/_double/issues/acme/widgets/1/close`, { reason: "not_planned" });
    assert.equal(obj(closed.json).state_reason, "not_planned");
    assert.equal(arr((await control("GET", `/_double/calls?repo=${REPO}`)).json).length, 2);
    await control("POST", "/_double/config", { searchLagMs: 0, incompleteResults: true });
    assert.equal(obj((await call("GET", "/search/issues?q=is:issue")).json).total_count, 1);
    await control("POST", "/_double/missing", { repo: REPO });
    assert.equal((await call("GET", `/repos/${REPO}`)).status, 404);
    assert.equal(obj((await control("GET", "/_double/stats")).json).faultsTriggered, 2);
    assert.deepEqual((await control("GET", "/_double/violations")).json, []);
    const html = await control("GET", "/");
    assert.match(html.text, /x<\/td>/);
    assert.match(html.text, /not_planned/);
    await control("POST", "/_double/reset");
    assert.equal(double.calls.length, 0);
  });

  test("manifests: only on hosts with a registered manifest", async () => {
    double.setManifest("https://plugin.example.workers.dev/manifest.json", { name: "plugin", commands: {} });
    const ok = await double.handle(new Request("https://plugin.example.workers.dev/manifest.json"));
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { name: "plugin", commands: {} });
    assert.equal((await double.handle(new Request("https://plugin.example.workers.dev/sub/manifest.json"))).status, 404);
    assert.equal(double.calls.at(-1)?.operationId, "manifest");
    await control("POST", "/_double/manifests", { url: "https://other.example/manifest.json", manifest: { name: "other" } });
    assert.deepEqual(await (await double.handle(new Request("https://other.example/manifest.json"))).json(), { name: "other" });
  });

  test("a repo's homepage and a file on its default branch (what verifies a plugin's repo claim, issue 12)", async () => {
    assert.equal(obj((await call("GET", `/repos/${REPO}`)).json).homepage, null);
    await control("POST", "/_double/repos/homepage", { repo: REPO, homepage: "https://widgets.example.dev" });
    assert.equal(obj((await call("GET", `/repos/${REPO}`)).json).homepage, "https://widgets.example.dev");
    const manifest = JSON.stringify({ name: "widgets", short_name: `${REPO}@main`, homepage_url: "https://widgets.example.dev" });
    await control("POST", "/_double/repos/files", { repo: REPO, path: "manifest.json", content: manifest });
    const file = obj((await call("GET", `/repos/${REPO}/contents/manifest.json`)).json);
    assert.equal(file.type, "file");
    assert.equal(Buffer.from(String(file.content), "base64").toString("utf8"), manifest);
    assert.equal(double.fileAt(REPO, "main", "README.md"), "# widgets\n", "earlier files stay");
    assert.equal((await control("POST", "/_double/repos/homepage", { repo: REPO, homepage: 3 })).status, 400);
  });

  test("a response that violates the spec is recorded and answered 500", async () => {
    const original = HANDLERS["issues/get"];
    assert.ok(original);
    HANDLERS["issues/get"] = () => json(200, { number: "not a number" });
    try {
      const r = await call("GET", `/repos/${REPO}/issues/1`);
      assert.equal(r.status, 500);
      assert.equal(double.violations.length, 1);
      assert.match(double.violations[0] ?? "", /issues\/get 200/);
    } finally {
      HANDLERS["issues/get"] = original;
      double.violations.length = 0;
    }
  });
});

describe("server.ts", () => {
  test("serves the double over HTTP; a drop destroys the socket", async () => {
    const server = await startServer(double, 0);
    try {
      const created = await fetch(`${server.url}/repos/${REPO}/issues`, { method: "POST", headers: headers(), body: JSON.stringify({ title: "over http" }) });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get("x-ratelimit-limit"), "5000");
      assert.equal(((await created.json()) as { number: number }).number, 1);
      double.addFault({ kind: "drop" });
      await assert.rejects(fetch(`${server.url}/repos/${REPO}/issues`, { headers: headers() }));
      const page = await fetch(`${server.url}/`);
      assert.match(await page.text(), /over http/);
    } finally {
      await server.close();
    }
  });
});

describe("with the project's Octokit", () => {
  test("@octokit/core talks to the double through a custom fetch", async () => {
    const { Octokit } = await import("@octokit/core");
    const octokit = new Octokit({
      auth: "ghs_installation_token",
      request: { fetch: (url: string | URL | Request, init?: RequestInit) => double.handle(new Request(url, init)) },
    });
    const created = await octokit.request("POST /repos/{owner}/{repo}/issues", { owner: "acme", repo: "widgets", title: "via octokit", labels: ["bug"] });
    assert.equal(created.status, 201);
    assert.equal(created.data.user?.login, "daemon-hotfix[bot]");
    assert.equal(created.headers["x-ratelimit-limit"], "5000");
    const listed = await octokit.request("GET /repos/{owner}/{repo}/issues", { owner: "acme", repo: "widgets", labels: "bug", state: "all" });
    assert.equal(listed.data.length, 1);
    await assert.rejects(
      octokit.request("POST /repos/{owner}/{repo}/issues", { owner: "acme", repo: "widgets", title: "typo", lables: ["bug"] } as never),
      (e: unknown) => typeof e === "object" && e !== null && "status" in e && e.status === 422,
    );
    const call = double.calls[0];
    assert.match(String(call?.token), /^ghs_/);
  });
});

describe("GitHub App authentication", () => {
  const APP_ID = 424242;
  const INSTALLATION = 77;
  const keys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const otherKeys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

  /** An RS256 JWT signed like an App would (claims in seconds, from the injected clock by default). */
  function jwt(claims: Record<string, unknown> = {}, privateKey: string = keys.privateKey): string {
    const iat = Math.floor(clock / 1000) - 60;
    const payload = { iat, exp: iat + 600, iss: String(APP_ID), ...claims };
    const data = `${b64({ alg: "RS256", typ: "JWT" })}.${b64(payload)}`;
    return `${data}.${sign("sha256", Buffer.from(data), privateKey).toString("base64url")}`;
  }

  async function bearer(method: string, path: string, token: string, body?: unknown) {
    const init: RequestInit = { method, headers: { "user-agent": "github-double-test", accept: "application/vnd.github+json", authorization: `Bearer ${token}` } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await double.handle(new Request(`${API}${path}`, init));
    const text = await response.text();
    return { status: response.status, json: (text === "" ? null : JSON.parse(text)) as unknown, headers: response.headers };
  }

  async function mint(installationId = INSTALLATION, body?: unknown): Promise<string> {
    const r = await bearer("POST", `/app/installations/${installationId}/access_tokens`, jwt(), body);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return String(obj(r.json).token);
  }

  const control = async (method: string, path: string, body?: unknown) => {
    const init: RequestInit = { method };
    if (body !== undefined) init.body = JSON.stringify(body);
    const r = await double.handle(new Request(`http://127.0.0.1:8789${path}`, init));
    return { status: r.status, json: (await r.json()) as unknown };
  };

  beforeEach(() => {
    double.configureApp({ appId: APP_ID, publicKeyPem: keys.publicKey });
    double.installApp(INSTALLATION, { owner: "acme", repos: ["widgets"] });
  });

  test("GET /app with a valid JWT is the App (integration schema)", async () => {
    const r = await bearer("GET", "/app", jwt());
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const app = obj(r.json);
    assert.equal(app.id, APP_ID);
    assert.equal(app.slug, "daemon-hotfix");
    assert.equal(app.html_url, "https://github.com/apps/daemon-hotfix");
    assert.ok(schemaValidator("integration")(app), JSON.stringify(schemaValidator("integration").errors));
    assert.equal(double.stats.jwtRequests, 1);
    assert.equal(double.calls.at(-1)?.auth, "jwt");
    assert.equal((await bearer("GET", "/app", jwt({ iss: APP_ID }))).status, 200, "iss may be a number");
  });

  test("bad JWTs are 401 with GitHub's messages", async () => {
    const message = async (token: string) => {
      const r = await bearer("GET", "/app", token);
      assert.equal(r.status, 401);
      assert.equal(obj(r.json).documentation_url, "https://docs.github.com/rest");
      return obj(r.json).message;
    };
    const undecodable = "A JSON web token could not be decoded";
    assert.equal(await message(jwt({}, otherKeys.privateKey)), undecodable, "signed with another key");
    const good = jwt();
    assert.equal(await message(`${good.slice(0, -4)}AAAA`), undecodable, "tampered signature");
    assert.equal(await message("abc.def.ghi"), undecodable, "not a valid JWT");
    assert.equal(await message(`${b64({ alg: "HS256", typ: "JWT" })}.${good.split(".")[1] ?? ""}.x`), undecodable, "not RS256");
    assert.equal(await message(jwt({ iss: "999" })), undecodable, "another App");
    assert.equal(await message(jwt({ iss: "Iv1.abc" })), "'Issuer' claim ('iss') must be an Integer");
    assert.equal(
      await message(jwt({ iat: Math.floor(clock / 1000) + 120, exp: Math.floor(clock / 1000) + 300 })),
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    );
    const expired = jwt();
    clock += 601_000;
    assert.equal(
      await message(expired),
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      "expired",
    );
    const iat = Math.floor(clock / 1000) - 30;
    assert.equal(await message(jwt({ iat, exp: iat + 601 })), "'Expiration time' claim ('exp') is too far in the future");
    assert.equal((await bearer("GET", "/app", jwt({ iat, exp: iat + 600 }))).status, 200);
    assert.equal(double.stats.jwtRequests, 10);
  });

  test("a JWT only opens App endpoints; other tokens do not open them", async () => {
    const r = await bearer("POST", `/repos/${REPO}/issues`, jwt(), { title: "x" });
    assert.equal(r.status, 401);
    assert.equal(obj(r.json).message, "Bad credentials");
    assert.equal(double.issues(REPO).length, 0);
    const pat = await call("GET", "/app");
    assert.equal(pat.status, 401);
    assert.equal(obj(pat.json).message, "A JSON web token could not be decoded");
  });

  test("GET /repos/{owner}/{repo}/installation: found, 404 where the App is not installed or the repo is missing", async () => {
    const found = await bearer("GET", `/repos/${REPO}/installation`, jwt());
    assert.equal(found.status, 200, JSON.stringify(found.json));
    const installation = obj(found.json);
    assert.equal(installation.id, INSTALLATION);
    assert.equal(installation.app_id, APP_ID);
    assert.equal(installation.app_slug, "daemon-hotfix");
    assert.equal(obj(installation.account).login, "acme");
    assert.equal(installation.repository_selection, "selected");
    assert.deepEqual(installation.permissions, { issues: "write", metadata: "read" });
    assert.equal(installation.access_tokens_url, `${API}/app/installations/${INSTALLATION}/access_tokens`);
    assert.ok(schemaValidator("installation")(installation), JSON.stringify(schemaValidator("installation").errors));

    const notInstalled = await bearer("GET", "/repos/acme/gadgets/installation", jwt());
    assert.equal(notInstalled.status, 404);
    assert.equal(obj(notInstalled.json).message, "Not Found");
    assert.equal((await bearer("GET", "/repos/other/widgets/installation", jwt())).status, 404);

    double.installApp(88, { owner: "other" });
    const all = await bearer("GET", "/repos/other/anything/installation", jwt());
    assert.equal(obj(all.json).id, 88);
    assert.equal(obj(all.json).repository_selection, "all");
    double.markMissing("other/anything");
    assert.equal((await bearer("GET", "/repos/other/anything/installation", jwt())).status, 404);
    double.uninstallApp(88);
    assert.equal((await bearer("GET", "/repos/other/else/installation", jwt())).status, 404);
  });

  test("minting an installation token, then acting as the bot with it", async () => {
    const r = await bearer("POST", `/app/installations/${INSTALLATION}/access_tokens`, jwt());
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const minted = obj(r.json);
    assert.match(String(minted.token), /^ghs_[A-Za-z0-9]{36}$/);
    assert.equal(minted.expires_at, new Date(clock + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"));
    assert.deepEqual(minted.permissions, { issues: "write", metadata: "read" });
    assert.equal(minted.repository_selection, "selected");
    assert.ok(schemaValidator("installation-token")(minted));
    assert.equal(double.stats.appTokensIssued, 1);
    assert.equal(obj((await control("GET", "/_double/stats")).json).appTokensIssued, 1);
    assert.equal((await bearer("POST", "/app/installations/999/access_tokens", jwt())).status, 404, "unknown installation");
    assert.equal(double.stats.appTokensIssued, 1);

    const token = String(minted.token);
    for (const created of [await createIssue("from the bot", {}, token), await bearer("POST", `/repos/${REPO}/issues`, token, { title: "via Bearer" })]) {
      assert.equal(created.status, 201, JSON.stringify(created.json));
      assert.equal(obj(obj(created.json).user).login, "daemon-hotfix[bot]");
      assert.equal(obj(obj(created.json).user).type, "Bot");
    }
    const entry = double.calls.at(-1);
    assert.equal(entry?.auth, "installation");
    assert.equal(entry?.installationId, INSTALLATION);
    assert.equal((await call("GET", "/user", undefined, token)).status, 403, "GET /user: Resource not accessible by integration");
    assert.equal((await bearer("GET", "/app", token)).status, 401, "an installation token is not a JWT");
  });

  test("a token used after it expired (1 h) or after expire-tokens is 401 Bad credentials", async () => {
    const token = await mint();
    clock += 3_599_000;
    assert.equal((await createIssue("still valid", {}, token)).status, 201);
    clock += 1_001;
    const late = await createIssue("too late", {}, token);
    assert.equal(late.status, 401);
    assert.deepEqual(obj(late.json).message, "Bad credentials");
    assert.equal(obj(late.json).documentation_url, "https://docs.github.com/rest");
    assert.equal(double.issues(REPO).length, 1);

    const fresh = await mint();
    assert.equal((await call("GET", `/repos/${REPO}/issues`, undefined, fresh)).status, 200);
    assert.equal(obj((await control("POST", "/_double/app/expire-tokens")).json).ok, true);
    const expired = await call("GET", `/repos/${REPO}/issues`, undefined, fresh);
    assert.equal(expired.status, 401);
    assert.equal(obj(expired.json).message, "Bad credentials");
    const again = await mint();
    assert.equal((await call("GET", `/repos/${REPO}/issues`, undefined, again)).status, 200, "a new token works");
    double.expireInstallationTokens();
    assert.equal((await call("GET", `/repos/${REPO}/issues`, undefined, again)).status, 401);
    assert.equal(double.stats.appTokensIssued, 3);
  });

  test("a token on a repo its installation does not cover is 404; revoked or uninstalled is 401", async () => {
    const token = await mint();
    for (const path of ["/repos/acme/gadgets/issues", "/repos/other/widgets/issues", "/repos/acme/gadgets"]) {
      const r = await call("GET", path, undefined, token);
      assert.equal(r.status, 404, path);
      assert.equal(obj(r.json).message, "Not Found");
    }
    assert.equal((await call("POST", "/repos/acme/gadgets/issues", { title: "x" }, token)).status, 404);
    assert.equal(double.issues("acme/gadgets").length, 0);
    assert.equal((await call("GET", `/repos/${REPO}`, undefined, token)).status, 200);
    assert.equal((await call("GET", "/repos/acme/gadgets/issues", undefined, "ghs_not_issued_by_the_double")).status, 200, "unknown ghs_ tokens keep working");

    const narrowed = await mint(INSTALLATION, { permissions: { issues: "read" } });
    assert.equal((await call("GET", `/repos/${REPO}/issues`, undefined, narrowed)).status, 200);
    const denied = await createIssue("x", {}, narrowed);
    assert.equal(denied.status, 403);
    assert.equal(obj(denied.json).message, "Resource not accessible by integration");
    assert.equal((await bearer("POST", `/app/installations/${INSTALLATION}/access_tokens`, jwt(), { repositories: ["gadgets"] })).status, 422);

    assert.equal((await bearer("DELETE", "/installation/token", token)).status, 204);
    assert.equal((await call("GET", `/repos/${REPO}/issues`, undefined, token)).status, 401, "revoked");
    double.uninstallApp(INSTALLATION);
    assert.equal((await call("GET", `/repos/${REPO}/issues`, undefined, narrowed)).status, 401, "installation removed");
    assert.equal((await bearer("POST", `/app/installations/${INSTALLATION}/access_tokens`, jwt())).status, 404);
  });

  test("limits are per installation for issued tokens", async () => {
    double = new GitHubDouble({ now: () => clock, secondaryLimitPerMinute: 2 });
    double.configureApp({ appId: APP_ID, publicKeyPem: keys.publicKey, slug: "my-app" });
    double.installApp(INSTALLATION, { owner: "acme" });
    const a = await mint();
    const b = await mint();
    const first = await call("GET", `/repos/${REPO}/issues`, undefined, a);
    const second = await call("GET", `/repos/${REPO}/issues`, undefined, b);
    assert.equal(first.headers.get("x-ratelimit-remaining"), "4999");
    assert.equal(second.headers.get("x-ratelimit-remaining"), "4998", "two tokens of one installation share its limit");
    const byBot = await createIssue("1", {}, a);
    assert.equal(obj(obj(byBot.json).user).login, "my-app[bot]");
    assert.equal((await createIssue("2", {}, b)).status, 201);
    assert.equal((await createIssue("3", {}, a)).status, 403, "the secondary limit counts the installation, not the token");
    assert.equal(double.stats.secondaryLimitHits, 1);
  });

  test("the App over the control API", async () => {
    double = new GitHubDouble({ now: () => clock });
    assert.equal((await control("POST", "/_double/app", { appId: APP_ID, publicKeyPem: "not a key" })).status, 400);
    assert.equal((await control("POST", "/_double/app", { appId: APP_ID, publicKeyPem: keys.publicKey, slug: "ctl-app" })).status, 200);
    assert.equal((await control("POST", "/_double/app/installations", { installationId: 5, owner: "acme", repos: ["widgets"] })).status, 201);
    const info = obj((await control("GET", "/_double/app")).json);
    assert.equal(obj(info.app).botLogin, "ctl-app[bot]");
    assert.equal(arr(info.installations).length, 1);
    const token = await mint(5);
    assert.equal(obj(obj((await createIssue("ctl", {}, token)).json).user).login, "ctl-app[bot]");
    double.reset();
    assert.equal((await call("GET", `/repos/${REPO}/issues`, undefined, token)).status, 200, "reset keeps the App, installations and tokens");
    assert.equal((await control("DELETE", "/_double/app/installations/5")).status, 200);
    assert.equal((await call("GET", `/repos/${REPO}/issues`, undefined, token)).status, 401);
    assert.equal((await control("DELETE", "/_double/app/installations/5")).status, 404);
  });

  test("@octokit/core with a JWT, then with the installation token", async () => {
    const { Octokit } = await import("@octokit/core");
    const fetch = (url: string | URL | Request, init?: RequestInit) => double.handle(new Request(url, init));
    const asApp = new Octokit({ auth: jwt(), request: { fetch } });
    const { data: installation } = await asApp.request("GET /repos/{owner}/{repo}/installation", { owner: "acme", repo: "widgets" });
    const { data: minted } = await asApp.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: installation.id });
    const asInstallation = new Octokit({ auth: minted.token, request: { fetch } });
    const created = await asInstallation.request("POST /repos/{owner}/{repo}/issues", { owner: "acme", repo: "widgets", title: "via the App" });
    assert.equal(created.data.user?.login, "daemon-hotfix[bot]");
    await assert.rejects(
      asInstallation.request("GET /repos/{owner}/{repo}/issues", { owner: "acme", repo: "gadgets" }),
      (e: unknown) => typeof e === "object" && e !== null && "status" in e && e.status === 404,
    );
  });

  test("PR mode with an installation token needs contents and pull_requests permissions", async () => {
    const narrow = await mint();
    const blob = await call("POST", `/repos/${REPO}/git/blobs`, { content: "x" }, narrow);
    assert.equal(blob.status, 403);
    assert.equal(obj(blob.json).message, "Resource not accessible by integration");
    assert.equal((await call("GET", `/repos/${REPO}/pulls`, undefined, narrow)).status, 403);
    double.installApp(INSTALLATION, { owner: "acme", repos: ["widgets"], permissions: { issues: "write", metadata: "read", contents: "write", pull_requests: "write" } });
    const wide = await mint();
    assert.equal((await call("POST", `/repos/${REPO}/git/blobs`, { content: "x" }, wide)).status, 201);
    assert.equal((await call("GET", `/repos/${REPO}/pulls`, undefined, wide)).status, 200);
    const gql = await call("POST", "/graphql", { query: "mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { isDraft } } }", variables: { id: "PR_nope" } }, narrow);
    assert.equal(gql.status, 200);
    assert.deepEqual(obj(gql.json).errors, [{ type: "NOT_FOUND", message: "Could not resolve to a node with the global id of 'PR_nope'." }]);
  });
});

describe("PR mode: Git Data, contents, pull requests, GraphQL auto-merge", () => {
  const OWNER = "acme";
  const BRANCH = "hotfix/abc123";
  const FIXTURE = "tests/fixtures/replay-abc123.json";
  const FIXTURE_TEXT = '{\n  "event": "redacted",\n  "expected": "no crash"\n}\n';

  const gitSha = (kind: string, body: Buffer) => createHash("sha1").update(Buffer.concat([Buffer.from(`${kind} ${body.length}\0`), body])).digest("hex");

  async function mainHead(): Promise<{ sha: string; tree: string }> {
    const ref = await call("GET", `/repos/${REPO}/git/ref/heads/main`);
    assert.equal(ref.status, 200, JSON.stringify(ref.json));
    const sha = String(obj(obj(ref.json).object).sha);
    const commit = await call("GET", `/repos/${REPO}/git/commits/${sha}`);
    assert.equal(commit.status, 200);
    return { sha, tree: String(obj(obj(commit.json).tree).sha) };
  }

  /** blob → tree over main's → commit → refs/heads/<branch>; returns the commit sha. */
  async function commitFixture(branch = BRANCH, path = FIXTURE, text = FIXTURE_TEXT): Promise<string> {
    const head = await mainHead();
    const blob = await call("POST", `/repos/${REPO}/git/blobs`, { content: text, encoding: "utf-8" });
    assert.equal(blob.status, 201, JSON.stringify(blob.json));
    const tree = await call("POST", `/repos/${REPO}/git/trees`, { base_tree: head.tree, tree: [{ path, mode: "100644", type: "blob", sha: obj(blob.json).sha }] });
    assert.equal(tree.status, 201, JSON.stringify(tree.json));
    const commit = await call("POST", `/repos/${REPO}/git/commits`, { message: "test: replay fixture", tree: obj(tree.json).sha, parents: [head.sha] });
    assert.equal(commit.status, 201, JSON.stringify(commit.json));
    const sha = String(obj(commit.json).sha);
    const ref = await call("POST", `/repos/${REPO}/git/refs`, { ref: `refs/heads/${branch}`, sha });
    assert.equal(ref.status, 201, JSON.stringify(ref.json));
    return sha;
  }

  const openPull = (extra: Record<string, unknown> = {}) => call("POST", `/repos/${REPO}/pulls`, { title: "[daemon-hotfix fix] crash", head: BRANCH, base: "main", body: "Refs #1", draft: true, ...extra });

  const gql = (query: string, variables: Record<string, unknown>) => call("POST", "/graphql", { query, variables });
  const AUTO_MERGE = "mutation($pullRequestId: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: SQUASH}) { pullRequest { autoMergeRequest { enabledAt } } } }";
  const READY = "mutation($pullRequestId: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $pullRequestId}) { pullRequest { isDraft } } }";

  test("a new repo: main at an initial commit with README.md; git-compatible shas", async () => {
    const repo = obj((await call("GET", `/repos/${REPO}`)).json);
    assert.equal(repo.default_branch, "main");
    assert.equal(repo.allow_auto_merge, false);
    const head = await mainHead();
    const commit = obj((await call("GET", `/repos/${REPO}/git/commits/${head.sha}`)).json);
    assert.deepEqual(commit.parents, []);
    assert.equal(commit.message, "Initial commit");
    const tree = obj((await call("GET", `/repos/${REPO}/git/trees/${head.tree}`)).json);
    const readme = obj(arr(tree.tree)[0]);
    assert.equal(readme.path, "README.md");
    assert.equal(readme.sha, gitSha("blob", Buffer.from("# widgets\n")), "blob sha as `git hash-object` computes it");
    assert.equal(double.fileAt(REPO, "main", "README.md"), "# widgets\n");
    const empty = await call("POST", `/repos/${REPO}/git/trees`, { tree: [] });
    assert.equal(obj(empty.json).sha, "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "git's empty tree");
    const b64 = await call("POST", `/repos/${REPO}/git/blobs`, { content: Buffer.from("hi\n").toString("base64"), encoding: "base64" });
    assert.equal(obj(b64.json).sha, gitSha("blob", Buffer.from("hi\n")));
    assert.equal((await call("GET", `/repos/${REPO}/git/ref/heads/nope`)).status, 404);
    assert.equal((await call("GET", `/repos/${REPO}/git/commits/${"0".repeat(40)}`)).status, 404);
    assert.equal((await call("GET", `/repos/${REPO}/contents/nope.txt`)).status, 404);
  });

  test("blob → tree (base_tree) → commit → ref → draft PR; the file is on the branch, not on main", async () => {
    assert.equal(obj((await createIssue("the crash")).json).number, 1);
    const sha = await commitFixture();
    const head = await mainHead();
    assert.notEqual(sha, head.sha, "main did not move");

    const recursive = obj((await call("GET", `/repos/${REPO}/git/trees/${encodeURIComponent(BRANCH)}?recursive=1`)).json);
    assert.deepEqual(
      arr(recursive.tree).map((e) => `${String(obj(e).type)} ${String(obj(e).path)}`),
      ["blob README.md", "tree tests", "tree tests/fixtures", `blob ${FIXTURE}`],
      "base_tree kept README.md; nested trees were written",
    );
    const top = obj((await call("GET", `/repos/${REPO}/git/trees/${String(recursive.sha)}`)).json);
    assert.equal(arr(top.tree).length, 2, "without recursive only the top level");

    const created = await openPull();
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const pull = obj(created.json);
    assert.equal(pull.number, 2, "issues and pull requests share a repo's number sequence");
    assert.equal(pull.state, "open");
    assert.equal(pull.draft, true);
    assert.equal(pull.html_url, "https://github.com/acme/widgets/pull/2");
    assert.equal(pull.auto_merge, null);
    assert.equal(pull.mergeable_state, "draft");
    assert.equal(pull.commits, 1);
    assert.equal(pull.changed_files, 1);
    assert.equal(pull.additions, 4);
    assert.match(String(pull.node_id), /^PR_/);
    assert.deepEqual(
      { ref: obj(pull.head).ref, sha: obj(pull.head).sha, label: obj(pull.head).label },
      { ref: BRANCH, sha, label: `${OWNER}:${BRANCH}` },
    );
    assert.equal(obj(pull.base).ref, "main");
    assert.equal(obj(pull.base).sha, head.sha);
    assert.equal(created.headers.get("location"), `${API}/repos/${REPO}/pulls/2`);

    const onBranch = await call("GET", `/repos/${REPO}/contents/${FIXTURE}?ref=${encodeURIComponent(BRANCH)}`);
    assert.equal(onBranch.status, 200);
    assert.equal(obj(onBranch.json).encoding, "base64");
    assert.equal(Buffer.from(String(obj(onBranch.json).content), "base64").toString("utf8"), FIXTURE_TEXT);
    assert.equal((await call("GET", `/repos/${REPO}/contents/${FIXTURE}`)).status, 404, "not on main (the default ref)");
    assert.equal((await call("GET", `/repos/${REPO}/contents/${FIXTURE}?ref=main`)).status, 404);
    assert.equal(obj((await call("GET", `/repos/${REPO}/contents/x?ref=no-such-branch`)).json).message, "No commit found for the ref no-such-branch");
    const dir = arr((await call("GET", `/repos/${REPO}/contents/tests/fixtures?ref=${encodeURIComponent(BRANCH)}`)).json);
    assert.equal(obj(dir[0]).type, "file");
    assert.equal(double.fileAt(REPO, BRANCH, FIXTURE), FIXTURE_TEXT);
    assert.equal(double.fileAt(REPO, "main", FIXTURE), null);
    assert.equal(double.fileAt(REPO, sha, FIXTURE), FIXTURE_TEXT, "a commit sha is a ref too");

    // The PR is an issue too (as on GitHub): issues endpoints see it with `pull_request`; the issues() hook does not.
    const asIssue = obj((await call("GET", `/repos/${REPO}/issues/2`)).json);
    assert.equal(obj(asIssue.pull_request).html_url, "https://github.com/acme/widgets/pull/2");
    assert.equal(arr((await call("GET", `/repos/${REPO}/issues`)).json).length, 2);
    assert.deepEqual(
      double.issues(REPO).map((i) => i.number),
      [1],
    );
    assert.equal((await call("GET", `/repos/${REPO}/pulls/1`)).status, 404, "an issue is not a pull request");

    const labelled = await call("POST", `/repos/${REPO}/issues/2/labels`, { labels: ["daemon-hotfix", "fixture"] });
    assert.equal(labelled.status, 200, JSON.stringify(labelled.json));
    assert.deepEqual(
      arr(labelled.json).map((l) => obj(l).name),
      ["daemon-hotfix", "fixture"],
    );
    assert.deepEqual(
      arr((await call("POST", `/repos/${REPO}/issues/2/labels`, { labels: ["fixture", "risk:low"] })).json).map((l) => obj(l).name),
      ["daemon-hotfix", "fixture", "risk:low"],
      "added to the existing ones, no duplicates",
    );
    assert.equal((await call("POST", `/repos/${REPO}/issues/2/labels`, ["bare-array"])).status, 422, "the spec wants {labels: [...]}");

    const edited = await call("PATCH", `/repos/${REPO}/pulls/2`, { title: "renamed", body: "new body" });
    assert.equal(obj(edited.json).title, "renamed");
    const [hooked] = double.pulls(REPO);
    assert.equal(hooked?.title, "renamed");
    assert.equal(hooked?.draft, true);
    assert.equal(hooked?.auto_merge, null);
    assert.equal(obj(hooked?.head).ref, BRANCH);
    assert.deepEqual(
      arr(hooked?.labels).map((l) => obj(l).name),
      ["daemon-hotfix", "fixture", "risk:low"],
    );
    assert.deepEqual(double.refs(REPO).find((r) => r.ref === `refs/heads/${BRANCH}`), { ref: `refs/heads/${BRANCH}`, sha });
    assert.equal(double.refs(REPO)[0]?.ref, `refs/heads/${BRANCH}`, "sorted by name");
    assert.deepEqual(
      double.writes(REPO).map((c) => c.operationId),
      ["issues/create", "git/create-blob", "git/create-tree", "git/create-commit", "git/create-ref", "pulls/create", "issues/add-labels", "issues/add-labels", "pulls/update"],
    );
  });

  test("creating a ref that exists is 422 Reference already exists (exactly); other ref errors", async () => {
    const sha = await commitFixture();
    const again = await call("POST", `/repos/${REPO}/git/refs`, { ref: `refs/heads/${BRANCH}`, sha });
    assert.equal(again.status, 422);
    assert.deepEqual(again.json, { message: "Reference already exists", documentation_url: "https://docs.github.com/rest/git/refs#create-a-reference", status: "422" });
    const message = async (body: unknown) => obj((await call("POST", `/repos/${REPO}/git/refs`, body)).json).message;
    assert.equal(await message({ ref: "heads/x", sha }), "Reference name must contain at least three slash-separated components.");
    assert.equal(await message({ ref: "refs/heads/bad..name", sha }), "refs/heads/bad..name is not a valid ref name.");
    assert.equal(await message({ ref: "refs/heads/y", sha: "f".repeat(40) }), "Object does not exist");
    assert.equal(await message({ ref: `refs/heads/${BRANCH}/deeper`, sha }), "Reference update failed");
    assert.equal(double.writes(REPO).filter((c) => c.operationId === "git/create-ref").length, 1);
  });

  test("updating a ref: fast-forward, not a fast forward (422), force; a PR follows its branch", async () => {
    const first = await commitFixture();
    assert.equal((await openPull()).status, 201);
    const tree = String(obj(obj((await call("GET", `/repos/${REPO}/git/commits/${first}`)).json).tree).sha);
    const second = String(obj((await call("POST", `/repos/${REPO}/git/commits`, { message: "second", tree, parents: [first] })).json).sha);
    const ff = await call("PATCH", `/repos/${REPO}/git/refs/heads/${BRANCH}`, { sha: second });
    assert.equal(ff.status, 200, JSON.stringify(ff.json));
    assert.equal(obj(obj(ff.json).object).sha, second);
    assert.equal(obj(obj((await call("GET", `/repos/${REPO}/pulls/1`)).json).head).sha, second, "the PR's head moved with the branch");
    assert.equal(obj((await call("GET", `/repos/${REPO}/pulls/1`)).json).commits, 2);
    const back = await call("PATCH", `/repos/${REPO}/git/refs/heads/${BRANCH}`, { sha: first });
    assert.equal(back.status, 422);
    assert.equal(obj(back.json).message, "Update is not a fast forward");
    assert.equal((await call("PATCH", `/repos/${REPO}/git/refs/heads/${BRANCH}`, { sha: first, force: true })).status, 200);
    assert.equal(obj((await call("PATCH", `/repos/${REPO}/git/refs/heads/nope`, { sha: first })).json).message, "Reference does not exist");
    assert.equal(obj((await call("POST", `/repos/${REPO}/git/commits`, { message: "m", tree: "a".repeat(40), parents: [] })).json).message, "Tree SHA does not exist");
    assert.equal(obj((await call("POST", `/repos/${REPO}/git/commits`, { message: "m", tree, parents: ["a".repeat(40)] })).json).message, "Parent SHA does not exist or is not a commit object");
  });

  test("a second PR for the same head is 422; so are a missing head and a head with nothing to merge", async () => {
    await commitFixture();
    assert.equal((await openPull()).status, 201);
    const second = await openPull({ title: "again" });
    assert.equal(second.status, 422);
    assert.deepEqual(obj(second.json).message, "Validation Failed");
    assert.deepEqual(obj(second.json).errors, [{ resource: "PullRequest", code: "custom", message: "A pull request already exists for acme:hotfix/abc123." }]);
    const missing = await openPull({ head: "hotfix/none" });
    assert.equal(missing.status, 422);
    assert.deepEqual(obj(missing.json).errors, [{ resource: "PullRequest", field: "head", code: "invalid" }]);
    const head = await mainHead();
    await call("POST", `/repos/${REPO}/git/refs`, { ref: "refs/heads/same-as-main", sha: head.sha });
    const empty = await openPull({ head: "same-as-main" });
    assert.equal(empty.status, 422);
    assert.deepEqual(obj(empty.json).errors, [{ resource: "PullRequest", code: "custom", message: "No commits between main and same-as-main" }]);
    assert.equal(double.pulls(REPO).length, 1);

    // Closed, a new PR for the head may be opened; the old one cannot then be reopened.
    assert.equal(obj((await call("PATCH", `/repos/${REPO}/pulls/1`, { state: "closed" })).json).state, "closed");
    assert.equal((await openPull({ title: "retry" })).status, 201);
    const reopen = await call("PATCH", `/repos/${REPO}/pulls/1`, { state: "open" });
    assert.equal(reopen.status, 422);
  });

  test("GET pulls?head=owner:branch filters exactly; a bare branch name is ignored, as on GitHub", async () => {
    await commitFixture();
    await commitFixture("hotfix/other", "tests/fixtures/other.json", "{}\n");
    assert.equal((await openPull()).status, 201);
    assert.equal((await openPull({ head: "hotfix/other" })).status, 201);
    const list = async (query: string) => arr((await call("GET", `/repos/${REPO}/pulls?${query}`)).json).map((p) => obj(p).number);
    assert.deepEqual(await list(`head=${encodeURIComponent(`${OWNER}:${BRANCH}`)}`), [1]);
    assert.deepEqual(await list(`head=${encodeURIComponent(`ACME:${BRANCH}`)}`), [1], "owner is case-insensitive");
    assert.deepEqual(await list(`head=${encodeURIComponent(`someone:${BRANCH}`)}`), []);
    assert.deepEqual(await list(`head=${encodeURIComponent(BRANCH)}`), [2, 1], "without owner: filter ignored");
    await call("PATCH", `/repos/${REPO}/pulls/1`, { state: "closed" });
    assert.deepEqual(await list(`head=${encodeURIComponent(`${OWNER}:${BRANCH}`)}`), []);
    assert.deepEqual(await list(`head=${encodeURIComponent(`${OWNER}:${BRANCH}`)}&state=closed`), [1]);
    assert.deepEqual(await list(`head=${encodeURIComponent(`${OWNER}:${BRANCH}`)}&state=all`), [1]);
    assert.deepEqual(await list("state=all&base=main"), [2, 1]);
    const listed = obj(arr((await call("GET", `/repos/${REPO}/pulls?state=all&per_page=1`)).json)[0]);
    assert.ok(!("mergeable" in listed), "the list renders pull-request-simple");
  });

  test("GraphQL: auto-merge refused on a draft and where the repo does not allow it; enabled once ready", async () => {
    await commitFixture();
    const pull = obj((await openPull()).json);
    const id = String(pull.node_id);

    const notAllowed = await gql(AUTO_MERGE, { pullRequestId: id });
    assert.equal(notAllowed.status, 200);
    assert.deepEqual(notAllowed.json, { data: { enablePullRequestAutoMerge: null }, errors: [{ type: "UNPROCESSABLE", message: "Pull request Auto merge is not allowed for this repository" }] });

    double.setAllowAutoMerge(REPO, true);
    assert.equal(obj((await call("GET", `/repos/${REPO}`)).json).allow_auto_merge, true);
    const draft = await gql(AUTO_MERGE, { pullRequestId: id });
    assert.deepEqual(draft.json, { data: { enablePullRequestAutoMerge: null }, errors: [{ type: "UNPROCESSABLE", message: "Pull request is in draft state" }] });
    assert.equal(obj((await call("GET", `/repos/${REPO}/pulls/1`)).json).auto_merge, null);

    const ready = await gql(READY, { pullRequestId: id });
    assert.deepEqual(ready.json, { data: { markPullRequestReadyForReview: { pullRequest: { isDraft: false } } } });
    assert.equal(obj((await call("GET", `/repos/${REPO}/pulls/1`)).json).draft, false);

    clock += 5_000;
    const enabled = await gql(AUTO_MERGE, { pullRequestId: id });
    assert.deepEqual(enabled.json, { data: { enablePullRequestAutoMerge: { pullRequest: { autoMergeRequest: { enabledAt: "2025-06-01T12:00:05Z", mergeMethod: "SQUASH" } } } } });
    const after = obj((await call("GET", `/repos/${REPO}/pulls/1`)).json);
    assert.deepEqual(after.auto_merge, {
      enabled_by: obj(after.user),
      merge_method: "squash",
      commit_title: "[daemon-hotfix fix] crash (#1)",
      commit_message: "Refs #1",
    });
    assert.equal(after.mergeable_state, "blocked");
    assert.notEqual(double.pulls(REPO)[0]?.auto_merge, null);

    const ops = double.calls.filter((c) => c.path === "/graphql").map((c) => `${String(c.operationId)} ${String(c.committed)} ${String(c.repo)}`);
    assert.deepEqual(ops, [
      "graphql/enablePullRequestAutoMerge false acme/widgets",
      "graphql/enablePullRequestAutoMerge false acme/widgets",
      "graphql/markPullRequestReadyForReview true acme/widgets",
      "graphql/enablePullRequestAutoMerge true acme/widgets",
    ]);
    assert.equal(double.calls.at(-2)?.status, 200);
    assert.equal(double.writes(REPO).filter((c) => c.path === "/graphql").length, 2, "only mutations that took effect are writes");

    // Closing a PR turns auto-merge off (as on GitHub).
    await call("PATCH", `/repos/${REPO}/pulls/1`, { state: "closed" });
    assert.equal(obj((await call("GET", `/repos/${REPO}/pulls/1`)).json).auto_merge, null);
  });

  test("GraphQL: anything else is refused with the double's message; shape errors; unknown ids; rate-limit headers", async () => {
    const other = await gql("query { viewer { login } }", {});
    assert.equal(other.status, 200);
    assert.deepEqual(other.json, { errors: [{ message: "the double supports only enablePullRequestAutoMerge and markPullRequestReadyForReview" }] });
    assert.equal(double.calls.at(-1)?.operationId, "graphql");
    assert.equal(other.headers.get("x-ratelimit-resource"), "graphql");
    const unsupported = await gql("mutation { mergePullRequest(input: {pullRequestId: \"x\"}) { clientMutationId } }", {});
    assert.deepEqual(unsupported.json, other.json);
    assert.deepEqual(obj((await call("POST", "/graphql", { variables: {} })).json).errors, [{ message: "A query attribute must be specified and must be a string." }]);
    assert.equal((await call("POST", "/graphql", "{not json")).status, 400);
    assert.equal((await call("POST", "/graphql", { query: READY, variables: {} })).status, 200);
    assert.deepEqual(obj((await gql(READY, {})).json).errors, [{ message: "Variable $pullRequestId of type ID! was provided invalid value" }]);
    assert.deepEqual(obj((await gql("mutation { markPullRequestReadyForReview(input: {pullRequestId: $x}) { clientMutationId } }", { x: "y" })).json).errors, [
      { message: "Variable $x is used by anonymous mutation but not declared" },
    ]);
    const unknown = await gql(READY, { pullRequestId: "PR_kwDOunknown" });
    assert.deepEqual(unknown.json, { data: { markPullRequestReadyForReview: null }, errors: [{ type: "NOT_FOUND", message: "Could not resolve to a node with the global id of 'PR_kwDOunknown'." }] });
    assert.equal((await call("POST", "/graphql", { query: READY }, null)).status, 401);
    assert.equal(double.writes().length, 0);
  });

  test("with the project's Octokit: the writer's calls in order (REST + POST /graphql)", async () => {
    const { Octokit } = await import("@octokit/core");
    const octokit = new Octokit({ auth: "ghp_devtoken", request: { fetch: (url: string | URL | Request, init?: RequestInit) => double.handle(new Request(url, init)) } });
    const owner = OWNER;
    const repo = "widgets";
    double.setAllowAutoMerge(REPO, true);
    const { data: meta } = await octokit.request("GET /repos/{owner}/{repo}", { owner, repo });
    const { data: ref } = await octokit.request("GET /repos/{owner}/{repo}/git/ref/{ref}", { owner, repo, ref: `heads/${meta.default_branch}` });
    const { data: parent } = await octokit.request("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", { owner, repo, commit_sha: ref.object.sha });
    const { data: blob } = await octokit.request("POST /repos/{owner}/{repo}/git/blobs", { owner, repo, content: FIXTURE_TEXT, encoding: "utf-8" });
    const { data: tree } = await octokit.request("POST /repos/{owner}/{repo}/git/trees", { owner, repo, base_tree: parent.tree.sha, tree: [{ path: FIXTURE, mode: "100644", type: "blob", sha: blob.sha }] });
    const { data: commit } = await octokit.request("POST /repos/{owner}/{repo}/git/commits", { owner, repo, message: "fixture", tree: tree.sha, parents: [parent.sha] });
    await octokit.request("POST /repos/{owner}/{repo}/git/refs", { owner, repo, ref: `refs/heads/${BRANCH}`, sha: commit.sha });
    await assert.rejects(
      octokit.request("POST /repos/{owner}/{repo}/git/refs", { owner, repo, ref: `refs/heads/${BRANCH}`, sha: commit.sha }),
      (e: unknown) => e instanceof Error && /Reference already exists/.test(e.message),
    );
    await octokit.request("PATCH /repos/{owner}/{repo}/git/refs/{ref}", { owner, repo, ref: `heads/${BRANCH}`, sha: commit.sha, force: true });
    const { data: pull } = await octokit.request("POST /repos/{owner}/{repo}/pulls", { owner, repo, title: "t", body: "b", head: BRANCH, base: meta.default_branch, draft: true });
    const { data: found } = await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner, repo, head: `${owner}:${BRANCH}`, state: "all", per_page: 10 });
    assert.equal(found[0]?.number, pull.number);
    await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", { owner, repo, issue_number: pull.number, labels: ["daemon-hotfix"] });
    for (const query of [READY, AUTO_MERGE]) {
      const { data } = await octokit.request("POST /graphql", { query, variables: { pullRequestId: pull.node_id } });
      assert.ok(!("errors" in (data as object)), JSON.stringify(data));
    }
    const [hooked] = double.pulls(REPO);
    assert.equal(hooked?.draft, false);
    assert.equal(obj(hooked?.auto_merge).merge_method, "squash");
  });

  test("control API: pulls, refs, file, auto-merge setting; overview lists PRs", async () => {
    assert.equal((await control("POST", "/_double/repos/auto-merge", { repo: REPO, allow: true })).status, 200);
    assert.equal(obj((await call("GET", `/repos/${REPO}`)).json).allow_auto_merge, true);
    const sha = await commitFixture();
    await openPull();
    const pulls = arr((await control("GET", `/_double/pulls?repo=${REPO}`)).json);
    assert.equal(obj(pulls[0]).draft, true);
    assert.deepEqual(arr((await control("GET", `/_double/refs?repo=${REPO}`)).json), [
      { ref: `refs/heads/${BRANCH}`, sha },
      { ref: "refs/heads/main", sha: (await mainHead()).sha },
    ]);
    const file = await control("GET", `/_double/file?repo=${REPO}&ref=${encodeURIComponent(BRANCH)}&path=${encodeURIComponent(FIXTURE)}`);
    assert.equal(file.status, 200);
    assert.equal(file.text, FIXTURE_TEXT, "the file's text as is");
    assert.equal((await control("GET", `/_double/file?repo=${REPO}&ref=main&path=${encodeURIComponent(FIXTURE)}`)).status, 404);
    assert.equal((await control("POST", "/_double/repos/auto-merge", { repo: REPO })).status, 400);
    const html = await control("GET", "/");
    assert.match(html.text, /Pull requests/);
    assert.match(html.text, /hotfix\/abc123/);
  });

  test("content creation counts towards the secondary limit (git writes and pulls too)", async () => {
    double.configure({ secondaryLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) assert.equal((await call("POST", `/repos/${REPO}/git/blobs`, { content: `n${i}` })).status, 201);
    const limited = await call("POST", `/repos/${REPO}/git/blobs`, { content: "n3" });
    assert.equal(limited.status, 403);
    assert.match(String(obj(limited.json).message), /secondary rate limit/);
    assert.ok(limited.headers.get("retry-after"));
  });

  test("search sees PRs as pull requests (is:pr / is:issue)", async () => {
    double.configure({ searchLagMs: 0 });
    await createIssue("an issue");
    await commitFixture();
    await openPull();
    const count = async (q: string) => obj((await call("GET", `/search/issues?q=${encodeURIComponent(q)}`)).json).total_count;
    assert.equal(await count(`repo:${REPO} is:pr`), 1);
    assert.equal(await count(`repo:${REPO} is:issue`), 1);
    assert.equal(await count(`repo:${REPO}`), 2);
  });
});
