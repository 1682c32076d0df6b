import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import type { ModelPrompt } from "../../shared/autofix/prompt";
import type { AutofixConfig } from "../config";

/** What a proposer is asked for: a prompt and the JSON schema its answer must follow (generated from a valibot schema). */
export interface ModelTask {
  /** The schema's name (`file_choice`, `edit_proposal`). */
  name: string;
  prompt: ModelPrompt;
  schema: v.GenericSchema;
}

/** A model's answer: JSON still to be validated by the caller (never anything to execute), or why there is none. */
export type ModelAnswer = { ok: true; answer: unknown } | { ok: false; reason: string };

/**
 * Something that answers a task with structured JSON: the OpenAI-compatible endpoint or Workers AI, both behind
 * this one interface. `name` and `model` are shown in every note and PR it contributes to.
 */
export interface FixProposer {
  readonly name: string;
  readonly model: string;
  ask(task: ModelTask): Promise<ModelAnswer>;
}

export const PROPOSER_TIMEOUT_MS = 30_000;

/** The JSON schema of a task (strict objects: `additionalProperties: false`, every property required). */
export function jsonSchemaOf(task: ModelTask): Record<string, unknown> {
  return toJsonSchema(task.schema, { errorMode: "ignore" }) as Record<string, unknown>;
}

function parseJson(content: string): ModelAnswer {
  try {
    return { ok: true, answer: JSON.parse(content) as unknown };
  } catch {
    return { ok: false, reason: "the proposer's answer is not JSON" };
  }
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : "error");

/**
 * An OpenAI-compatible chat-completions endpoint (AUTOFIX_API_URL, AUTOFIX_MODEL, AUTOFIX_API_KEY), asked for a
 * structured answer (`response_format: json_schema`, strict).
 */
export class OpenAICompatibleProposer implements FixProposer {
  readonly name = "openai-compatible";
  constructor(
    private readonly url: string,
    readonly model: string,
    private readonly apiKey: string,
  ) {}

  async ask(task: ModelTask): Promise<ModelAnswer> {
    const body = {
      model: this.model,
      messages: [
        { role: "system", content: task.prompt.system },
        { role: "user", content: task.prompt.user },
      ],
      response_format: { type: "json_schema", json_schema: { name: task.name, schema: jsonSchemaOf(task), strict: true } },
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
      return { ok: false, reason: `the proposer did not answer (${errorName(error)})` };
    }
    if (!res.ok) return { ok: false, reason: `the proposer answered HTTP ${res.status}` };
    const completion = v.safeParse(v.object({ choices: v.pipe(v.array(v.object({ message: v.object({ content: v.nullable(v.string()) }) })), v.minLength(1)) }), await res.json().catch(() => null));
    if (!completion.success) return { ok: false, reason: "the proposer's answer is not a chat completion" };
    return parseJson(completion.output.choices[0]?.message.content ?? "");
  }
}

/** The part of the `AI` binding used here: `run(model, input)` (typed loosely: any model's name is accepted). */
export interface AiRunner {
  run(model: string, input: Record<string, unknown>): Promise<unknown>;
}

/**
 * Cloudflare Workers AI through the `AI` binding (`AUTOFIX_PROVIDER=workers-ai`), in JSON mode
 * (`response_format: {type: "json_schema", json_schema}`). Its answer's `response` is the JSON (an object, or a
 * string to parse).
 */
export class WorkersAIProposer implements FixProposer {
  readonly name = "workers-ai";
  constructor(
    private readonly ai: AiRunner,
    readonly model: string,
  ) {}

  async ask(task: ModelTask): Promise<ModelAnswer> {
    let out: unknown;
    try {
      const run = this.ai.run(this.model, {
        messages: [
          { role: "system", content: task.prompt.system },
          { role: "user", content: task.prompt.user },
        ],
        response_format: { type: "json_schema", json_schema: jsonSchemaOf(task) },
        max_tokens: 4_096,
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DOMException("timed out", "TimeoutError")), PROPOSER_TIMEOUT_MS);
      });
      out = await Promise.race([run, timeout]).finally(() => clearTimeout(timer));
    } catch (error) {
      return { ok: false, reason: `Workers AI failed (${errorName(error)})` };
    }
    const parsed = v.safeParse(v.object({ response: v.unknown() }), out);
    if (!parsed.success || parsed.output.response === undefined || parsed.output.response === null) return { ok: false, reason: "Workers AI's answer has no response" };
    const response = parsed.output.response;
    return typeof response === "string" ? parseJson(response) : { ok: true, answer: response };
  }
}

/** The configured proposer, or null when none is (`configOf(env).autofix`). */
export function proposerFor(autofix: AutofixConfig | null, env: Pick<Env, "AI">): FixProposer | null {
  if (!autofix) return null;
  if (autofix.provider === "workers-ai") return env.AI ? new WorkersAIProposer(env.AI as unknown as AiRunner, autofix.model) : null;
  return new OpenAICompatibleProposer(autofix.apiUrl, autofix.model, autofix.apiKey);
}
