/**
 * `npm run bench:autofix` (issue 17): the auto-fix pipeline on the evaluation set (bench/autofix/cases.ts), offline.
 * For each case: the repo snapshot is pushed to an in-process GitHub double (the tests' one); the failure event is
 * converted as the consumer would; then, exactly as the PR step does it — the repo read at the failing commit
 * (tree, files the failure names, the model's choice, manifest/package/nearest test, bounded), the proposal,
 * validation (hunks applied all or nothing), the root-cause confidence gate, and the draft PR in the double. The
 * case's check then runs against the PR's branch; it is first verified to fail on the snapshot and on a bad fix and to
 * pass on the known fix. The model is scripted (cases.ts); with AUTOFIX_API_URL and AUTOFIX_MODEL (and
 * AUTOFIX_API_KEY) set, the same cases run against that OpenAI-compatible endpoint as well.
 *
 * Checks run the repo's code as the PR left it in a child `node --permission` process (reads only inside its
 * checkout; no writes, no child processes) with a timeout. With a real endpoint that is code a model wrote: run it
 * where you would run an untrusted test. Writes bench/autofix/results.md.
 */
import "../../scripts/lib/ts-import.mjs";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Octokit } from "@octokit/core";
import { CASES, type EvalCase } from "./cases.ts";

const { GitHubDouble } = await import("../../tests/github-double/index.ts");
const { kernelPluginError } = await import("../../tests/helpers/events.ts");
const { toFailure } = await import("../../shared/convert/index.ts");
const v = await import("valibot");
const { Settings } = await import("../../shared/settings.ts");
const { GitHubWriter } = await import("../../workers/github/writer.ts");
const { analyse } = await import("../../workers/autofix/analyse.ts");
const { openPullRequest } = await import("../../workers/autofix/open-pr.ts");
const { OpenAICompatibleProposer } = await import("../../workers/autofix/proposers.ts");
const { proposalOf } = await import("../../shared/autofix/proposal.ts");
const { confidenceOf } = await import("../../shared/autofix/analysis.ts");
const { riskTier } = await import("../../shared/autofix/risk.ts");
type FixProposer = import("../../workers/autofix/proposers.ts").FixProposer;
type ModelTask = import("../../workers/autofix/proposers.ts").ModelTask;
type ClusterView = import("../../shared/cluster-view.ts").ClusterView;

const HERE = dirname(fileURLToPath(import.meta.url));
const MIN_CONFIDENCE = 0.7;
const API = "https://api.github.test";

/** The scripted model: answers each task from the case (what a good model would, or — the hostile case — what an obedient one would). */
class ScriptedModel implements FixProposer {
  readonly name = "scripted";
  readonly model = "bench/autofix/cases.ts";
  constructor(private readonly script: EvalCase["script"]) {}
  async ask(task: ModelTask) {
    return { ok: true as const, answer: task.name === "file_choice" ? { paths: this.script.paths } : this.script.proposal };
  }
}

function writerFor(double: InstanceType<typeof GitHubDouble>) {
  const octokit = new Octokit({ auth: "ghp_benchAutofixToken00000000000000000000", baseUrl: API, request: { fetch: (url: string, init: RequestInit) => double.handle(new Request(url, init)) } });
  // One writer, no other traffic: every write gets its slot at once.
  const budget = { reserve: async () => ({ granted: true, atMs: Date.now() }), penalize: async () => undefined };
  return new GitHubWriter(octokit, budget as never, { perMinute: 1_000, perHour: 10_000, spacingMs: 0 });
}

