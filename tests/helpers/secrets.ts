/** One canary of each provider token kind issue 13 added (none of them real), keyed by kind. */
export const PROVIDER_CANARIES = {
  openai: "sk-proj-CANARYopenai0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
  anthropic: "sk-ant-api03-CANARYanthropic0123456789abcdefghijklmnopqrstuvwxyz-AA",
  stripe: "sk_live_CANARYstripe0123456789abcdef",
  stripeRestricted: "rk_live_CANARYstripeRestricted012345",
  google: "AIzaCANARYgoogle0123456789abcdefghijklm",
  slackApp: "xapp-1-A000CANARY-000000000000-CANARYslackApp0123456789",
  discordBot: "MTA0NjY1NjU0NzA3NjI3NDI5Mg.CANARY.CANARYdiscordBotHmac0123456789abcdef",
  discordWebhook: "https://discord.com/api/webhooks/1046656547076274292/CANARYdiscordWebhook0123456789",
  telegram: "110201543:AACANARYtelegram0123456789abcdefghijkl",
  npm: "npm_CANARYnpm0123456789abcdefghijklmnopqr",
  querySig: "https://blob.example/file.zip?sv=1&sig=CANARYquerySignature012345&se=2",
} as const;

/** The secret part of each canary (for a query, its value): what must never be seen, even in part. */
export const CANARY_SECRETS: Record<keyof typeof PROVIDER_CANARIES, string> = {
  ...PROVIDER_CANARIES,
  discordWebhook: "CANARYdiscordWebhook0123456789",
  querySig: "CANARYquerySignature012345",
};

/**
 * Whether `text` keeps the secret or its first `head` characters — what survives when a token is clipped
 * before it is redacted.
 */
export function leaksPartOf(secret: string, text: string, head = 10): boolean {
  return text.includes(secret.slice(0, Math.min(head, secret.length)));
}
