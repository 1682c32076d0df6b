import { Hono } from "hono";
import { AppError } from "../errors";
import type { AppEnv } from "../app-env";
import { issueUrl } from "./github-links";
import { decodeCursor, encodeCursor, pageLimit } from "./pagination";
import { configOf } from "../config";

interface ClusterRow {
  fingerprint: string;
  repo: string;
  plugin: string;
  category: string;
  issue_number: number | null;
  state: string;
  state_reason: string | null;
  total: number;
  reflected: number;
  first_seen: string;
  last_seen: string;
  blocked_reason: string | null;
  updated_at: string;
  grouping: string;
}

/** A cluster as `GET /admin/clusters` answers it. */
export type AdminCluster = ReturnType<typeof toCluster>;

export function toCluster(row: ClusterRow, apiUrl: string) {
  return {
    fingerprint: row.fingerprint,
    grouping: row.grouping,
    repo: row.repo,
    plugin: row.plugin,
    category: row.category,
    issueNumber: row.issue_number,
    issueUrl: issueUrl(apiUrl, row.repo, row.issue_number),
    state: row.state,
    stateReason: row.state_reason,
    total: row.total,
    reflected: row.reflected,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    blockedReason: row.blocked_reason,
    updatedAt: row.updated_at,
  };
}

/**
 * `GET /admin/clusters` (filter by repo, plugin, state; keyset pages, newest first) and `GET /admin/clusters/:fingerprint`
 * (a fingerprint linked to its failure's previous-version cluster answers that cluster, with `linkedFrom`).
 */
export function clusterRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", async (c) => {
    const limit = pageLimit(c.req.query("limit"));
    const cursor = decodeCursor(c.req.query("cursor"));
    const where: string[] = [];
    const binds: Array<string | number> = [];
    for (const [column, value] of [["repo", c.req.query("repo")], ["plugin", c.req.query("plugin")], ["state", c.req.query("state")]] as const) {
      if (value) {
        where.push(`${column} = ?`);
        binds.push(value);
      }
    }
    if (cursor) {
      where.push(`(last_seen < ? OR (last_seen = ? AND fingerprint < ?))`);
      binds.push(cursor[0], cursor[0], cursor[1]);
    }
    const sql = `SELECT * FROM clusters ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY last_seen DESC, fingerprint DESC LIMIT ?`;
    const rows = (await c.env.DB.prepare(sql).bind(...binds, limit + 1).all<ClusterRow>()).results;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({ clusters: page.map((r) => toCluster(r, configOf(c.env).github.apiUrl)), nextCursor: rows.length > limit && last ? encodeCursor([last.last_seen, last.fingerprint]) : null });
  });

  app.get("/:fingerprint", async (c) => {
    const asked = c.req.param("fingerprint");
    if (!/^[0-9a-f]{40}$/.test(asked)) throw new AppError(400, "invalid_query", "a fingerprint is 40 hex characters", [{ path: "fingerprint", message: "40 hex characters" }]);
    let fingerprint = asked;
    let row = await c.env.DB.prepare(`SELECT * FROM clusters WHERE fingerprint = ?`).bind(fingerprint).first<ClusterRow>();
    let linkedFrom: string | undefined;
    if (!row) {
      // A fingerprint of the current grouping version whose failure joined its previous-version cluster (issue 18).
      const held = await c.env.CLUSTER.getByName(asked).probe();
      if (held.kind === "link") {
        fingerprint = held.to.fingerprint;
        linkedFrom = asked;
        row = await c.env.DB.prepare(`SELECT * FROM clusters WHERE fingerprint = ?`).bind(fingerprint).first<ClusterRow>();
      }
    }
    if (!row) throw new AppError(404, "not_found", `no cluster ${asked}`);
    const linked = linkedFrom ? { linkedFrom } : {};
    const live = await c.env.CLUSTER.getByName(fingerprint).snapshot();
    const cluster = toCluster(row, configOf(c.env).github.apiUrl);
    if (!live) return c.json({ cluster, ...linked });
    return c.json({ cluster: { ...cluster, total: live.total, reflected: live.reflected, state: live.state, stateReason: live.stateReason, lastSeen: live.lastSeen, issueNumber: live.issueNumber, issueUrl: issueUrl(configOf(c.env).github.apiUrl, live.repo, live.issueNumber) }, ...linked });
  });
  return app;
}
