import { env, exports } from "cloudflare:workers";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { eventually, github } from "../helpers/github";
import { pluginRepo, sendFailure } from "../helpers/send";

const BASE = "https://daemon-hotfix.example.test";
const auth = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
const get = (path: string, headers: Record<string, string> = auth) => exports.default.fetch(new Request(`${BASE}${path}`, { headers }));
const post = (path: string, body?: unknown) =>
  exports.default.fetch(new Request(`${BASE}${path}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }));
const occurrences = (body: string | null) => Number(/\| Occurrences \| \*\*(\d+)\*\* \|/.exec(body ?? "")?.[1] ?? NaN);

describe("ops auth", () => {
  it.each(["/metrics", "/admin/clusters", "/admin/dead-letters", "/admin/clusters/" + "a".repeat(40), "/dashboard"])("refuses %s without the admin token, or with a wrong one", async (path) => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: "Bearer wrong" }, { authorization: `Bearer ${env.ADMIN_TOKEN}x` }];
    for (const headers of attempts) {
      const res = await get(path, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "unauthorised" });
    }
  });

  it("answers /healthz to anyone", async () => {
    expect((await get("/healthz", {})).status).toBe(200);
  });

  it("lets a browser in to /dashboard with Basic credentials whose password is the token, and asks for them", async () => {
    const refused = await get("/dashboard", {});
    expect(refused.headers.get("www-authenticate")).toMatch(/^Basic realm="daemon-hotfix"/);
    const res = await get("/dashboard", { authorization: `Basic ${btoa(`ops:${env.ADMIN_TOKEN}`)}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect((await get("/metrics", { authorization: `Basic ${btoa(`ops:${env.ADMIN_TOKEN}`)}` })).status).toBe(401);
  });
});

interface ParsedFamily {
  name: string;
  type: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

describe("GET /metrics", () => {
  it("exposes the documented families in the Prometheus text format", async () => {
    const repo = pluginRepo("metrics");
    for (let i = 0; i < 3; i++) await sendFailure(repo, { settings: { updateIntervalSeconds: 1 } });
    await eventually(() => github.issues(repo), (issues) => issues.length === 1 && occurrences(issues[0]?.body ?? null) === 3);
    // The writes consumer counts its requests when its batch ends, just after GitHub has the issue.
    await eventually(
      () => env.DB.prepare(`SELECT SUM(value) AS n FROM counters WHERE name = 'issues_created'`).first<{ n: number | null }>(),
      (row) => (row?.n ?? 0) >= 1,
    );
    const res = await get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const families = parsePrometheusTextFormat(await res.text()) as ParsedFamily[];
    const byName = new Map(families.map((f) => [f.name, f]));
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      daemon_hotfix_events_received_total: "COUNTER",
      daemon_hotfix_events_processed_total: "COUNTER",
      daemon_hotfix_github_requests_total: "COUNTER",
      daemon_hotfix_retries_total: "COUNTER",
      daemon_hotfix_dead_letters_total: "COUNTER",
      daemon_hotfix_issues_created_total: "COUNTER",
      daemon_hotfix_issues_updated_total: "COUNTER",
      daemon_hotfix_issues_reopened_total: "COUNTER",
      daemon_hotfix_processing_lag_seconds: "HISTOGRAM",
      daemon_hotfix_processing_duration_seconds: "HISTOGRAM",
      daemon_hotfix_dead_letters_waiting: "GAUGE",
      daemon_hotfix_open_clusters: "GAUGE",
      daemon_hotfix_github_write_budget_remaining: "GAUGE",
    });
    const received = byName.get("daemon_hotfix_events_received_total")?.metrics ?? [];
    expect(received.map((m) => m.labels?.["outcome"]).sort()).toEqual(["disabled", "duplicate", "error", "ignored", "invalid", "queued", "rate_limited", "suppressed", "unauthorised"]);
    expect(Number(received.find((m) => m.labels?.["outcome"] === "queued")?.value)).toBeGreaterThanOrEqual(3);
    expect(Number(byName.get("daemon_hotfix_issues_created_total")?.metrics[0]?.value)).toBeGreaterThanOrEqual(1);
    const posts = byName.get("daemon_hotfix_github_requests_total")?.metrics.find((m) => m.labels?.["method"] === "POST" && m.labels?.["status"] === "201");
    expect(Number(posts?.value)).toBeGreaterThanOrEqual(1);
    const lag = byName.get("daemon_hotfix_processing_lag_seconds")?.metrics[0];
    expect(Number(lag?.count)).toBeGreaterThanOrEqual(3);
    expect(Number(lag?.buckets?.["+Inf"])).toBe(Number(lag?.count));
    const budget = byName.get("daemon_hotfix_github_write_budget_remaining")?.metrics ?? [];
    expect(budget.length).toBeGreaterThanOrEqual(2);
    for (const sample of budget) expect(sample.labels?.["budget"]).toMatch(/^(token|installation):[0-9a-f]+$/);
    const used = budget.filter((m) => m.labels?.["window"] === "hour").map((m) => Number(m.value));
    expect(Math.min(...used)).toBeLessThan(Number(env.GITHUB_WRITES_PER_HOUR)); // something of the hour's budget was used
  });
});

