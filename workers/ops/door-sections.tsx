import type { FC } from "hono/jsx";
import { type DoorData, WARNING_DAYS } from "./door-data";

/** daemon-hotfix's own failures, as the kernel reported them: never filed on GitHub, so they are shown here. */
export const SelfFailures: FC<{ data: DoorData["selfFailures"] }> = ({ data }) => (
  <section id="self-failures">
    <h2>daemon-hotfix's own failures ({data.last24h} in 24 h)</h2>
    {data.latest.length === 0 ? (
      <p class="muted">None reported by the kernel.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>seen</th>
            <th>as</th>
            <th>status</th>
            <th>message</th>
            <th>triggered in</th>
          </tr>
        </thead>
        <tbody>
          {data.latest.map((f) => (
            <tr>
              <td class="muted">{f.receivedAt}</td>
              <td>
                <code>{f.plugin}</code>
              </td>
              <td>{f.status ?? "—"}</td>
              <td>
                <code>{f.message}</code>
              </td>
              <td>{f.triggerRepo ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
);

/** Which orgs send which settings warnings (ignored keys, values replaced by their default). */
export const SettingsWarnings: FC<{ rows: DoorData["settingsWarnings"] }> = ({ rows }) => (
  <section id="settings-warnings">
    <h2>Settings warnings — last {WARNING_DAYS} days</h2>
    {rows.length === 0 ? (
      <p class="muted">Every with: block was read as written.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>org</th>
            <th>setting</th>
            <th>events</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => (
            <tr>
              <td>{w.owner || <span class="muted">(unknown)</span>}</td>
              <td>
                <code>{w.key}</code>
              </td>
              <td>{w.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
);
