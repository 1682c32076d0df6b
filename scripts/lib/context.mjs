// What a command gets: its flags and arguments, the resolved service URL, a lazily made admin client, output.
import { NO_TOKEN_MESSAGE, resolveToken } from "./config.mjs";
import { CliError, EXIT } from "./errors.mjs";
import { AdminClient } from "./http.mjs";

/**
 * @typedef {object} Context
 * @property {string} command         "dlq list", "clusters show", …
 * @property {Record<string, string | boolean>} values  the flags given
 * @property {string[]} args          positionals after the command words
 * @property {string} baseUrl         the service, without a trailing slash
 * @property {boolean} json           --json
 * @property {() => AdminClient} admin the admin client; throws (exit 2) when no token is given anywhere
 * @property {(text: string) => void} print   a line on stdout
 * @property {(value: unknown) => void} printJson  pretty JSON on stdout
 * @property {NodeJS.WriteStream} stderr
 */

/**
 * @param {{ command: string, values: Record<string, string | boolean>, args: string[], baseUrl: string,
 *   env: NodeJS.ProcessEnv, cwd: string, stdout: NodeJS.WritableStream, stderr: NodeJS.WriteStream }} options
 * @returns {Context}
 */
export function makeContext({ command, values, args, baseUrl, env, cwd, stdout, stderr }) {
  /** @type {AdminClient | undefined} */
  let client;
  return {
    command,
    values,
    args,
    baseUrl,
    json: values.json === true,
    admin() {
      if (!client) {
        const found = resolveToken(typeof values.token === "string" ? values.token : undefined, env, cwd);
        if (!found) throw new CliError(NO_TOKEN_MESSAGE, EXIT.USAGE);
        client = new AdminClient({ baseUrl, token: found.token });
      }
      return client;
    },
    print(text) {
      stdout.write(`${text}\n`);
    },
    printJson(value) {
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    stderr,
  };
}
