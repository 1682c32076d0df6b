/**
 * Control API of the double, on the same handle(), no auth, JSON:
 *   GET  / , GET /_double/                         HTML overview of every repo's issues
 *   POST /_double/reset
 *   GET  /_double/faults  POST /_double/faults {rule}  DELETE /_double/faults
 *   GET  /_double/calls[?repo=o/r]
 *   GET  /_double/issues?repo=o/r                 JSON array (without repo: { "o/r": [...] })
 *   POST /_double/issues/{owner}/{repo}/{number}/close  {reason?}
 *   POST /_double/issues/{owner}/{repo}/{number}/reopen
 *   POST /_double/missing {repo, missing?}
 *   POST /_double/config {searchLagMs?, incompleteResults?, secondaryLimitPerMinute?, secondaryLimitPerHour?}
 *   POST /_double/manifests {url, manifest} (or {url, json})
 *   GET  /_double/stats, GET /_double/violations
 *   POST /_double/app {appId, publicKeyPem, slug?}        configure the GitHub App (SPKI PEM public key)
 *   GET  /_double/app                                    {app: {appId, slug, botLogin} | null, installations: [...]}
 *   POST /_double/app/installations {installationId, owner, repos?, permissions?}   install the App
 *   DELETE /_double/app/installations/{installationId}   uninstall it (its tokens answer 401)
 *   POST /_double/app/expire-tokens                      every issued installation token expires now
 *   GET  /_double/pulls?repo=o/r                  pull requests as GitHub renders them (without repo: { "o/r": [...] })
 *   GET  /_double/refs?repo=o/r                   [{ ref: "refs/heads/main", sha }, ...]
 *   GET  /_double/file?repo=o/r&ref=x&path=p      the file's text (text/plain), 404 when absent; ref = branch, tag, full ref or sha
 *   POST /_double/repos/auto-merge {repo, allow}  the repo setting "Allow auto-merge" (default false)
 *   POST /_double/repos/homepage {repo, homepage}  the repo's website (GET /repos/{o}/{r} → homepage; null: none)
 *   POST /_double/repos/files {repo, path, content}  commits a file on the default branch (e.g. manifest.json)
 *   POST /_double/actions/runs {repo, runId, attempt?, headSha?, headBranch?, workflowName?, checkSuiteId?,
 *        jobs: [{name, conclusion?, paddingBytes?, steps: [{name, command?, conclusion?, log?: [lines]}],
 *        annotations: [{path, startLine, message, level?, title?}]}]}   a workflow run GitHub then serves (jobs, annotations, logs)
 *   POST /_double/check-runs {repo, id, name, conclusion?, headSha?, checkSuiteId?, title?, summary?, annotations}   a check run
 * JSON cannot carry Infinity: `times`, `searchLagMs` accept "Infinity" (or null) for it.
 * reset keeps manifests and the App (configuration, installations, issued tokens).
 */
import type { GitHubDouble } from "./double.ts";
import { checkRunSpecFromJson, runSpecFromJson } from "./actions-control.ts";
import { FAULT_KINDS } from "./faults.ts";
import type { FaultKind, FaultMatch, FaultRule } from "./faults.ts";
import { json, toResponse } from "./http.ts";
import type { Result } from "./http.ts";
import { isObject } from "./spec.ts";
import type { JsonObject } from "./spec.ts";
import { repoKey } from "./state.ts";

function bad(message: string): Result {
  return json(400, { message });
}

