// `daemon-hotfix dlq list|show|replay|purge`: the dead letters of the service (D1 dead_letters), by /admin/dead-letters.
import { positiveInteger } from "../args.mjs";
import { CliError, EXIT, UsageError } from "../errors.mjs";
import { count, renderTable, time } from "../table.mjs";
import { runBulk } from "./bulk.mjs";

const BASE = "/admin/dead-letters";

/**
 * @param {import("../context.mjs").Context} ctx
 * @param {string} name
 */
function str(ctx, name) {
  const value = ctx.values[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * The single id argument of `dlq show|replay|purge <id>`.
 * @param {import("../context.mjs").Context} ctx
 */
function oneId(ctx) {
  if (ctx.args.length === 0) throw new UsageError(`${ctx.command} needs a dead letter id`, ctx.command);
  if (ctx.args.length > 1) throw new UsageError(`${ctx.command} takes one id, not ${ctx.args.length} (--all for every one)`, ctx.command);
  return ctx.args[0];
}

/**
 * `dlq replay|purge`: either one <id>, or --all with filters.
 * @param {import("../context.mjs").Context} ctx
 * @returns {string | undefined} the id, or undefined for --all
 */
function idOrAll(ctx) {
  if (ctx.values.all === true) {
    if (ctx.args.length) throw new UsageError(`${ctx.command}: give an id or --all, not both`, ctx.command);
    return undefined;
  }
  for (const flag of ["repo", "plugin"]) {
    if (ctx.values[flag] !== undefined) throw new UsageError(`${ctx.command}: --${flag} only goes with --all`, ctx.command);
  }
  return oneId(ctx);
}

/**
 * Every matching dead letter's id.
 * @param {import("../context.mjs").Context} ctx
 * @param {"false" | "all"} replayed
 */
async function matchingIds(ctx, replayed) {
  const { items } = await ctx.admin().list(BASE, "deadLetters", { repo: str(ctx, "repo"), plugin: str(ctx, "plugin"), replayed });
  return items.map((d) => String(d.id));
}

/** @param {string} id */
const one = (id) => `${BASE}/${encodeURIComponent(id)}`;

/** @type {Record<string, { options: string[], run: (ctx: import("../context.mjs").Context) => Promise<void> }>} */
export const dlqCommands = {
  "dlq list": {
    options: ["repo", "plugin", "all", "limit"],
    async run(ctx) {
      if (ctx.args.length) throw new UsageError(`dlq list takes no arguments (got ${ctx.args.join(" ")})`, ctx.command);
      const limit = positiveInteger(ctx.values.limit, "--limit", ctx.command);
      const all = ctx.values.all === true;
      const query = { repo: str(ctx, "repo"), plugin: str(ctx, "plugin"), replayed: all ? "all" : "false" };
      const { items, more } = await ctx.admin().list(BASE, "deadLetters", query, limit);
      if (ctx.json) {
        ctx.printJson({ deadLetters: items, more });
        return;
      }
      if (items.length === 0) {
        ctx.print(all ? "no dead letters" : "no dead letters waiting (--all includes those already replayed)");
        return;
      }
      /** @type {import("../table.mjs").Column<Record<string, unknown>>[]} */
      const columns = [
        { header: "id", value: (d) => d.id },
        { header: "created", value: (d) => time(d.createdAt) },
        { header: "repo", value: (d) => d.repo },
        { header: "attempts", value: (d) => d.attempts, align: "right" },
      ];
      if (all) columns.push({ header: "replayed", value: (d) => (d.replayedAt ? time(d.replayedAt) : "-") });
      columns.push({ header: "reason", value: (d) => d.reason, max: 60 });
      ctx.print(renderTable(columns, items));
      const replayedCount = items.filter((d) => d.replayedAt).length;
      let summary = count(items.length, "dead letter");
      if (all) summary += ` (${replayedCount} replayed)`;
      if (more) summary += ` shown; more remain (raise --limit)`;
      ctx.print(summary);
    },
  },

  "dlq show": {
    options: [],
    async run(ctx) {
      const answer = await ctx.admin().request("GET", one(oneId(ctx)));
      ctx.printJson(answer.deadLetter ?? answer);
    },
  },

  "dlq replay": {
    options: ["all", "repo", "plugin", "force"],
    async run(ctx) {
      const id = idOrAll(ctx);
      const force = ctx.values.force === true;
      const replay = async (/** @type {string} */ dl) =>
        ctx.admin().request("POST", `${one(dl)}/replay`, { query: { force: force ? "true" : undefined } });
      if (id !== undefined) {
        const answer = await replay(id);
        if (ctx.json) ctx.printJson(answer);
        else if (answer.status === "replayed") ctx.print(`replayed ${id}${answer.eventId ? ` (event ${answer.eventId})` : ""}`);
        else if (answer.status === "already_replayed") ctx.print(`${id} was already replayed (--force replays it again)`);
        else ctx.print(`${id} was not replayed: ${answer.status}${answer.reason ? ` (${answer.reason})` : ""}`);
        if (answer.status !== "replayed" && answer.status !== "already_replayed") {
          throw new CliError(`${id} cannot be replayed (${answer.status})`, EXIT.FAILED);
        }
        return;
      }
      // Every id first, then one replay each: replaying changes the list being paged through.
      const ids = await matchingIds(ctx, force ? "all" : "false");
      await runBulk(ctx, ids, { verb: "replayed", done: "replayed", each: async (dl) => String((await replay(dl)).status) });
    },
  },

  "dlq purge": {
    options: ["all", "repo", "plugin", "yes"],
    async run(ctx) {
      const id = idOrAll(ctx);
      const purge = async (/** @type {string} */ dl) => ctx.admin().request("DELETE", one(dl));
      if (id !== undefined) {
        const answer = await purge(id);
        if (ctx.json) ctx.printJson(answer);
        else ctx.print(`deleted ${id}`);
        return;
      }
      if (ctx.values.yes !== true) {
        throw new CliError("dlq purge --all deletes every matching dead letter (replayed or not) for good; add --yes to confirm", EXIT.USAGE);
      }
      const ids = await matchingIds(ctx, "all");
      await runBulk(ctx, ids, { verb: "purged", done: "deleted", each: async (dl) => ((await purge(dl)).deleted === true ? "deleted" : "not_deleted") });
    },
  },
};
