import { CURRENT_GROUPING, type GroupingVersion } from "./versions";

/** When this deployment took a grouping version into use, and which version it replaced (null: none to carry over). */
export interface GroupingUpgrade {
  version: GroupingVersion;
  previous: GroupingVersion | null;
  startedAtMs: number;
}

/** The grouping versions an event is hashed under now. */
export interface ActiveGrouping {
  current: GroupingVersion;
  /** The previous version while its transition lasts: its clusters are still consulted. */
  previous: GroupingVersion | null;
  /** When the transition ends (null: none running). */
  transitionEndsMs: number | null;
}

export const DEFAULT_TRANSITION_DAYS = 30;
const DAY_MS = 86_400_000;

/** No upgrade to carry over: only the current version. */
export const NO_TRANSITION: GroupingUpgrade = { version: CURRENT_GROUPING, previous: null, startedAtMs: 0 };

/** Which versions apply at `nowMs` (pure; the clock is the caller's): the previous one only until its transition ends. */
export function activeGrouping(upgrade: GroupingUpgrade, transitionDays: number, nowMs: number): ActiveGrouping {
  if (upgrade.previous === null || upgrade.previous === upgrade.version) return { current: upgrade.version, previous: null, transitionEndsMs: null };
  const endsMs = upgrade.startedAtMs + transitionDays * DAY_MS;
  return nowMs < endsMs ? { current: upgrade.version, previous: upgrade.previous, transitionEndsMs: endsMs } : { current: upgrade.version, previous: null, transitionEndsMs: null };
}
