// `daemon-hotfix clusters [show <fingerprint>]`: the failure clusters (one per fingerprint), by /admin/clusters.
import { positiveInteger } from "../args.mjs";
import { CliError, EXIT, UsageError } from "../errors.mjs";
import { ApiError } from "../http.mjs";
import { count, renderTable, time } from "../table.mjs";

const BASE = "/admin/clusters";

/**
 * @param {import("../context.mjs").Context} ctx
 * @param {string} name
 */
function str(ctx, name) {
  const value = ctx.values[name];
  return typeof value === "string" ? value : undefined;
}

/** @type {import("../table.mjs").Column<Record<string, unknown>>[]} */
const COLUMNS = [
  { header: "fingerprint", value: (c) => String(c.fingerprint ?? "").slice(0, 12) },
  { header: "repo", value: (c) => c.repo },
  { header: "state", value: (c) => c.state },
  { header: "total", value: (c) => c.total, align: "right" },
  { header: "issue", value: (c) => c.issueUrl },
  { header: "last seen", value: (c) => time(c.lastSeen) },
];

/** @type {Record<string, { options: string[], run: (ctx: import("../context.mjs").Context) => Promise<void> }>} */
export const clusterCommands = {
  clusters: {
    options: ["repo", "plugin", "state", "limit"],
    async run(ctx) {
      if (ctx.args.length) throw new UsageError(`unknown clusters subcommand ${JSON.stringify(ctx.args[0])}`, "clusters");
      const limit = positiveInteger(ctx.values.limit, "--limit", ctx.command);
      const query = { repo: str(ctx, "repo"), plugin: str(ctx, "plugin"), state: str(ctx, "state") };
      const { items, more } = await ctx.admin().list(BASE, "clusters", query, limit);
      if (ctx.json) {
        ctx.printJson({ clusters: items, more });
        return;
      }
      if (items.length === 0) {
        ctx.print("no clusters");
        return;
      }
      ctx.print(renderTable(COLUMNS, items));
      ctx.print(`${count(items.length, "cluster")}${more ? " shown; more remain (raise --limit)" : ""}`);
    },
  },

  "clusters show": {
    options: [],
    async run(ctx) {
      if (ctx.args.length !== 1) throw new UsageError("clusters show takes one fingerprint", ctx.command);
      const fingerprint = ctx.args[0];
      const admin = ctx.admin();
      try {
        const answer = await admin.request("GET", `${BASE}/${encodeURIComponent(fingerprint)}`);
        ctx.printJson(answer.cluster ?? answer);
      } catch (error) {
        // The table shows 12 characters: accept any unambiguous prefix of a fingerprint (the service answers a
        // prefix with 400, not a fingerprint, or 404).
        const prefix = /^[0-9a-f]{4,63}$/i.test(fingerprint);
        if (!(prefix && error instanceof ApiError && (error.status === 400 || error.status === 404))) throw error;
        const { items } = await admin.list(BASE, "clusters", {});
        const matches = items.filter((c) => String(c.fingerprint).toLowerCase().startsWith(fingerprint.toLowerCase()));
        if (matches.length === 0) {
          if (error.status === 400) throw new CliError(`no cluster has a fingerprint starting with ${fingerprint}`, EXIT.FAILED);
          throw error;
        }
        if (matches.length > 1) {
          throw new CliError(`${matches.length} clusters have fingerprints starting with ${fingerprint}; give more of it`, EXIT.FAILED);
        }
        const answer = await admin.request("GET", `${BASE}/${encodeURIComponent(matches[0].fingerprint)}`);
        ctx.printJson(answer.cluster ?? answer);
      }
    },
  },
};
