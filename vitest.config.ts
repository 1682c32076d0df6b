import { generateKeyPairSync } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** A kernel key pair made for this run: tests sign like the kernel with the private half. */
function kernelKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
}

const queue = (deadLetterQueue?: string) => ({
  maxBatchSize: 10,
  maxBatchTimeout: 0,
  maxRetries: 3,
  retryDelay: 0,
  ...(deadLetterQueue ? { deadLetterQueue } : {}),
});

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const keys = kernelKeyPair();
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // Pinned so a developer's .dev.vars never changes what tests see.
          bindings: {
            TEST_MIGRATIONS: migrations,
            TEST_KERNEL_PRIVATE_KEY: keys.privateKey,
            KERNEL_PUBLIC_KEY: keys.publicKey,
            GITHUB_API_URL: "https://api.github.test",
            GITHUB_TOKEN: "",
            APP_ID: "",
            APP_PRIVATE_KEY: "",
            ADMIN_TOKEN: "test-admin-token",
            HOTFIX_CONFIG: "{}",
            BOT_LOGIN: "daemon-hotfix[bot]",
            PUBLIC_URL: "https://daemon-hotfix.example.test",
            RATE_LIMIT_PER_MINUTE: "600",
            RATE_LIMIT_BURST: "120",
          },
          queueConsumers: {
            "daemon-hotfix-events": queue("daemon-hotfix-dlq"),
            "daemon-hotfix-dlq": queue(),
          },
          // Tests run offline: any outbound fetch the code makes is answered here, never by the network.
          outboundService: (request: Request) =>
            new Response(JSON.stringify({ message: `offline test: no route for ${request.method} ${request.url}` }), { status: 599 }),
        },
      }),
    ],
    test: {
      include: ["tests/**/*.test.ts"],
      setupFiles: ["./tests/setup/apply-migrations.ts"],
      reporters: ["default", "./tests/reporters/summary.ts"],
      testTimeout: 30_000,
    },
  };
});
