import { startLocalStack } from "../tests/support/local-stack.ts";
import { fingerprints, occurrence } from "./events.ts";
const s = await startLocalStack({ vars: { RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_BURST: "10000" }, log: (t) => process.stdout.write(t) });
try {
  const fps = fingerprints("bench-ingest", 3);
  for (let i = 0; i < 30; i++) {
    const r = await s.send(occurrence(fps[i % 3]!, i, new Date()), { settings: { updateIntervalSeconds: 3600 } });
    if (i < 2) console.log(r.status, await r.text());
  }
  for (let k = 0; k < 8; k++) {
    await new Promise((r) => setTimeout(r, 2000));
    const m = await (await s.admin("/metrics")).text();
    console.log(m.split("\n").filter((l) => l.startsWith("daemon_hotfix_events") || l.startsWith("daemon_hotfix_issues_created") || l.startsWith("daemon_hotfix_retries")).join("\n"));
  }
} finally { await s.stop(); }
