import type { FC } from "hono/jsx";
import type { DashboardData, PluginSeries } from "./dashboard-data";
import { SelfFailures, SettingsWarnings } from "./door-sections";

const CSS = `
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
header{background:#24292f;color:#fff;padding:1rem 2rem}header h1{margin:0;font-size:1.25rem}header p{margin:.25rem 0 0;color:#c9d1d9;font-size:.85rem}
main{padding:1.5rem 2rem;display:grid;gap:1.5rem}section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1rem 1.25rem}
h2{font-size:1rem;margin:0 0 .75rem}.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:1rem}
.tile{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:.75rem 1rem}.tile b{display:block;font-size:1.6rem}.tile span{color:#57606a;font-size:.8rem}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:middle}
th{color:#57606a;font-weight:600}code{font-size:.8rem}.state{padding:.1rem .45rem;border-radius:1rem;font-size:.75rem;background:#eaeef2}
.state.open{background:#dafbe1;color:#1a7f37}.state.closed{background:#f6f8fa;color:#57606a}.state.blocked{background:#ffebe9;color:#cf222e}
.muted{color:#57606a}.bars rect{fill:#cf222e}.bars rect.zero{fill:#eaeef2}
`;

const W = 264;
const H = 44;

/** 24 hourly bars; the tallest is full height. */
const Bars: FC<{ series: PluginSeries }> = ({ series }) => {
  const max = Math.max(1, ...series.hourly);
  const w = W / series.hourly.length;
  return (
    <svg class="bars" width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${series.plugin}: ${series.total} failures in 24 h`}>
      {series.hourly.map((v, i) => {
        const h = v === 0 ? 2 : Math.max(3, (v / max) * (H - 2));
        return (
          <rect class={v === 0 ? "zero" : ""} x={i * w + 1} y={H - h} width={Math.max(1, w - 2)} height={h}>
            <title>{`${v} failure${v === 1 ? "" : "s"}`}</title>
          </rect>
        );
      })}
    </svg>
  );
};

const seconds = (v: number | null) => (v === null ? "—" : v < 1 ? `${Math.round(v * 1000)} ms` : `${v.toFixed(1)} s`);

/** The ops dashboard: error rate per plugin (24 h), top clusters, dead letters, lag, GitHub budget. */
export const Dashboard: FC<{ data: DashboardData }> = ({ data }) => {
  const failures = data.plugins.reduce((a, p) => a + p.total, 0);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>daemon-hotfix — dashboard</title>
        <style>{CSS}</style>
      </head>
      <body>
        <header>
          <h1>daemon-hotfix</h1>
          <p>Plugin failures across UbiquityOS · generated {data.generatedAt}</p>
        </header>
        <main>
          <div class="tiles">
            <div class="tile" id="tile-failures">
              <b>{failures}</b>
              <span>failures reported (24 h)</span>
            </div>
            <div class="tile" id="tile-dead-letters">
              <b>{data.deadLetters.waiting}</b>
              <span>dead letters waiting</span>
            </div>
            <div class="tile" id="tile-lag">
              <b>{seconds(data.lag.p95)}</b>
              <span>processing lag p95 (p50 {seconds(data.lag.p50)}, {data.lag.count} events)</span>
            </div>
            <div class="tile" id="tile-budget">
              <b>{data.budget ? data.budget.minute : "—"}</b>
              <span>{data.budget ? `GitHub writes left this minute (${data.budget.hour} this hour${data.budget.budgets > 1 ? `, tightest of ${data.budget.budgets} installations` : ""})` : "no GitHub writes in the last hour"}</span>
            </div>
            <div class="tile" id="tile-self-failures">
              <b>{data.door.selfFailures.last24h}</b>
              <span>daemon-hotfix's own failures (24 h)</span>
            </div>
            <div class="tile" id="tile-parked">
              <b>{data.door.parked.last24h}</b>
              <span>events parked while the queue refused them (24 h; {data.door.parked.resent24h} sent again)</span>
            </div>
          </div>
          <section id="error-rate">
            <h2>Error rate per plugin — failures per hour, last 24 h</h2>
            {data.plugins.length === 0 ? (
              <p class="muted">No failures in the last 24 hours.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>plugin</th>
                    <th>24 h</th>
                    <th>per hour</th>
                  </tr>
                </thead>
                <tbody>
                  {data.plugins.map((p) => (
                    <tr>
                      <td>
                        <code>{p.plugin}</code>
                      </td>
                      <td>{p.total}</td>
                      <td>
                        <Bars series={p} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section id="clusters">
            <h2>Top clusters</h2>
            {data.clusters.length === 0 ? (
              <p class="muted">No clusters yet.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>issue</th>
                    <th>repo</th>
                    <th>plugin</th>
                    <th>state</th>
                    <th>occurrences</th>
                    <th>last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {data.clusters.map((c) => (
                    <tr>
                      <td>{c.issueUrl ? <a href={c.issueUrl}>#{c.issueNumber}</a> : <span class="muted">{c.fingerprint.slice(0, 12)}</span>}</td>
                      <td>{c.repo}</td>
                      <td>
                        <code>{c.plugin}</code>
                      </td>
                      <td>
                        {/* Issue 15: not filed yet (fileAfter), every occurrence counted. */}
                        <span class={`state ${c.state}`}>{c.state === "waiting" ? "waiting to file" : c.state}</span>
                      </td>
                      <td>{c.total}</td>
                      <td class="muted">{c.lastSeen}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section id="dead-letters">
            <h2>Dead letters waiting ({data.deadLetters.waiting})</h2>
            {data.deadLetters.latest.length === 0 ? (
              <p class="muted">None. Replay with <code>npx daemon-hotfix dlq replay --all</code> when there are.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>id</th>
                    <th>repo</th>
                    <th>reason</th>
                    <th>since</th>
                  </tr>
                </thead>
                <tbody>
                  {data.deadLetters.latest.map((d) => (
                    <tr>
                      <td>
                        <code>{d.id}</code>
                      </td>
                      <td>{d.repo ?? "—"}</td>
                      <td>{d.reason}</td>
                      <td class="muted">{d.createdAt}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <SelfFailures data={data.door.selfFailures} />
          <SettingsWarnings rows={data.door.settingsWarnings} />
        </main>
      </body>
    </html>
  );
};
