import type { Reporter, SerializedError, TestModule, TestRunEndReason, Vitest } from "vitest/node";

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts a run. Passed and skipped are tests. Failed is every way the run failed, each counted once: a failed test;
 * an error outside any test — a module that failed to load, a `beforeAll`/`afterAll` of a module or a suite that
 * threw (the tests behind a failed `beforeAll` did not run: they count as skipped); an unhandled error (a project
 * whose worker crashed shows up here or on its module). A run vitest calls failed or interrupted never counts 0
 * failed.
 */
export function summarise(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, reason: TestRunEndReason): Summary {
  const summary: Summary = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
  for (const module of testModules) {
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") summary.passed += 1;
      else if (state === "failed") summary.failed += 1;
      else summary.skipped += 1;
    }
    summary.failed += module.errors().length;
    for (const suite of module.children.allSuites()) summary.failed += suite.errors().length;
  }
  if (reason !== "passed" && summary.failed === 0) summary.failed = 1;
  return summary;
}

/** The plain line CI reads: `N passed, M failed` (plus `, K skipped` when any). */
export function summaryLine({ passed, failed, skipped }: Summary): string {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}

/**
 * Ends every run with the summary line. `vitest run` prints it as the process exits, when the exit code is known,
 * so the line is the last one and its verdict agrees with the exit code: a run that exits non-zero for a reason no
 * test shows (a crash after the tests, a failing global teardown) says `1 failed`, never `0 failed`. In watch mode
 * each run prints its own line.
 */
export default class SummaryReporter implements Reporter {
  private last: Summary | undefined;
  private atExit = false;

  onInit(vitest: Vitest): void {
    this.atExit = !vitest.config.watch;
    if (this.atExit) process.once("exit", (code) => this.printAtExit(code));
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    this.last = summarise(testModules, unhandledErrors, reason);
    if (!this.atExit) process.stdout.write(`\n${summaryLine(this.last)}\n`);
  }

  private printAtExit(code: number): void {
    if (!this.last && code === 0) return;
    const summary = { ...(this.last ?? { passed: 0, failed: 0, skipped: 0 }) };
    if (code !== 0 && summary.failed === 0) summary.failed = 1;
    process.stdout.write(`\n${summaryLine(summary)}\n`);
  }
}
