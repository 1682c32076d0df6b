import { describe, expect, it } from "vitest";
import { readLogTrail } from "../../shared/convert/log-trail";
import { blankPemBlocks, createRedactor, MAX_SCAN, REDACTED } from "../../shared/redact";

const redact = createRedactor();

describe("redaction of secrets in text", () => {
  const secrets: Array<[string, string, string]> = [
    ["classic PAT", "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
    ["OAuth token", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c838347Ae178B4a"],
    ["user-to-server token", "x=ghu_16C7e42F292c6912E7710c838347Ae178B4a", "ghu_16C7e42F292c6912E7710c838347Ae178B4a"],
    ["installation token", "using ghs_16C7e42F292c6912E7710c838347Ae178B4a now", "ghs_16C7e42F292c6912E7710c838347Ae178B4a"],
    ["refresh token", "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498", "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498"],
    ["fine-grained PAT", "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW", "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW"],
    ["JWT", "jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ1Ym9zIn0.c2lnbmF0dXJl end", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ1Ym9zIn0.c2lnbmF0dXJl"],
    ["Bearer credential", "Authorization failed for Bearer abc123def456ghi789", "abc123def456ghi789"],
    ["Basic credential", "sent Basic dXNlcjpwYXNzd29yZA== to server", "dXNlcjpwYXNzd29yZA=="],
    ["token credential", "header token 9f8e7d6c5b4a39281706f5e4d3c2b1a0 rejected", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"],
    ["PEM private key", "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7\nabc\n-----END RSA PRIVATE KEY----- done", "MIIEpAIBAAKCAQEA1c7"],
    ["PKCS#8 key cut off", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"],
    ["AWS access key id", "aws AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"],
    ["Slack bot token", "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
    ["Slack webhook", "post to https://hooks.slack.com/services/T000/B000/XXXXXXXX now", "T000/B000/XXXXXXXX"],
    ["password= pair", "connect password=hunter2-secret&user=x", "hunter2-secret"],
    ["secret: pair", "client_secret: s3cr3tValue", "s3cr3tValue"],
    ["token= in a query", "GET /cb?access_token=abcDEF123456&state=1", "abcDEF123456"],
    ["JSON-ish api key", '{"api_key": "k-9988776655"}', "k-9988776655"],
    ["URL userinfo", "fetch https://bot:pa55word@example.com/repo.git failed", "pa55word"],
    ["Authorization header", "Authorization: Bearer sk-live-1234", "sk-live-1234"],
    // Issue 13: provider tokens that were not redacted before.
    ["OpenAI key", "openai said 401 for sk-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst", "sk-abcdefghijklmnopqrst"],
    ["OpenAI project key", "key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_-Ab3dEf6hIj9kLm2nOp5q in use", "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"],
    ["Anthropic key", "ANTHROPIC sk-ant-api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z-AA", "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"],
    ["Stripe secret key", "stripe: sk_live_51HqLyjWDarjtT1zdp7dcXYZ rejected", "51HqLyjWDarjtT1zdp7dcXYZ"],
    ["Stripe restricted key", "rk_live_51HqLyjWDarjtT1zdp7dcXYZ", "51HqLyjWDarjtT1zdp7dcXYZ"],
    ["Stripe test key", "(sk_test_4eC39HqLyjWDarjtT1zdp7dc)", "4eC39HqLyjWDarjtT1zdp7dc"],
    ["Google API key", "maps failed: AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "SyD-9tSrke72PouQMnMX"],
    ["Slack app token", "xapp-1-A0123456789-0123456789012-abcdef0123456789", "A0123456789-0123456789012"],
    ["Slack user token", "xoxp-123456789012-123456789012-123456789012-abcdef0123456789abcdef0123456789", "abcdef0123456789abcdef"],
    ["Discord bot token", "discord login MTA0NjY1NjU0NzA3NjI3NDI5Mg.GhJk3L.abcdefghijklmnopqrstuvwxyz0123456789AB failed", "abcdefghijklmnopqrstuvwxyz0123456789AB"],
    ["Discord webhook", "POST https://discord.com/api/webhooks/1046656547076274292/Ab3dEf6hIj9kLm2nOp5q-Rs8tUv1wXy4z 429", "Ab3dEf6hIj9kLm2nOp5q"],
    ["Telegram bot token", "telegram 110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw 401", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"],
    ["Telegram bot URL", "GET https://api.telegram.org/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"],
    ["npm token", "//registry.npmjs.org/:_authToken=npm_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z0123", "npm_Ab3dEf6hIj9kLm2nOp5q"],
    ["?key= query value", "GET https://maps.example/api?key=k29sh2jsa&q=paris", "k29sh2jsa"],
    ["sig= query value", "GET https://blob.example/x.zip?sv=2021&sig=Zm9vYmFyYmF6%2Bqux%3D&se=2026", "Zm9vYmFyYmF6"],
    ["signature= query value", "https://s3.example/o?X-Amz-Signature=abc123def456", "abc123def456"],
    ["code= query value", "callback /oauth?code=4f8a9c&state=xyz", "4f8a9c"],
    ["secret= query value", "/hook?secret=opensesame", "opensesame"],
    ["high-entropy value under a weak key", "session: Zk3Hq9wLmP2xVb7TnR4c", "Zk3Hq9wLmP2xVb7TnR4c"],
    ["high-entropy JSON value under a weak key", '{"webhookSig": "a8F3kL0pQz7xW2mN9vB4"}', "a8F3kL0pQz7xW2mN9vB4"],
  ];

  it.each(secrets)("removes a %s", (_name, text, secret) => {
    const out = redact.string(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  const harmless: Array<[string, string]> = [
    ["a kernel dispatch error", "HTTP (target: https://command-start-stop-main.deno.dev) 500: Unexpected error"],
    ["a GitHub docs link", "Not Found - https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"],
    ["prose about tokens", "Basic authentication failed: token expired"],
    ["a workflow message", 'Workflow "compute.yml" not found on default branch "main" for ubiquity-os-marketplace/text-conversation-rewards'],
    ["an author field", "author=octocat committed"],
    ["a Cloudflare error code", "error code: 1101"],
    ["a low-entropy value under a weak key", "missing key: manifest"],
    ["a status in a query", "GET https://x.example/p?page=2&status=500"],
    ["a plugin URL on a task host", "https://task-runner.example/sk-learn"],
  ];
  it.each(harmless)("leaves %s alone", (_name, text) => {
    expect(redact.string(text)).toBe(text);
  });

  it("removes the input's own authToken and ubiquityKernelToken wherever they appear, whatever their form", () => {
    const own = createRedactor(["plain-looking-installation-token-value", "kernel.jwt.value-12345"]);
    const out = own.value({ a: "x plain-looking-installation-token-value y", nested: [{ b: "kernel.jwt.value-12345" }] });
    expect(JSON.stringify(out)).not.toContain("plain-looking-installation-token-value");
    expect(JSON.stringify(out)).not.toContain("kernel.jwt.value-12345");
  });

  it("replaces values under secret-named keys, and keeps other values", () => {
    const out = redact.value({ authToken: "abc", password: "p", nested: { Authorization: "x", name: "daemon" }, list: ["ok"] });
    expect(out).toEqual({ authToken: REDACTED, password: REDACTED, nested: { Authorization: REDACTED, name: "daemon" }, list: ["ok"] });
  });

  it("redacts values under secret-like keys of JSON, always for secret names, when random for weak ones", () => {
    const out = redact.value({ apiKey: "short", sessionId: "Zk3Hq9wLmP2xVb7TnR4c", code: "ERR_TIMEOUT", nested: { hash: "9f8e7d6c5b4a39281706" } });
    expect(out).toEqual({ apiKey: REDACTED, sessionId: REDACTED, code: "ERR_TIMEOUT", nested: { hash: REDACTED } });
  });

  it("bounds a string before any pattern runs, never keeping half a token at the cut", () => {
    const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    const text = `${"x ".repeat((MAX_SCAN - 10) / 2)}${token} tail`;
    const out = redact.string(text);
    expect(out.length).toBeLessThan(MAX_SCAN + 80);
    expect(out).not.toContain("ghp_");
    expect(out).toMatch(/more characters dropped before redaction\)$/);
  });

  it("removes a PEM key logged across lines (log lines as array items) whole, its body lines too", () => {
    const body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCanaryPemBody";
    const lines = ["deploying", "-----BEGIN RSA PRIVATE KEY-----", body, "Zm9vYmFy", "-----END RSA PRIVATE KEY-----", "Error: deploy failed"];
    expect(blankPemBlocks(lines)).toEqual(["deploying", REDACTED, REDACTED, REDACTED, REDACTED, "Error: deploy failed"]);
    // Cut off before its END line: blanked to the end.
    expect(blankPemBlocks(["-----BEGIN PRIVATE KEY-----", body])).toEqual([REDACTED, REDACTED]);
    expect(JSON.stringify(redact.value({ logTrail: { lines } }))).not.toContain(body);
    expect(readLogTrail(lines).lines).toEqual(["deploying", REDACTED, REDACTED, REDACTED, REDACTED, "Error: deploy failed"]);
  });

  it("remembers text it found clean without changing any answer: a request's own secrets are still replaced in it", () => {
    const text = `deploy failed for run ${Math.random()}: opaque-value-1234abcd`;
    // Found clean, and remembered as such…
    expect(createRedactor().string(text)).toBe(text);
    expect(createRedactor().string(text)).toBe(text);
    // …but this request's own token is replaced in it all the same.
    expect(createRedactor(["opaque-value-1234abcd"]).string(text)).toBe(`deploy failed for run ${text.split(" ")[4]} ${REDACTED}`);
    // Text with a secret is never remembered as clean: redacted every time.
    const leaky = `token ghp_${"a".repeat(30)}${Math.random().toString(36).slice(2)} leaked`;
    for (let i = 0; i < 3; i++) expect(createRedactor().string(leaky)).toBe(`token ${REDACTED} leaked`);
  });

  it("is idempotent", () => {
    const once = redact.string("password=abc123 Bearer abcdefgh1234 ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    expect(redact.string(once)).toBe(once);
  });
});
