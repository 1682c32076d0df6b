/** Public entry of the GitHub double (Node only: ajv needs `new Function`, which workerd forbids). */
export { GitHubDouble } from "./double.ts";
export type { AppConfig, AuthKind, InstallationTarget, Permissions } from "./app.ts";
export type { CallEntry, ConfigUpdate, DoubleIssue, DoublePull, GitHubDoubleOptions } from "./double.ts";
export type { FaultKind, FaultMatch, FaultRule } from "./faults.ts";
export type { DoubleConfig, DoubleStats } from "./operations.ts";
export { startServer } from "./server.ts";
export type { RunningServer } from "./server.ts";
export { loadSpec } from "./spec.ts";
export { BOT_LOGIN, DEV_LOGIN, MAINTAINER_LOGIN } from "./state.ts";
