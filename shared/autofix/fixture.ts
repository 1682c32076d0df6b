import type { ClusterView } from "../cluster-view";
import type { ProposedFile } from "./risk";

/** Short fingerprint: branch `hotfix/<short>` and fixture file name. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.slice(0, 12);
}

export function fixturePath(fingerprint: string): string {
  return `.daemon-hotfix/fixtures/${shortFingerprint(fingerprint)}.json`;
}

/**
 * The replay fixture: the redacted event that reproduces the failure, and the behaviour expected once fixed —
 * for a plugin, that dispatching this event answers 2xx; for a CI run, that the workflow concludes `success`.
 */
export function replayFixture(view: ClusterView): ProposedFile {
  const f = view.sample;
  const expected =
    f.kind === "plugin_error"
      ? { behaviour: "the plugin handles this event without failing", dispatch: f.plugin.type === "http" ? "answers HTTP 2xx with a JSON body" : "the workflow run concludes success" }
      : { behaviour: "the workflow run for this commit concludes success", conclusion: "success" };
  const fixture = {
    $comment: "Replay fixture written by daemon-hotfix. The event is redacted: secrets were removed before it was stored.",
    fingerprint: view.fingerprint,
    failure: { kind: f.kind, category: f.category, status: f.status, message: f.message, plugin: f.plugin, trigger: f.trigger },
    event: f,
    expected,
    replay: "npm run send-sample -- --file <this file's .event as JSON> (in daemon-hotfix), or re-trigger the event above against the plugin",
    occurrences: view.total,
  };
  return { path: fixturePath(view.fingerprint), content: `${JSON.stringify(fixture, null, 2)}\n` };
}
