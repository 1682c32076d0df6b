#!/usr/bin/env node
// daemon-hotfix: the operator's CLI for a daemon-hotfix service (its admin API) and for local replays of events.
// `daemon-hotfix --help` for usage. Plain ESM on node: built-ins (Node >= 20); plugin-sdk only for `replay`.
// This file parses the command line and dispatches; the commands live in scripts/lib/commands/.
import { readFileSync } from "node:fs";
import { parseArgv } from "./lib/args.mjs";
import { clusterCommands } from "./lib/commands/clusters.mjs";
import { dlqCommands } from "./lib/commands/dlq.mjs";
import { replayCommands } from "./lib/commands/replay.mjs";
import { resolveToken, resolveUrl } from "./lib/config.mjs";
import { makeContext } from "./lib/context.mjs";
import { CliError, EXIT, UsageError } from "./lib/errors.mjs";
import { usage } from "./lib/usage.mjs";

/** @type {Record<string, import("./lib/args.mjs").OptionSpec>} */
const GLOBAL_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

/** Every command's own options; each command says which of them it takes. */
const COMMAND_OPTIONS = /** @type {Record<string, import("./lib/args.mjs").OptionSpec>} */ ({
  repo: { type: "string" },
  plugin: { type: "string" },
  state: { type: "string" },
  limit: { type: "string" },
  all: { type: "boolean" },
  force: { type: "boolean" },
  yes: { type: "boolean" },
  event: { type: "string" },
  key: { type: "string" },
  settings: { type: "string" },
  fresh: { type: "boolean" },
});

const COMMANDS = { ...dlqCommands, ...clusterCommands, ...replayCommands };
/** Command words that only group subcommands. */
const GROUPS = new Set(["dlq"]);

/**
 * The command named by the leading positionals, and the arguments after it.
 * @param {string[]} positionals
 * @returns {{ name: string, args: string[] }} name "" when there is none; a group name when its subcommand is missing
 */
function resolveCommand(positionals) {
  const [first, second] = positionals;
  if (first === undefined) return { name: "", args: [] };
  if (first === "dlq") {
    if (second === undefined) return { name: "dlq", args: [] };
    if (!Object.hasOwn(COMMANDS, `dlq ${second}`)) throw new UsageError(`unknown dlq subcommand ${JSON.stringify(second)}`, "dlq");
    return { name: `dlq ${second}`, args: positionals.slice(2) };
  }
  if (first === "clusters") {
    if (second === "show") return { name: "clusters show", args: positionals.slice(2) };
    if (second === "list") return { name: "clusters", args: positionals.slice(2) };
    return { name: "clusters", args: positionals.slice(1) };
  }
  if (first !== "" && Object.hasOwn(COMMANDS, first) && !first.includes(" ")) return { name: first, args: positionals.slice(1) };
  throw new UsageError(`unknown command ${JSON.stringify(first)}`);
}

function version() {
  try {
    return JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Runs the CLI; resolves to the exit code.
 * @param {string[]} argv
 */
async function main(argv) {
  const { stdout, stderr, env } = process;
  /** @type {string | undefined} */
  let secret;
  /** An error on stderr. Messages never contain the token; should a server echo it back, it is masked (if not too short to tell). */
  const fail = (/** @type {string} */ text) =>
    stderr.write(`daemon-hotfix: ${secret && secret.length >= 8 ? text.split(secret).join("***") : text}`);
  /** @type {string | undefined} */
  let command;
  try {
    let parsed;
    try {
      parsed = parseArgv(argv, { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS });
    } catch (error) {
      // Name the command the mistake belongs to, when the words say it.
      try {
        command = resolveCommand(argv.filter((a) => !a.startsWith("-"))).name;
      } catch {}
      throw error;
    }
    const { values, positionals, given } = parsed;
    secret = typeof values.token === "string" ? values.token : resolveToken(undefined, env, process.cwd())?.token;
    if (values.version === true) {
      stdout.write(`daemon-hotfix ${version()}\n`);
      return EXIT.OK;
    }
    if (positionals[0] === "help") {
      stdout.write(`${usage(resolveCommand(positionals.slice(1)).name)}\n`);
      return EXIT.OK;
    }
    const resolved = resolveCommand(positionals);
    command = resolved.name;
    if (values.help === true) {
      stdout.write(`${usage(command)}\n`);
      return EXIT.OK;
    }
    if (command === "") throw new UsageError("no command given");
    if (GROUPS.has(command)) throw new UsageError(`${command} needs a subcommand`, command);
    const spec = COMMANDS[command];
    for (const name of given) {
      if (!Object.hasOwn(GLOBAL_OPTIONS, name) && !spec.options.includes(name)) {
        throw new UsageError(`${command} does not take --${name}`, command);
      }
    }
    const baseUrl = resolveUrl(typeof values.url === "string" ? values.url : undefined, env);
    const ctx = makeContext({ command, values, args: resolved.args, baseUrl, env, cwd: process.cwd(), stdout, stderr });
    await spec.run(ctx);
    return EXIT.OK;
  } catch (error) {
    if (error instanceof UsageError) {
      fail(`${error.message}\n\n${usage(error.command ?? command ?? "")}\n`);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      fail(`${error.message}\n`);
      return error.exitCode;
    }
    fail(`unexpected error: ${/** @type {Error} */ (error)?.stack ?? String(error)}\n`);
    return EXIT.FAILED;
  }
}

// `daemon-hotfix … | head` closes the pipe early: that is not an error.
process.stdout.on("error", (error) => {
  if (/** @type {any} */ (error).code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(process.argv.slice(2));
