// `npm run send-sample`: signs a sample event like the kernel does (with plugin-sdk, the kernel's own client
// code) and POSTs it to a running daemon-hotfix. Options: `npm run send-sample -- --help`.
// `daemon-hotfix replay <event.json>` (scripts/cli.mjs) sends one stored event as it is; both sign with scripts/lib/sign.mjs.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_EVENT_NAME, DEFAULT_KEY_PATH, freshOccurrence, readPrivateKey, signPluginInputs } from "./lib/sign.mjs";

const USAGE = `usage: npm run send-sample -- [--url URL] [--key FILE] [--file FILE] [--event NAME] [--settings JSON] [--count N]
  --url URL         where to send (default http://127.0.0.1:8787/)
  --key FILE        PKCS#8 PEM private key (default ${DEFAULT_KEY_PATH}, made by \`npm start\`)
  --file FILE       event payload JSON (default scripts/samples/kernel-plugin-error.json)
  --event NAME      event name (default ${DEFAULT_EVENT_NAME})
  --settings JSON   the with: block (default {})
  --count N         send N deliveries, each its own request id (default 1)`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:8787/" },
      key: { type: "string", default: DEFAULT_KEY_PATH },
      file: { type: "string", default: new URL("./samples/kernel-plugin-error.json", import.meta.url).pathname },
      event: { type: "string", default: DEFAULT_EVENT_NAME },
      settings: { type: "string", default: "{}" },
      count: { type: "string", default: "1" },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  console.error(`send-sample: ${error.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const privateKey = readPrivateKey(values.key);
if (privateKey === undefined) {
  console.error(`send-sample: no private key at ${values.key}; run \`npm start\` once (it makes one) or pass --key`);
  process.exit(2);
}
const payload = JSON.parse(readFileSync(values.file, "utf8"));
const settings = JSON.parse(values.settings);
const count = Math.max(1, Number(values.count) || 1);

let failed = 0;
for (let i = 0; i < count; i++) {
  // Each send is a new occurrence, now: its own request id and the current time.
  freshOccurrence(payload, i);
  const inputs = await signPluginInputs({ privateKey, eventName: values.event, payload, settings });
  let res;
  try {
    res = await fetch(values.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(inputs) });
  } catch (error) {
    console.error(`send-sample: cannot reach ${values.url} (${error.cause?.code ?? error.message}); is \`npm start\` running?`);
    process.exit(2);
  }
  const text = await res.text();
  if (!res.ok) failed += 1;
  console.log(`${res.status} ${text}`);
}
process.exit(failed ? 1 : 0);
