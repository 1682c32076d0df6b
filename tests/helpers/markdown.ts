import { Lexer, type Token, type Tokens } from "marked";

/**
 * A markdown checker for rendered bodies (issue 13): lexes with marked (GFM, autolinks included) and lists every
 * live element daemon-hotfix did not write itself — mentions, links, images, headings, HTML.
 */

/** The only links a rendered body may hold: github.com pages rebuilt from validated owner/repo and numbers. */
const GITHUB_LINK = /^https:\/\/github\.com\/[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}\/(?:(?:issues|pull)\/\d+|actions\/runs\/\d+(?:\/(?:job|attempts)\/\d+)?|runs\/\d+|commit\/[0-9a-f]{7,40}|compare\/[0-9a-f]{7,40}\.\.\.[0-9a-f]{7,40})$/;
/** The HTML daemon-hotfix writes itself. */
const OUR_HTML = [/^<!-- daemon-hotfix:fingerprint=[0-9a-f]{40} -->\s*$/, /^<!-- daemon-hotfix:note=[0-9a-f]{40} -->\s*$/, /^<details><summary>Stored event \(redacted\)<\/summary>\s*$/, /^<\/details>\s*$/, /^<\/?sub>$/];
/** The headings daemon-hotfix writes, with their code spans (event text) taken out. */
const OUR_HEADINGS = new Set(["<code> is failing", "Error", "Log trail", "Correlation ids (latest first)", "Reproduce", "Suggested next actions", "What this adds", "Reasoning", "Risk: low", "Risk: medium", "Risk: high", "What broke", "Error annotations", "Log excerpt", "Broken between", "daemon-hotfix: root-cause hypothesis"]);
/** A GitHub mention (user or team) or an email that GitHub would autolink, in text outside code. */
const MENTION = /(?:^|[^A-Za-z0-9_`])@[A-Za-z0-9]/;

interface Finding {
  type: string;
  raw: string;
}

function headingText(tokens: readonly Token[]): string {
  return tokens.map((t) => (t.type === "codespan" ? "<code>" : "tokens" in t && t.tokens ? headingText(t.tokens) : "text" in t ? String(t.text) : "")).join("");
}

/** Every live element in a lexed document that daemon-hotfix did not write itself. */
export function liveElements(tokens: readonly Token[], found: Finding[] = []): Finding[] {
  for (const token of tokens) {
    switch (token.type) {
      case "code":
      case "codespan":
        continue; // inert: GitHub links, mentions and HTML nothing inside code
      case "link":
        if (!GITHUB_LINK.test((token as Tokens.Link).href)) found.push({ type: "link", raw: token.raw });
        continue; // link text is the URL itself
      case "image":
        found.push({ type: "image", raw: token.raw });
        continue;
      case "html":
        if (!OUR_HTML.some((pattern) => pattern.test(token.raw))) found.push({ type: "html", raw: token.raw });
        continue;
      case "heading":
        if (!OUR_HEADINGS.has(headingText((token as Tokens.Heading).tokens))) found.push({ type: "heading", raw: token.raw });
        break;
      case "text":
      case "escape":
        if (!("tokens" in token && token.tokens) && MENTION.test(token.raw.replace(/\\(.)/g, "$1"))) found.push({ type: "mention", raw: token.raw });
        break;
    }
    if ("tokens" in token && Array.isArray(token.tokens)) liveElements(token.tokens, found);
    if (token.type === "list") for (const item of (token as Tokens.List).items) liveElements(item.tokens, found);
    if (token.type === "table") {
      const table = token as Tokens.Table;
      for (const cellToken of [...table.header, ...table.rows.flat()]) liveElements(cellToken.tokens, found);
    }
  }
  return found;
}

export function lex(markdown: string): Token[] {
  return new Lexer({ gfm: true }).lex(markdown);
}