function num(value: unknown, infinite: boolean): number | undefined {
  if (typeof value === "number") return value;
  if (infinite && (value === null || value === "Infinity")) return Number.POSITIVE_INFINITY;
  return undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function faultFromJson(raw: JsonObject): FaultRule | string {
  const kind = raw.kind;
  if (typeof kind !== "string" || !FAULT_KINDS.includes(kind as FaultKind)) return `kind must be one of ${FAULT_KINDS.join(", ")}`;
  const rule: FaultRule = { kind: kind as FaultKind };
  if (isObject(raw.match)) {
    const match: FaultMatch = {};
    const method = str(raw.match.method);
    const path = str(raw.match.path);
    const repo = str(raw.match.repo);
    if (method !== undefined) match.method = method;
    if (path !== undefined) match.path = path;
    if (repo !== undefined) match.repo = repo;
    rule.match = match;
  }
  const status = num(raw.status, false);
  const retryAfterSeconds = num(raw.retryAfterSeconds, false);
  const resetInSeconds = num(raw.resetInSeconds, false);
  const hangMs = num(raw.hangMs, false);
  const times = "times" in raw ? num(raw.times, true) : undefined;
  const probability = num(raw.probability, false);
  if (status !== undefined) rule.status = status;
  if (retryAfterSeconds !== undefined) rule.retryAfterSeconds = retryAfterSeconds;
  if (resetInSeconds !== undefined) rule.resetInSeconds = resetInSeconds;
  if (hangMs !== undefined) rule.hangMs = hangMs;
  if (times !== undefined) rule.times = times;
  if (probability !== undefined) rule.probability = probability;
  return rule;
}

async function readJson(request: Request): Promise<JsonObject> {
  const text = await request.text();
  if (text.trim() === "") return {};
  const parsed: unknown = JSON.parse(text);
  return isObject(parsed) ? parsed : {};
}

export async function handleControl(double: GitHubDouble, request: Request, url: URL): Promise<Response> {
  try {
    return toResponse(await route(double, request, url));
  } catch (e) {
    return toResponse(bad(e instanceof Error ? e.message : String(e)));
  }
}

async function route(double: GitHubDouble, request: Request, url: URL): Promise<Result> {
  const method = request.method.toUpperCase();
  const path = url.pathname.replace(/\/+$/, "") || "/";
  if (method === "GET" && (path === "/" || path === "/_double")) return { status: 200, text: overview(double), contentType: "text/html; charset=utf-8" };
  const repo = url.searchParams.get("repo");
  switch (`${method} ${path}`) {
    case "POST /_double/reset":
      double.reset();
      return json(200, { ok: true });
    case "GET /_double/faults":
      return json(200, double.listFaults().map((r) => ({ ...r, times: r.times === Number.POSITIVE_INFINITY ? "Infinity" : r.times, match: r.match ? { ...r.match, path: r.match.path?.toString() } : undefined })));
    case "POST /_double/faults": {
      const rule = faultFromJson(await readJson(request));
      if (typeof rule === "string") return bad(rule);
      double.addFault(rule);
      return json(201, { ok: true });
    }
    case "DELETE /_double/faults":
      double.clearFaults();
      return json(200, { ok: true });
    case "GET /_double/calls":
      return json(200, repo ? double.calls.filter((c) => c.repo !== null && repoKey(c.repo) === repoKey(repo)) : double.calls);
    case "GET /_double/issues":
      if (repo) return json(200, double.issues(repo));
      return json(200, Object.fromEntries(double.repos().map((r) => [r, double.issues(r)])));
    case "POST /_double/missing": {
      const body = await readJson(request);
      const target = str(body.repo);
      if (!target) return bad("repo is required");
      double.markMissing(target, body.missing !== false);
      return json(200, { ok: true });
    }
    case "POST /_double/config": {
      const body = await readJson(request);
      const update: Parameters<GitHubDouble["configure"]>[0] = {};
      const lag = num(body.searchLagMs, true);
      const perMinute = num(body.secondaryLimitPerMinute, false);
      const perHour = num(body.secondaryLimitPerHour, false);
      if ("searchLagMs" in body && lag !== undefined) update.searchLagMs = lag;
      if (perMinute !== undefined) update.secondaryLimitPerMinute = perMinute;
      if (perHour !== undefined) update.secondaryLimitPerHour = perHour;
      if (typeof body.incompleteResults === "boolean") update.incompleteResults = body.incompleteResults;
      const config = double.configure(update);
      return json(200, { ...config, searchLagMs: Number.isFinite(config.searchLagMs) ? config.searchLagMs : "Infinity" });
    }
    case "POST /_double/manifests": {
      const body = await readJson(request);
      const target = str(body.url);
      if (!target) return bad("url is required");
      double.setManifest(target, "manifest" in body ? body.manifest : body.json);
      return json(200, { ok: true });
    }
    case "GET /_double/stats":
      return json(200, double.stats);
    case "GET /_double/violations":
      return json(200, double.violations);
    case "POST /_double/app": {
      const body = await readJson(request);
      const appId = typeof body.appId === "string" && /^\d+$/.test(body.appId) ? Number(body.appId) : num(body.appId, false);
      const publicKeyPem = str(body.publicKeyPem);
      if (appId === undefined) return bad("appId is required (a positive integer)");
      if (!publicKeyPem) return bad("publicKeyPem is required (SPKI PEM)");
      const slug = str(body.slug);
      double.configureApp(slug === undefined ? { appId, publicKeyPem } : { appId, publicKeyPem, slug });
      return json(200, { ok: true, app: double.appInfo() });
    }
    case "GET /_double/app":
      return json(200, { app: double.appInfo(), installations: double.appInstallations() });
    case "POST /_double/app/installations": {
      const body = await readJson(request);
      const installationId = num(body.installationId, false);
      const owner = str(body.owner);
      if (installationId === undefined) return bad("installationId is required (a positive integer)");
      if (!owner) return bad("owner is required");
      const target: Parameters<GitHubDouble["installApp"]>[1] = { owner };
      if (body.repos !== undefined && body.repos !== null) {
        if (!Array.isArray(body.repos) || !body.repos.every((r) => typeof r === "string")) return bad("repos must be an array of repo names");
        target.repos = body.repos.filter((r): r is string => typeof r === "string");
      }
      if (isObject(body.permissions)) {
        const permissions: Record<string, "read" | "write"> = {};
        for (const [name, level] of Object.entries(body.permissions)) {
          if (level !== "read" && level !== "write") return bad(`permissions.${name} must be "read" or "write"`);
          permissions[name] = level;
        }
        target.permissions = permissions;
      }
      double.installApp(installationId, target);
      return json(201, { ok: true });
    }
    case "POST /_double/app/expire-tokens":
      return json(200, { ok: true, expired: double.expireInstallationTokens() });
    case "GET /_double/pulls":
      if (repo) return json(200, double.pulls(repo));
      return json(200, Object.fromEntries(double.repos().map((r) => [r, double.pulls(r)])));
    case "GET /_double/refs":
      if (!repo) return bad("repo is required");
      return json(200, double.refs(repo));
    case "GET /_double/file": {
      const ref = url.searchParams.get("ref");
      const file = url.searchParams.get("path");
      if (!repo || !ref || !file) return bad("repo, ref and path are required");
      const content = double.fileAt(repo, ref, file);
      return content === null ? json(404, { message: `github-double control: no ${file} at ${ref} in ${repo}` }) : { status: 200, text: content, contentType: "text/plain; charset=utf-8" };
    }
    case "POST /_double/actions/runs": {
      const spec = runSpecFromJson(await readJson(request));
      if (typeof spec === "string") return bad(spec);
      return json(201, { jobs: double.addWorkflowRun(spec) });
    }
    case "POST /_double/check-runs": {
      const spec = checkRunSpecFromJson(await readJson(request));
      if (typeof spec === "string") return bad(spec);
      return json(201, double.addCheckRun(spec));
    }
    case "POST /_double/repos/auto-merge": {
      const body = await readJson(request);
      const target = str(body.repo);
      if (!target) return bad("repo is required");
      if (typeof body.allow !== "boolean") return bad("allow must be true or false");
      double.setAllowAutoMerge(target, body.allow);
      return json(200, { ok: true });
    }
    case "POST /_double/repos/homepage": {
      const body = await readJson(request);
      const target = str(body.repo);
      if (!target) return bad("repo is required");
      if (body.homepage !== null && typeof body.homepage !== "string") return bad("homepage must be a string or null");
      double.setHomepage(target, body.homepage);
      return json(200, { ok: true });
    }
    case "POST /_double/repos/files": {
      const body = await readJson(request);
      const target = str(body.repo);
      const file = str(body.path);
      const content = str(body.content);
      if (!target || !file || content === undefined) return bad("repo, path and content are required");
      double.putFile(target, file, content);
      return json(200, { ok: true });
    }
    default:
      break;
  }
  const uninstall = /^\/_double\/app\/installations\/(\d+)$/.exec(path);
  if (method === "DELETE" && uninstall) {
    return double.uninstallApp(Number(uninstall[1])) ? json(200, { ok: true }) : json(404, { message: `github-double control: no installation ${uninstall[1] ?? ""}` });
  }
  const state = /^\/_double\/issues\/([^/]+)\/([^/]+)\/(\d+)\/(close|reopen)$/.exec(path);
  if (method === "POST" && state) {
    const target = `${decodeURIComponent(state[1] ?? "")}/${decodeURIComponent(state[2] ?? "")}`;
    const number = Number(state[3]);
    if (state[4] === "reopen") return json(200, double.reopenIssue(target, number));
    const reason = str((await readJson(request)).reason) ?? "completed";
    if (reason !== "completed" && reason !== "not_planned" && reason !== "duplicate") return bad("reason must be completed, not_planned or duplicate");
    return json(200, double.closeIssue(target, number, reason));
  }
  return json(404, { message: `github-double control: no route for ${method} ${path}` });
}

function escape(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function overview(double: GitHubDouble): string {
  const sections = double.repos().map((repo) => {
    const rows = double
      .issues(repo)
      .map(
        (i) =>
          `<tr><td>#${escape(i.number)}</td><td>${escape(i.state)}</td><td>${escape(i.state_reason ?? "")}</td><td>${escape(i.title)}</td><td>${escape(i.comments)}</td></tr>`,
      )
      .join("");
    const link = `/_double/issues?repo=${encodeURIComponent(repo)}`;
    const pulls = double.pulls(repo);
    const pullRows = pulls
      .map((p) => {
        const head = typeof p.head === "object" && p.head !== null && "ref" in p.head ? p.head.ref : "";
        const labels = Array.isArray(p.labels) ? p.labels.map((l: unknown) => (typeof l === "object" && l !== null && "name" in l ? String(l.name) : "")).join(", ") : "";
        return `<tr><td>#${escape(p.number)}</td><td>${escape(p.state)}${p.draft === true ? " (draft)" : ""}</td><td>${escape(head)}</td><td>${escape(p.title)}</td><td>${escape(labels)}</td><td>${p.auto_merge ? "on" : "off"}</td></tr>`;
      })
      .join("");
    const pullTable = pulls.length
      ? `\n<h3>Pull requests <small><a href="${escape(`/_double/pulls?repo=${encodeURIComponent(repo)}`)}">JSON</a></small></h3>
<table><thead><tr><th>#</th><th>state</th><th>head</th><th>title</th><th>labels</th><th>auto-merge</th></tr></thead><tbody>${pullRows}</tbody></table>`
      : "";
    return `<h2>${escape(repo)} <small><a href="${escape(link)}">JSON</a></small></h2>
<table><thead><tr><th>#</th><th>state</th><th>state_reason</th><th>title</th><th>comments</th></tr></thead><tbody>${rows || '<tr><td colspan="5">no issues</td></tr>'}</tbody></table>${pullTable}`;
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>GitHub double</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}</style>
</head><body><h1>GitHub double</h1>
<p>${escape(double.calls.length)} calls, ${escape(double.writes().length)} writes, ${escape(double.violations.length)} spec violations. <a href="/_double/calls">calls</a> · <a href="/_double/stats">stats</a> · <a href="/_double/violations">violations</a></p>
${sections.join("\n") || "<p>No issues yet.</p>"}
</body></html>
`;
}
