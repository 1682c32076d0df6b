// One operation applied to many dead letters, one request each, with progress on stderr and a summary.
import { CliError, EXIT } from "../errors.mjs";
import { ApiError } from "../http.mjs";
import { Progress } from "../progress.mjs";

/**
 * @typedef {{ id: string, status: string, message?: string }} BulkResult
 */

/**
 * Runs `each` over `ids`. A 404 counts as skipped (`not_found`: gone meanwhile); another refusal of one item counts
 * as failed and the rest go on; losing the service (connection, token) stops everything.
 * @param {import("../context.mjs").Context} ctx
 * @param {string[]} ids
 * @param {{ verb: string, done: string, each: (id: string) => Promise<string> }} operation
 *   `verb` names the progress and summary ("replayed"); `each` returns the item's status, `done` is the status that counts
 */
export async function runBulk(ctx, ids, { verb, done, each }) {
  /** @type {BulkResult[]} */
  const results = [];
  const progress = new Progress(verb, ids.length, ctx.stderr);
  try {
    for (const id of ids) {
      /** @type {BulkResult} */
      let result;
      try {
        result = { id, status: await each(id) };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        result = error.status === 404 ? { id, status: "not_found" } : { id, status: "failed", message: error.message };
      }
      results.push(result);
      progress.tick(id, result.status);
    }
  } finally {
    progress.end();
  }
  const succeeded = results.filter((r) => r.status === done).length;
  const failed = results.filter((r) => r.status === "failed");
  const skipped = results.length - succeeded - failed.length;
  if (ctx.json) {
    ctx.printJson({ [verb]: succeeded, skipped, failed: failed.length, results });
  } else {
    for (const f of failed) ctx.stderr.write(`daemon-hotfix: ${f.id}: ${f.message}\n`);
    ctx.print(`${verb} ${succeeded}, skipped ${skipped}${failed.length ? `, failed ${failed.length}` : ""}`);
  }
  if (failed.length) throw new CliError(`${failed.length} of ${ids.length} failed`, EXIT.FAILED);
}
