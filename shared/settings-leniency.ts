import * as v from "valibot";
import { isPlainObject, mergeSettings, Settings } from "./settings";

/**
 * One problem with a `with:` block that did not cost the event: an unknown key (ignored) or an unusable value
 * (its default used instead).
 */
export interface SettingsWarning {
  /** Where, as the answer names it: `settings.windowMinutes`, `settings.issueLabels[2]`, `settings.pluginRepos["https://x"]`. */
  path: string;
  /** The metric label: the path with indexes as `[]` and record keys as `*`, unknown names made label-safe (`maxBodyChars`, `issueLabels[]`). */
  key: string;
  message: string;
}

/** A bound on what one event's settings can add to the answer and to the counters. */
export const MAX_WARNINGS = 20;
const MAX_NAME = 64;
const MAX_MESSAGE = 200;

type Segment = { name: string; kind: "key" | "index" | "entry" };

const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function displayPath(segments: readonly Segment[]): string {
  let path = "settings";
  for (const s of segments) {
    const name = clip(s.name.replace(controls, "?"), MAX_NAME);
    path += s.kind === "key" ? `.${name}` : s.kind === "index" ? `[${name}]` : `[${JSON.stringify(name)}]`;
  }
  return path;
}

function labelKey(segments: readonly Segment[]): string {
  let key = "";
  for (const s of segments) {
    if (s.kind === "index") key += "[]";
    else if (s.kind === "entry") key += "[*]";
    else key += `${key ? "." : ""}${s.name.replace(/[^A-Za-z0-9_$-]/g, "_").slice(0, MAX_NAME)}`;
  }
  return key || "(root)";
}

class Collector {
  readonly warnings: SettingsWarning[] = [];
  dropped = 0;
  add(segments: readonly Segment[], message: string): void {
    if (this.warnings.length >= MAX_WARNINGS) {
      this.dropped++;
      return;
    }
    this.warnings.push({ path: displayPath(segments), key: labelKey(segments), message: clip(message.replace(controls, " "), MAX_MESSAGE) });
  }
}

type Cleaned = { ok: true; value: unknown } | { ok: false; message: string };

const firstIssue = (issues: readonly v.BaseIssue<unknown>[]) => {
  const issue = issues[0];
  if (!issue) return "invalid";
  const at = v.getDotPath(issue);
  return at ? `${at}: ${issue.message}` : issue.message;
};

function check(schema: v.GenericSchema, value: unknown): Cleaned {
  const parsed = v.safeParse(schema, value);
  return parsed.success ? { ok: true, value } : { ok: false, message: firstIssue(parsed.issues) };
}

/** The schema an optional entry wraps (its default applies when the value is dropped). */
function unwrap(schema: v.GenericSchema): v.GenericSchema {
  return "wrapped" in schema && schema.type === "optional" ? (schema.wrapped as v.GenericSchema) : schema;
}

/**
 * The usable part of `value` for `schema`, as input: unknown object keys dropped, unusable object values,
 * array items and record entries dropped (each reported), so that what is kept parses and defaults fill the rest.
 */
function clean(schema: v.GenericSchema, value: unknown, at: Segment[], out: Collector): Cleaned {
  const inner = unwrap(schema);
  if ("entries" in inner && isPlainObject(value)) {
    const entries = inner.entries as Record<string, v.GenericSchema>;
    const kept: Array<[string, unknown]> = [];
    for (const [name, item] of Object.entries(value)) {
      const here: Segment[] = [...at, { name, kind: "key" }];
      if (!Object.hasOwn(entries, name)) {
        out.add(here, "unknown setting, ignored");
        continue;
      }
      if (item === undefined) continue;
      const cleaned = clean(entries[name] as v.GenericSchema, item, here, out);
      if (cleaned.ok) kept.push([name, cleaned.value]);
      else out.add(here, `${cleaned.message}; the default is used`);
    }
    // fromEntries defines own properties: a "__proto__" key can never reach a prototype.
    return check(inner, Object.fromEntries(kept));
  }
  if ("item" in inner && inner.type === "array" && Array.isArray(value)) {
    const kept: unknown[] = [];
    value.forEach((item: unknown, index) => {
      const here: Segment[] = [...at, { name: String(index), kind: "index" }];
      const cleaned = clean(inner.item as v.GenericSchema, item, here, out);
      if (cleaned.ok) kept.push(cleaned.value);
      else out.add(here, `${cleaned.message}; this item is ignored`);
    });
    return check(inner, kept);
  }
  if ("key" in inner && "value" in inner && inner.type === "record" && isPlainObject(value)) {
    const kept: Array<[string, unknown]> = [];
    for (const [name, item] of Object.entries(value)) {
      const here: Segment[] = [...at, { name, kind: "entry" }];
      const key = check(inner.key as v.GenericSchema, name);
      const cleaned = key.ok ? clean(inner.value as v.GenericSchema, item, here, out) : key;
      if (cleaned.ok) kept.push([name, cleaned.value]);
      else out.add(here, `${cleaned.message}; this entry is ignored`);
    }
    return check(inner, Object.fromEntries(kept));
  }
  return check(inner, value);
}

export interface LenientSettings {
  settings: Settings;
  warnings: SettingsWarning[];
}

/**
 * A `with:` block as a value: `null` and `""` are `{}`; anything else that is not a JSON object is unusable.
 */
function blockOf(text: string): Record<string, unknown> | null {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    return null;
  }
  if (parsed === null) return {};
  return isPlainObject(parsed) ? parsed : null;
}

/** The usable part of a `with:` block (an object) and the warnings about the rest. */
export function cleanSettingsBlock(block: Record<string, unknown>): { block: Record<string, unknown>; warnings: SettingsWarning[] } {
  const out = new Collector();
  const cleaned = clean(Settings, block, [], out);
  const kept = cleaned.ok && isPlainObject(cleaned.value) ? cleaned.value : {};
  if (!cleaned.ok) out.add([], `${cleaned.message}; every setting has its default`);
  if (out.dropped > 0) out.warnings.push({ path: "settings", key: "(more)", message: `${out.dropped} more warning${out.dropped === 1 ? "" : "s"} not listed` });
  return { block: kept, warnings: out.warnings };
}

/**
 * Settings from the event's `settings` string (the `with:` block) over the operator's defaults, read leniently:
 * never fails. Unknown keys are ignored and unusable values dropped, so the operator's default (else the
 * schema's) applies; every such case is a warning. The defaults must already be valid (`HOTFIX_CONFIG` is checked
 * strictly, as configuration).
 */
export function readSettingsLeniently(settingsText: string, defaults: Record<string, unknown>): LenientSettings {
  const block = blockOf(settingsText);
  if (!block) {
    return {
      settings: v.parse(Settings, defaults),
      warnings: [{ path: "settings", key: "(root)", message: "not a JSON object (the plugin's with: block); every setting has its default" }],
    };
  }
  const { block: usable, warnings } = cleanSettingsBlock(block);
  const merged = v.safeParse(Settings, mergeSettings(defaults, usable));
  if (merged.success) return { settings: merged.output, warnings };
  // Not reachable when the defaults are valid; kept so that this function can never throw on the kernel's input.
  return { settings: v.parse(Settings, defaults), warnings: [...warnings, { path: "settings", key: "(root)", message: `${firstIssue(merged.issues)}; every setting has its default` }] };
}

/** A warning as the answer lists it: `settings.<key>: …`. */
export function warningText(warning: SettingsWarning): string {
  return `${warning.path}: ${warning.message}`;
}