/** Runs the case's check in a checkout of `files`: true when it exits 0. */
function runCheck(check: string, files: Record<string, string>): boolean {
  const dir = mkdtempSync(join(os.tmpdir(), "autofix-check-"));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    writeFileSync(join(dir, "check.cjs"), `${check}\n`);
    const result = spawnSync(process.execPath, ["--permission", `--allow-fs-read=${dir}`, "check.cjs"], { cwd: dir, timeout: 10_000, encoding: "utf8" });
    return result.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Row {
  name: string;
  context: string;
  chosen: string;
  hunks: string;
  pr: string;
  check: boolean;
  checkValid: boolean;
  ok: boolean;
}

async function runCase(c: EvalCase, proposer: (c: EvalCase) => FixProposer, index: number): Promise<Row> {
  const double = new GitHubDouble();
  const github = writerFor(double);
  const repo = `bench-autofix/${c.name}-${index}`;
  for (const [path, content] of Object.entries(c.files)) double.putFile(repo, path, content);
  const failing = double.refs(repo).find((r) => r.ref === "refs/heads/main")?.sha ?? "";
  double.putFile(repo, "CHANGELOG.md", "a later push: the failure happened at the commit before\n");
  const [owner = "", name = ""] = repo.split("/");
  const payload = kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name, ref: failing }, error: { message: c.failure.message, status: 500, category: "workflow" }, trigger: { repo: `${owner}/app` }, logLines: c.failure.logLines });
  const converted = toFailure("kernel.plugin_error", payload, { kernelStateId: "bench", receivedAt: new Date().toISOString(), settings: v.parse(Settings, {}) });
  if (converted.outcome !== "failure") throw new Error(`${c.name}: the event did not convert (${converted.outcome})`);
  const fp = [...new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(repo)))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const sample = { ...converted.failure, eventId: fp.slice(0, 32) };
  const view: ClusterView = { fingerprint: fp, grouping: "v2", repo, sample, latest: { occurredAt: sample.occurredAt, message: sample.message, status: sample.status }, total: 3, firstSeen: sample.occurredAt, lastSeen: sample.occurredAt, sinceComment: 0, sinceCommentFrom: sample.occurredAt, recent: [], refs: [] };

  const issue = await github.createIssue(repo, { title: `[daemon-hotfix] ${c.name}`, body: "bench", labels: [] });
  const analysis = await analyse(github, view, proposer(c), { maxRiskTier: "high" });
  const proposal = proposalOf(view, analysis);
  const confidence = confidenceOf(analysis);
  let pr = `none (confidence ${confidence.toFixed(2)} < ${MIN_CONFIDENCE})`;
  let after: Record<string, string> = { ...c.files };
  if (confidence >= MIN_CONFIDENCE) {
    const { tier, notes } = riskTier(proposal.files);
    const pull = await openPullRequest(github, { repo, view, issueNumber: issue.number, proposal, tier, riskNotes: notes, labels: [] });
    const changed = proposal.files.filter((f) => !f.path.startsWith(".daemon-hotfix/"));
    pr = `#${pull.number} draft, ${tier}; ${changed.length ? changed.map((f) => `\`${f.path}\``).join(", ") : "fixture only"}`;
    after = {};
    const head = await github.commitAt(repo, pull.branch);
    for (const file of (await github.treeFiles(repo, head.treeSha)).files) after[file.path] = double.fileAt(repo, pull.branch, file.path) ?? "";
  }
  const check = runCheck(c.check, after);
  const good = runCheck(c.check, { ...c.files, [c.fixed.path]: c.fixed.good });
  const bad = runCheck(c.check, { ...c.files, [c.fixed.path]: c.fixed.bad });
  const original = runCheck(c.check, c.files);
  // The check tells a good fix from a bad one; for the hostile case, the snapshot itself is "good" (nothing to change).
  const checkValid = good && !bad && (c.expectRefusal ? original : !original);
  const hunks = analysis.applied.ok ? `${analysis.applied.hunks} hunk(s), ${analysis.applied.newFiles} new file(s)` : `refused: ${analysis.applied.reasons.join("; ")}`;
  const ok = checkValid && check && (c.expectRefusal ? !analysis.applied.ok : analysis.applied.ok);
  return {
    name: c.name,
    context: analysis.files.map((f) => `\`${f.path}\` (${f.why}${f.truncated ? ", part" : ""})`).join(", "),
    chosen: analysis.chosen.length ? analysis.chosen.map((p) => `\`${p}\``).join(", ") : analysis.choiceProblem ? `— (${analysis.choiceProblem})` : "—",
    hunks,
    pr,
    check,
    checkValid,
    ok,
  };
}

function table(title: string, rows: Row[]): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    `### ${title}`,
    "",
    "| case | context files (why) | model chose | hunks applied | PR | check passed | check tells good from bad |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.name} | ${cell(r.context)} | ${cell(r.chosen)} | ${cell(r.hunks)} | ${cell(r.pr)} | ${r.check ? "yes" : "**no**"} | ${r.checkValid ? "yes" : "**no**"} |`),
    "",
    `${rows.filter((r) => r.ok).length} of ${rows.length} cases as expected (the fix applied and its check passed; the hostile case refused, its check passing on the untouched repo).`,
    "",
  ].join("\n");
}

const started = Date.now();
const scripted = [];
for (const [i, c] of CASES.entries()) scripted.push(await runCase(c, (x) => new ScriptedModel(x.script), i));
const sections = [table("Scripted model (offline)", scripted)];
const real = process.env.AUTOFIX_API_URL && process.env.AUTOFIX_MODEL ? { url: process.env.AUTOFIX_API_URL, model: process.env.AUTOFIX_MODEL, key: process.env.AUTOFIX_API_KEY ?? "" } : null;
let realRows: Row[] = [];
if (real) {
  for (const [i, c] of CASES.entries()) realRows.push(await runCase(c, () => new OpenAICompatibleProposer(real.url, real.model, real.key), i));
  sections.push(table(`Real endpoint: model \`${real.model}\``, realRows));
} else {
  sections.push("No real endpoint configured (set AUTOFIX_API_URL, AUTOFIX_MODEL and AUTOFIX_API_KEY to run the same cases against one).\n");
}
const doc = [
  "# Auto-fix evaluation (`npm run bench:autofix`)",
  "",
  `Written by \`bench/autofix/run.ts\` on ${new Date().toISOString().slice(0, 10)} in ${((Date.now() - started) / 1000).toFixed(1)} s (Node ${process.version}). The pipeline is the PR step's own code (workers/autofix/analyse.ts, shared/autofix/, open-pr.ts) against an in-process GitHub double; each case's check runs on the PR's branch in a \`node --permission\` child.`,
  "",
  ...sections,
].join("\n");
// BENCH_AUTOFIX_OUT: another file (the test of this bench writes to a temporary one).
writeFileSync(process.env.BENCH_AUTOFIX_OUT || join(HERE, "results.md"), doc);
console.log(doc);
const failed = [...scripted, ...realRows].filter((r) => !r.checkValid).length + scripted.filter((r) => !r.ok).length;
process.exit(failed ? 1 : 0);
