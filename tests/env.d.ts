/// <reference types="@cloudflare/vitest-plugin/types" />
// Bindings that exist only in tests (vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** PKCS#8 PEM private half of the test kernel key; KERNEL_PUBLIC_KEY is its public half. */
    TEST_KERNEL_PRIVATE_KEY: string;
  }
}
