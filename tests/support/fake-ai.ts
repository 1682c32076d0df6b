/**
 * A stand-in for an OpenAI-compatible chat-completions endpoint, for PR-mode tests (Node side, behind
 * miniflare's outboundService, host `ai.test`). Tests script its answers with `POST https://ai.test/_control`:
 * `{ "content": "<the message content the model returns>" }` or `{ "status": 500 }` — the answer to every task —
 * optionally per `model` (the AUTOFIX_MODEL a test passes, so test files running side by side keep their own
 * script) and per `task` (the json_schema name asked for: `file_choice`, `edit_proposal`). It records each request
 * (`GET https://ai.test/_requests?model=…`).
 */
type Answer = { content?: string; status?: number };

export class FakeAI {
  private fallback: Answer = { status: 503 };
  private readonly scripts = new Map<string, Answer>();
  readonly requests: Array<{ model: string; task: string; body: unknown }> = [];

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/_control" && request.method === "POST") {
      const control = (await request.json()) as Answer & { model?: string; task?: string };
      const answer: Answer = { ...(control.content !== undefined ? { content: control.content } : {}), ...(control.status !== undefined ? { status: control.status } : {}) };
      if (control.model === undefined) this.fallback = answer;
      else this.scripts.set(`${control.model}\n${control.task ?? "*"}`, answer);
      return Response.json({ ok: true });
    }
    if (url.pathname === "/_requests") {
      const model = url.searchParams.get("model");
      return Response.json(this.requests.filter((r) => model === null || r.model === model).map((r) => r.body));
    }
    if (url.pathname === "/v1/chat/completions" && request.method === "POST") {
      const body = (await request.json()) as { model?: string; response_format?: { json_schema?: { name?: string } } };
      const model = body.model ?? "";
      const task = body.response_format?.json_schema?.name ?? "";
      this.requests.push({ model, task, body });
      if (request.headers.get("authorization") !== "Bearer test-ai-key") return Response.json({ error: { message: "bad key" } }, { status: 401 });
      const answer = this.scripts.get(`${model}\n${task}`) ?? this.scripts.get(`${model}\n*`) ?? this.fallback;
      if (answer.status) return Response.json({ error: { message: "unavailable" } }, { status: answer.status });
      return Response.json({ id: "chatcmpl-test", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: answer.content ?? "" }, finish_reason: "stop" }] });
    }
    return Response.json({ error: { message: `fake AI: no route ${request.method} ${url.pathname}` } }, { status: 404 });
  }
}
