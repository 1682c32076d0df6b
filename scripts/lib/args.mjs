// A small command-line parser: `--name value`, `--name=value`, boolean `--flag`, `-h`, and `--` (the rest are
// positionals). Flags may come before or after the command words; each command then says which it accepts.
import { UsageError } from "./errors.mjs";

/**
 * @typedef {{ type: "string" | "boolean", short?: string }} OptionSpec
 * @typedef {{ values: Record<string, string | boolean>, positionals: string[], given: string[] }} Parsed
 */

/**
 * Parses argv against `spec`. Unknown flags and missing values are usage errors.
 * @param {string[]} argv
 * @param {Record<string, OptionSpec>} spec
 * @returns {Parsed}
 */
export function parseArgv(argv, spec) {
  /** @type {Record<string, string | boolean>} */
  const values = {};
  /** @type {string[]} */
  const positionals = [];
  /** @type {string[]} */
  const given = [];
  const shorts = new Map(Object.entries(spec).filter(([, o]) => o.short).map(([name, o]) => [o.short, name]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    let name;
    let inline;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      name = arg.length === 2 ? shorts.get(arg.slice(1)) : undefined;
      if (!name) throw new UsageError(`unknown option ${arg}`);
    }
    const option = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!option) throw new UsageError(`unknown option --${name}`);
    if (option.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      values[name] = true;
    } else if (inline !== undefined) {
      values[name] = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`--${name} needs a value`);
      values[name] = next;
      i += 1;
    }
    if (!given.includes(name)) given.push(name);
  }
  return { values, positionals, given };
}

/**
 * A positive whole number from a flag, or undefined when the flag is absent.
 * @param {string | boolean | undefined} value
 * @param {string} flag
 * @param {string} command
 */
export function positiveInteger(value, flag, command) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag} must be a positive whole number, not ${JSON.stringify(value)}`, command);
  }
  return n;
}
