// `npm run send-sample`: signs a sample event like the kernel does (with plugin-sdk, the kernel's own client
// code) and POSTs it to a running daemon-hotfix.
//   --url URL         where to send (default http://127.0.0.1:8787/)
//   --key FILE        PKCS#8 PEM private key (default .dev/kernel-private.pem, made by `npm start`)
//   --file FILE       event payload JSON (default scripts/samples/kernel-plugin-error.json)
//   --event NAME      event name (default kernel.plugin_error)
//   --settings JSON   the with: block (default {})
//   --count N         send N deliveries (each its own request id) (default 1)
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { PluginInput } from "@ubiquity-os/plugin-sdk/signature";
import { PRIVATE_KEY_PATH } from "./local-key.mjs";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8787/" },
    key: { type: "string", default: PRIVATE_KEY_PATH },
    file: { type: "string", default: new URL("./samples/kernel-plugin-error.json", import.meta.url).pathname },
    event: { type: "string", default: "kernel.plugin_error" },
    settings: { type: "string", default: "{}" },
    count: { type: "string", default: "1" },
  },
});

let privateKey;
try {
  privateKey = readFileSync(values.key, "utf8");
} catch {
  console.error(`send-sample: no private key at ${values.key}; run \`npm start\` once (it makes one) or pass --key`);
  process.exit(2);
}
const payload = JSON.parse(readFileSync(values.file, "utf8"));
const settings = JSON.parse(values.settings);
const count = Math.max(1, Number(values.count) || 1);

let failed = 0;
for (let i = 0; i < count; i++) {
  // Each send is a new occurrence, now: its own request id and the current time.
  if (payload.context && typeof payload.context === "object") payload.context.requestId = `sample-${Date.now()}-${i}`;
  if ("timestamp" in payload) payload.timestamp = new Date().toISOString();
  const inputs = await new PluginInput(privateKey, crypto.randomUUID(), values.event, payload, settings, "ghs_localSampleInstallationToken000000000", "main", null).getInputs();
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
