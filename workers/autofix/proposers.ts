import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { PatchProposal } from "../../shared/autofix/proposal";
import type { ClusterView } from "../../shared/cluster-view";
import type { Config } from "../config";

/** Something that proposes a fix for a failure. The answer is validated by the caller before use. */
export interface FixProposer {
  readonly name: string;
  /** A proposal (still to be validated), or why there is none. */
  propose(view: ClusterView): Promise<{ ok: true; answer: unknown } | { ok: false; reason: string }>;
}

/** The default: proposes nothing beyond the replay fixture (no AI involved). */
export class FixtureOnlyProposer implements FixProposer {
  readonly name = "fixture-only";
  async propose(): Promise<{ ok: true; answer: unknown }> {
    return { ok: true, answer: { summary: "Adds a replay fixture that reproduces the failure; no code change is proposed.", files: [], riskNotes: [] } };
  }
}

export const PROPOSER_TIMEOUT_MS = 30_000;

/**
 * An OpenAI-compatible chat-completions endpoint (URL, model and key from AUTOFIX_API_URL, AUTOFIX_MODEL,
 * AUTOFIX_API_KEY), asked for a structured patch (JSON schema generated from `PatchProposal`). What it does is
 * decided by the model from the failure it is shown — not by keyword rules here.
 */
export class OpenAICompatibleProposer implements FixProposer {
  readonly name = "openai-compatible";
  constructor(
    private readonly url: string,
    private readonly model: string,
    private readonly apiKey: string,
  ) {}

  async propose(view: ClusterView): Promise<{ ok: true; answer: unknown } | { ok: false; reason: string }> {
    const f = view.sample;
    const body = {
      model: this.model,
      messages: [
        {
          role: "system",
          content:
            "You propose minimal, safe fixes for failures of UbiquityOS plugins. Answer only with JSON matching the schema: a summary of your reasoning, the files to add or replace (full contents; prefer a regression test; paths relative to the repository root), and risk notes. Propose no change you are not confident in: an empty files list is a valid answer.",
        },
        { role: "user", content: JSON.stringify({ repo: view.repo, plugin: f.plugin, category: f.category, status: f.status, message: f.message, detail: f.detail, logTrail: f.logTrail, occurrences: view.total }) },
      ],
      response_format: { type: "json_schema", json_schema: { name: "patch_proposal", schema: toJsonSchema(PatchProposal, { errorMode: "ignore" }), strict: true } },
    };
    let res: Response;
    try {
      res = await fetch(`${this.url.replace(/\/+$/, "")}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.apiKey}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(PROPOSER_TIMEOUT_MS),
      });
    } catch (error) {
      return { ok: false, reason: `the proposer did not answer (${error instanceof Error ? error.name : "error"})` };
    }
    if (!res.ok) return { ok: false, reason: `the proposer answered HTTP ${res.status}` };
    const completion = v.safeParse(v.object({ choices: v.pipe(v.array(v.object({ message: v.object({ content: v.nullable(v.string()) }) })), v.minLength(1)) }), await res.json().catch(() => null));
    if (!completion.success) return { ok: false, reason: "the proposer's answer is not a chat completion" };
    const content = completion.output.choices[0]?.message.content ?? "";
    try {
      return { ok: true, answer: JSON.parse(content) as unknown };
    } catch {
      return { ok: false, reason: "the proposer's answer is not JSON" };
    }
  }
}

/** The configured proposer: the OpenAI-compatible one when AUTOFIX_API_URL and AUTOFIX_MODEL are set. */
export function proposerFor(autofix: Config["autofix"]): FixProposer {
  if (autofix) return new OpenAICompatibleProposer(autofix.apiUrl, autofix.model, autofix.apiKey);
  return new FixtureOnlyProposer();
}
