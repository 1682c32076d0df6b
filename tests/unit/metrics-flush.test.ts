import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MetricsBuffer } from "../../workers/metrics/buffer";
import { unique } from "../helpers/send";

const value = async (name: string, labels: string) =>
  (await env.DB.prepare(`SELECT SUM(value) AS n FROM counters WHERE name = ? AND labels = ?`).bind(name, labels).first<{ n: number | null }>())?.n ?? 0;

describe("a metrics flush", () => {
  it("writes every label set in one D1 statement (no 25-row cap), adds to what is there, and counts its own statement", async () => {
    const name = `flush_test_${unique()}`;
    const buffer = new MetricsBuffer("dead_letters");
    for (let i = 0; i < 60; i++) buffer.inc(name, { repo: `o/r-${i}`, quote: 'say "hi" \\ there' }, i + 1);
    const ownBefore = await value("d1_statements", JSON.stringify({ component: "dead_letters" }));
    await buffer.flush(env.DB);
    const again = new MetricsBuffer("dead_letters");
    again.inc(name, { repo: "o/r-0", quote: 'say "hi" \\ there' }, 100);
    await again.flush(env.DB);
    expect(await value(name, JSON.stringify({ quote: 'say "hi" \\ there', repo: "o/r-59" }))).toBe(60);
    expect(await value(name, JSON.stringify({ quote: 'say "hi" \\ there', repo: "o/r-0" }))).toBe(101);
    const rows = await env.DB.prepare(`SELECT COUNT(*) AS n FROM counters WHERE name = ?`).bind(name).first<{ n: number }>();
    expect(rows?.n).toBe(60);
    // 61 label sets (with its own counter) in one statement, then one more.
    expect((await value("d1_statements", JSON.stringify({ component: "dead_letters" }))) - ownBefore).toBe(2);
  });
});
