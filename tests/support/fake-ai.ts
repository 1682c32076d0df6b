/**
 * A stand-in for an OpenAI-compatible chat-completions endpoint, for PR-mode tests (Node side, behind
 * miniflare's outboundService, host `ai.test`). Tests choose its next answer with `POST https://ai.test/_control`:
 * `{ "content": "<the message content the model returns>" }` or `{ "status": 500 }`. It records each request.
 */
export class FakeAI {
  private answer: { content?: string; status?: number } = { status: 503 };
  readonly requests: unknown[] = [];

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/_control" && request.method === "POST") {
      this.answer = (await request.json()) as { content?: string; status?: number };
      return Response.json({ ok: true });
    }
    if (url.pathname === "/_requests") return Response.json(this.requests);
    if (url.pathname === "/v1/chat/completions" && request.method === "POST") {
      this.requests.push(await request.json());
      if (request.headers.get("authorization") !== "Bearer test-ai-key") return Response.json({ error: { message: "bad key" } }, { status: 401 });
      if (this.answer.status) return Response.json({ error: { message: "unavailable" } }, { status: this.answer.status });
      return Response.json({ id: "chatcmpl-test", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: this.answer.content ?? "" }, finish_reason: "stop" }] });
    }
    return Response.json({ error: { message: `fake AI: no route ${request.method} ${url.pathname}` } }, { status: 404 });
  }
}
