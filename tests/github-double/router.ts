/**
 * Matches a method + path to an operation of the spec by its path template. Literal segments beat
 * parameters (so /repos/{owner}/{repo}/issues/comments is never read as issue number "comments").
 * A last `{path}`, `{ref}`, `{branch}`... may span several segments, only when nothing matches segment by
 * segment (e.g. /repos/{owner}/{repo}/contents/{path}).
 */
import type { Operation } from "./spec.ts";

export interface RouteMatch {
  operation: Operation;
  params: Record<string, string>;
}

interface Segment {
  kind: 0 | 1 | 2; // 0 = parameter, 1 = mixed (e.g. {base}...{head}), 2 = literal
  literal: string;
  regex: RegExp | null;
  names: string[];
}

interface Route {
  operation: Operation;
  segments: Segment[];
}

/** Trailing parameters whose values may contain "/" (file paths, git refs, branch names). */
const SLASHED = new Set(["path", "ref", "branch", "dir", "file_path", "tag", "basehead", "name"]);

function compileSegment(text: string): Segment {
  const whole = /^\{([^}]+)\}$/.exec(text);
  if (whole) return { kind: 0, literal: "", regex: null, names: [whole[1] ?? ""] };
  if (!text.includes("{")) return { kind: 2, literal: text, regex: null, names: [] };
  const names: string[] = [];
  const source = text
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part);
      if (param) {
        names.push(param[1] ?? "");
        return "(.+?)";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  return { kind: 1, literal: "", regex: new RegExp(`^${source}$`), names };
}

function split(path: string): string[] {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? [] : trimmed.slice(1).split("/");
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export class Router {
  private readonly byMethod = new Map<string, Route[]>();

  constructor(operations: readonly Operation[]) {
    for (const operation of operations) {
      const routes = this.byMethod.get(operation.method) ?? [];
      routes.push({ operation, segments: split(operation.template).map(compileSegment) });
      this.byMethod.set(operation.method, routes);
    }
    for (const routes of this.byMethod.values()) {
      // Most specific first: compare segment kinds left to right (literal > mixed > parameter).
      routes.sort((a, b) => {
        const n = Math.min(a.segments.length, b.segments.length);
        for (let i = 0; i < n; i++) {
          const d = (b.segments[i]?.kind ?? 0) - (a.segments[i]?.kind ?? 0);
          if (d !== 0) return d;
        }
        return b.segments.length - a.segments.length;
      });
    }
  }

  match(method: string, path: string): RouteMatch | null {
    const routes = this.byMethod.get(method.toUpperCase()) ?? [];
    const parts = split(path);
    for (const greedy of [false, true]) {
      for (const route of routes) {
        const params = matchRoute(route.segments, parts, greedy);
        if (params) return { operation: route.operation, params };
      }
    }
    return null;
  }
}

function matchRoute(segments: Segment[], parts: string[], greedy: boolean): Record<string, string> | null {
  if (greedy ? parts.length <= segments.length : parts.length !== segments.length) return null;
  if (greedy && !SLASHED.has(segments[segments.length - 1]?.names[0] ?? "")) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (!segment) return null;
    const last = i === segments.length - 1;
    const raw = greedy && last ? parts.slice(i).join("/") : parts[i];
    if (raw === undefined || raw === "") return null;
    if (segment.kind === 2) {
      if (raw !== segment.literal) return null;
    } else if (segment.kind === 0) {
      params[segment.names[0] ?? ""] = greedy && last ? parts.slice(i).map(decode).join("/") : decode(raw);
    } else {
      const m = segment.regex?.exec(raw);
      if (!m) return null;
      segment.names.forEach((name, k) => {
        params[name] = decode(m[k + 1] ?? "");
      });
    }
  }
  return params;
}
