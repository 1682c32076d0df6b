import type { CiCommit } from "./schema";

/**
 * "Broken between A and B": a breakage's first failing commit and the last passing commit before it, on the same
 * workflow and branch. Times are the runs' creation times, which follow the order commits were pushed.
 */
export interface BrokenBetween {
  firstRed: CiCommit;
  lastGreen?: CiCommit;
}

const ms = (iso: string) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/** The newest passing run's commit that started before `at`, from the greens a stream remembers. */
export function lastGreenBefore(greens: readonly CiCommit[], at: string): CiCommit | undefined {
  const limit = ms(at);
  let best: CiCommit | undefined;
  for (const green of greens) if (ms(green.at) < limit && (!best || ms(green.at) > ms(best.at))) best = green;
  return best;
}

/**
 * Folds one failing run into a breakage's "broken between": an earlier failing run moves the first red back
 * (with the green before it); a run whose last green is newer than the first red starts a new red streak (the
 * breakage was fixed in between and came back): both ends move. A passing run before the first red that was
 * learnt of only since (its success delivered after the failure) narrows the range: the last green moves up. Pure.
 */
export function foldBrokenBetween(current: BrokenBetween | undefined, red: CiCommit, lastGreen: CiCommit | undefined): BrokenBetween {
  const next: BrokenBetween = { firstRed: red, ...(lastGreen ? { lastGreen } : {}) };
  if (!current) return next;
  if (lastGreen && ms(lastGreen.at) > ms(current.firstRed.at)) return next;
  if (ms(red.at) < ms(current.firstRed.at)) return next;
  if (lastGreen && lastGreen.sha !== current.firstRed.sha && (!current.lastGreen || ms(lastGreen.at) > ms(current.lastGreen.at))) return { ...current, lastGreen };
  return current;
}

const SHA = /^[0-9a-f]{7,64}$/i;
const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** `https://github.com/{o}/{r}/compare/{lastGreen}...{firstRed}`, only from a valid repo name and SHAs. */
export function compareUrl(repo: string, between: BrokenBetween): string | undefined {
  const green = between.lastGreen?.sha;
  const red = between.firstRed.sha;
  if (!green || !SHA.test(green) || !SHA.test(red) || !REPO.test(repo) || green === red) return undefined;
  return `https://github.com/${repo}/compare/${green}...${red}`;
}
