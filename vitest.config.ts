import { generateKeyPairSync } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { GitHubDouble } from "./tests/github-double/index.ts";
import { FakeAI } from "./tests/support/fake-ai.ts";

/** A kernel key pair made for this run: tests sign like the kernel with the private half. */
function kernelKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
}

const queue = (deadLetterQueue?: string, maxBatchSize = 10) => ({
  maxBatchSize,
  maxBatchTimeout: 0,
  maxRetries: 10,
  retryDelay: 0,
  ...(deadLetterQueue ? { deadLetterQueue } : {}),
});

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const keys = kernelKeyPair();

  /**
   * A project of tests inside workerd, in front of its own GitHub double (in Node: every outbound fetch of the
   * Worker and of the tests reaches it). Tests keep to their own repos, so files running side by side do not see
   * each other's issues.
   */
  const workersProject = (name: string, include: string[], options: { exclude?: string[]; bindings?: Record<string, string>; github: GitHubDouble; testTimeout?: number }) => {
    const ai = new FakeAI();
    return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        // Offline: wrangler.toml's [ai] binding (Workers AI is always remote) is not connected; tests pass a fake `AI`.
        remoteBindings: false,
        miniflare: {
          // Pinned so a developer's .dev.vars never changes what tests see.
          bindings: {
            TEST_MIGRATIONS: migrations,
            TEST_KERNEL_PRIVATE_KEY: keys.privateKey,
            KERNEL_PUBLIC_KEY: keys.publicKey,
            GITHUB_API_URL: "https://api.github.test",
            GITHUB_TOKEN: "ghp_testTokenForTheGitHubDouble000000000",
            APP_ID: "",
            APP_PRIVATE_KEY: "",
            ADMIN_TOKEN: "test-admin-token",
            HOTFIX_CONFIG: "{}",
            // The test operator's policy: cadence floors low enough for tests that watch updates happen (the floors
            // themselves are tested with their defaults), PR mode allowed in the repos of the PR-mode tests.
            HOTFIX_POLICY: JSON.stringify({ minUpdateIntervalSeconds: 0, minWindowMinutes: 1, prRepos: ["acme/fix*"] }),
            BOT_LOGIN: "daemon-hotfix[bot]",
            PUBLIC_URL: "https://daemon-hotfix.example.test",
            RATE_LIMIT_PER_MINUTE: "600",
            RATE_LIMIT_BURST: "120",
            GITHUB_WRITES_PER_MINUTE: "80",
            GITHUB_WRITES_PER_HOUR: "500",
            // Test speed: writes 50 ms apart, 1 s timeouts, retries after 1 s. Budget tests set their own.
            GITHUB_WRITE_SPACING_MS: "50",
            GITHUB_TIMEOUT_MS: "1000",
            RETRY_BASE_SECONDS: "1",
            // Counters written per request, so a test reads them at once (the batching has a test of its own).
            METRICS_FLUSH_SECONDS: "0",
            ...options.bindings,
          },
          queueConsumers: {
            // As deployed (wrangler.toml): the counting consumer takes 100 a batch.
            "daemon-hotfix-events": queue("daemon-hotfix-dlq", 100),
            "daemon-hotfix-writes": queue(),
            "daemon-hotfix-ci": queue(),
            "daemon-hotfix-dlq": queue(),
          },
          // Tests run offline: every outbound fetch is answered here — the fake AI at ai.test, GitHub (and plugin
          // manifests) by the double — never by the network.
          outboundService: (request: Request) => (new URL(request.url).hostname === "ai.test" ? ai.handle(request) : options.github.handle(request)),
        },
      }),
    ],
    test: {
      name,
      include,
      exclude: options.exclude ?? [],
      setupFiles: ["./tests/setup/apply-migrations.ts"],
      testTimeout: options.testTimeout ?? 30_000,
    },
  };
  };

  // The workers project's files run in parallel against one double with one token: GitHub's limits (80 writes a
  // minute, 500 an hour) and the service's write budget would be shared by every test file, and a file's issue
  // would wait behind another's (a budget test sets its own token and limits; the chaos suite keeps GitHub's).
  const github = new GitHubDouble({ secondaryLimitPerMinute: 100_000, secondaryLimitPerHour: 1_000_000 });
  github.warmUp();
  const workers = workersProject("workers", ["tests/**/*.test.ts"], {
    exclude: ["tests/github-double/**", "tests/cli/**", "tests/browser/**", "tests/chaos/**", "tests/node/**", "tests/reporters/**"],
    github,
    bindings: { GITHUB_WRITES_PER_MINUTE: "100000", GITHUB_WRITES_PER_HOUR: "1000000" },
  });
  // The chaos suite has a GitHub of its own (seeded faults; GitHub's 80/min limit applies to its token alone).
  const chaos = workersProject("chaos", ["tests/chaos/**/*.test.ts"], {
    github: new GitHubDouble({ seed: 20261124 }),
    bindings: { GITHUB_TOKEN: "ghp_chaosTokenForItsOwnGitHubDouble000000", RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_BURST: "100000" },
    testTimeout: 900_000,
  });
  return {
    test: {
      reporters: ["default", "./tests/reporters/summary.ts"],
      projects: [
        workers,
        chaos,
        // In Node: the GitHub double's own tests (ajv compiles validators with `new Function`, which workerd forbids),
        // the CLI and the summary reporter (child processes; the reporter's fixtures in tests/reporters/fixtures run only
        // under their own config), the ReDoS checker (a worker thread), and the dashboard in a real browser against
        // `wrangler dev`.
        {
          test: {
            name: "node",
            include: ["tests/github-double/**/*.test.ts", "tests/cli/**/*.test.ts", "tests/node/**/*.test.ts", "tests/reporters/*.test.ts"],
            exclude: ["tests/reporters/fixtures/**"],
            environment: "node",
          },
        },
        { test: { name: "browser", include: ["tests/browser/**/*.test.ts"], environment: "node", testTimeout: 120_000, hookTimeout: 180_000 } },
      ],
    },
  };
});
