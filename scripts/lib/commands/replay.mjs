// `daemon-hotfix replay <event.json>`: a local reproduction. Signs a stored event as the kernel would and POSTs the
// plugin inputs to the service's `/`, like `npm run send-sample`, but with the event as it was stored.
import { readFileSync } from "node:fs";
import { CliError, EXIT, UsageError } from "../errors.mjs";
import { isServiceError, reach, readBody } from "../http.mjs";
import { DEFAULT_EVENT_NAME, DEFAULT_KEY_PATH, freshOccurrence, readPrivateKey, signPluginInputs } from "../sign.mjs";

/**
 * @param {string} text
 * @param {string} what
 */
function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} is not JSON: ${/** @type {Error} */ (error).message}`, EXIT.USAGE);
  }
}

/** @type {Record<string, { options: string[], run: (ctx: import("../context.mjs").Context) => Promise<void> }>} */
export const replayCommands = {
  replay: {
    options: ["event", "key", "settings", "fresh"],
    async run(ctx) {
      if (ctx.args.length !== 1) throw new UsageError("replay takes one event file (\"-\" for stdin)", "replay");
      const file = ctx.args[0];
      let text;
      try {
        text = readFileSync(file === "-" ? 0 : file, "utf8");
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${/** @type {any} */ (error).code ?? /** @type {Error} */ (error).message}`, EXIT.USAGE);
      }
      const payload = parseJson(text, file === "-" ? "stdin" : file);
      const settings = parseJson(typeof ctx.values.settings === "string" ? ctx.values.settings : "{}", "--settings");
      const eventName = typeof ctx.values.event === "string" ? ctx.values.event : DEFAULT_EVENT_NAME;
      const keyPath = typeof ctx.values.key === "string" ? ctx.values.key : DEFAULT_KEY_PATH;
      const privateKey = readPrivateKey(keyPath);
      if (privateKey === undefined) {
        throw new CliError(`no private key at ${keyPath}; run \`npm start\` once (it makes one) or pass --key`, EXIT.USAGE);
      }
      if (ctx.values.fresh === true) freshOccurrence(payload);
      let inputs;
      try {
        inputs = await signPluginInputs({ privateKey, eventName, payload, settings });
      } catch (error) {
        throw new CliError(`cannot sign with ${keyPath} (a PKCS#8 PEM RSA private key is needed): ${/** @type {Error} */ (error).message}`, EXIT.USAGE);
      }
      const target = `${ctx.baseUrl}/`;
      const res = await reach(ctx.baseUrl, target, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(inputs),
      });
      if (res.status >= 300 && res.status < 400) {
        throw new CliError(`${target} redirected to ${res.headers.get("location") ?? "elsewhere"}; pass the final address as --url`, EXIT.USAGE);
      }
      const { text: answer, json } = await readBody(res);
      if (ctx.json) ctx.printJson({ status: res.status, body: json ?? answer });
      else ctx.print(`${res.status} ${json === undefined ? answer : JSON.stringify(json, null, 2)}`);
      if (!res.ok) {
        let message = `${target} answered ${res.status}`;
        if (isServiceError(json)) message += ` ${json.error}${json.message ? `: ${json.message}` : ""}`;
        if (res.status === 401) message += ` (is ${keyPath} the private half of the service's KERNEL_PUBLIC_KEY?)`;
        throw new CliError(message, EXIT.FAILED);
      }
    },
  },
};