describe("GET /admin/clusters", () => {
  it("pages through clusters with a cursor and filters by repo and state", async () => {
    const repo = pluginRepo("paged");
    const hex40 = () => (crypto.randomUUID() + crypto.randomUUID()).replace(/-/g, "").slice(0, 40);
    for (let i = 0; i < 7; i++) {
      const fingerprint = hex40();
      await env.DB.prepare(
        `INSERT INTO clusters (fingerprint, repo, plugin, category, issue_number, state, state_reason, total, reflected, first_seen, last_seen, blocked_reason, updated_at)
         VALUES (?, ?, 'p', 'http', ?, ?, NULL, ?, ?, '2026-11-01T00:00:00Z', ?, NULL, '2026-11-01T00:00:00Z')`,
      )
        .bind(fingerprint, repo, i + 1, i % 2 ? "closed" : "open", i + 1, i + 1, `2026-11-0${(i % 3) + 1}T00:00:0${i}Z`)
        .run();
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/admin/clusters?repo=${encodeURIComponent(repo)}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const page = await res.json<{ clusters: Array<{ fingerprint: string; lastSeen: string; issueUrl: string }>; nextCursor: string | null }>();
      seen.push(...page.clusters.map((c) => c.fingerprint));
      expect(page.clusters.every((c) => c.issueUrl.startsWith(`https://github.com/${repo}/issues/`))).toBe(true);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    const open = await (await get(`/admin/clusters?repo=${encodeURIComponent(repo)}&state=open`)).json<{ clusters: unknown[] }>();
    expect(open.clusters).toHaveLength(4);
    expect((await get("/admin/clusters?cursor=garbage")).status).toBe(400);
    expect((await get("/admin/clusters?limit=0")).status).toBe(400);
  });

  it("shows one cluster with its live counts", async () => {
    const repo = pluginRepo("one");
    const answer = await sendFailure(repo, { settings: { updateIntervalSeconds: 1 } });
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    const res = await eventually(
      () => get(`/admin/clusters/${answer.output.fingerprint}`).then((r) => r.json<{ cluster: { total: number; state: string; issueUrl: string } }>()),
      (body) => body.cluster?.state === "open",
    );
    expect(res.cluster).toMatchObject({ total: 1, state: "open", issueUrl: `https://github.com/${repo}/issues/1` });
    expect((await get(`/admin/clusters/${"0".repeat(40)}`)).status).toBe(404);
  });
});

describe("dead letters: list, show, replay (idempotent), delete", () => {
  it("replays a dead letter once its cause is fixed, without double-counting", async () => {
    const repo = pluginRepo("replayed");
    await github.missing(repo);
    const answer = await sendFailure(repo, { settings: { updateIntervalSeconds: 1 } });
    const listed = await eventually(
      () => get(`/admin/dead-letters?repo=${encodeURIComponent(repo)}`).then((r) => r.json<{ deadLetters: Array<{ id: string; eventId: string; reason: string; replayedAt: string | null }> }>()),
      (body) => body.deadLetters.length === 1,
    );
    const letter = listed.deadLetters[0];
    expect(letter).toMatchObject({ eventId: answer.output.eventId, replayedAt: null, reason: expect.stringContaining("404") });
    const shown = await (await get(`/admin/dead-letters/${letter?.id}`)).json<{ deadLetter: { body: { failure: { eventId: string } } } }>();
    expect(shown.deadLetter.body.failure.eventId).toBe(answer.output.eventId);

    // The repo now exists: replay.
    await fetch("https://api.github.test/_double/missing", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ repo, missing: false }) });
    const first = await (await post(`/admin/dead-letters/${letter?.id}/replay`)).json<{ status: string }>();
    expect(first.status).toBe("replayed");
    const again = await (await post(`/admin/dead-letters/${letter?.id}/replay`)).json<{ status: string }>();
    expect(again.status).toBe("already_replayed");
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    expect(occurrences(issue?.body ?? null)).toBe(1);
    // Even a forced second replay does not count the event twice.
    expect((await (await post(`/admin/dead-letters/${letter?.id}/replay?force=true`)).json<{ status: string }>()).status).toBe("replayed");
    const cluster = await eventually(() => env.CLUSTER.getByName(answer.output.fingerprint ?? "").snapshot(), (s) => s?.state === "open");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await env.CLUSTER.getByName(answer.output.fingerprint ?? "").snapshot())?.total).toBe(1);
    expect(cluster?.total).toBe(1);
    const waiting = await (await get(`/admin/dead-letters?repo=${encodeURIComponent(repo)}`)).json<{ deadLetters: unknown[] }>();
    expect(waiting.deadLetters).toHaveLength(0);
    const all = await (await get(`/admin/dead-letters?repo=${encodeURIComponent(repo)}&replayed=all`)).json<{ deadLetters: unknown[] }>();
    expect(all.deadLetters).toHaveLength(1);
  });

  it("replays in bulk by filter, and deletes", async () => {
    const repo = pluginRepo("bulk");
    await github.missing(repo);
    for (let i = 0; i < 3; i++) await sendFailure(repo, { message: `HTTP 500: kind ${"abc"[i]}` });
    await eventually(
      () => get(`/admin/dead-letters?repo=${encodeURIComponent(repo)}`).then((r) => r.json<{ deadLetters: unknown[] }>()),
      (body) => body.deadLetters.length === 3,
    );
    const bulk = await (await post("/admin/dead-letters/replay", { repo })).json<{ replayed: number; skipped: number }>();
    expect(bulk).toMatchObject({ replayed: 3, skipped: 0 });
    expect(await (await post("/admin/dead-letters/replay", { repo })).json()).toMatchObject({ replayed: 0 });
    expect((await post("/admin/dead-letters/replay", { repos: [repo] })).status).toBe(400);
    const all = await (await get(`/admin/dead-letters?repo=${encodeURIComponent(repo)}&replayed=all`)).json<{ deadLetters: Array<{ id: string }> }>();
    const id = all.deadLetters[0]?.id ?? "";
    const del = () => exports.default.fetch(new Request(`${BASE}/admin/dead-letters/${id}`, { method: "DELETE", headers: auth }));
    expect(await (await del()).json()).toEqual({ id, deleted: true });
    expect((await del()).status).toBe(404);
  });
});
