/**
 * Is a token a random identifier (a nanoid, a deployment id, an API object id…) rather than a word, a name or a
 * version? Used by grouping v2 (./normalize-v2.ts), so FROZEN with it: a change re-keys v2 clusters. One pass
 * over the token, no regex.
 *
 * Random: 10 to 256 letters and digits (`_` and `-` allowed between them), with both letters and digits, and no
 * dictionary structure, which is any of
 * - many short runs: split at `_` `-` and at each change of lower case / upper case / digit (a Capitalised word is
 *   one run), at least 5 runs averaging under 3 characters;
 * - letters and digits interleaved: at least 3 changes between a letter and a digit (`fb7aub19bcxw`);
 * - an unpronounceable run: 5 lower-case consonants in a row (`kx7bdfgt9wpl`, y counted as a vowel; words rarely have more
 *   than 4, `instr`; upper case is left out: acronyms like `HTTPS` are all consonants).
 * Letters alone are random only in mixed case: at least 12 of them in 6 or more runs averaging under 2.5 characters,
 * or under 3 with two or more runs of capitals (`xSTnjBQSbsKdeeywVqlo`; camelCase has one capital per word).
 * Words (`permits_pkey`), identifiers (`text-conversation-rewards`), versions (`node-v20`, `gpt-4o-mini`) and
 * codes (`PGRST116`, `ERR_INVALID_ARG_TYPE`, `sha256WithRSAEncryption`) have none of these and stay.
 */
export function isRandomToken(token: string): boolean {
  if (token.length < 10 || token.length > 256) return false;
  let letters = 0;
  let digits = 0;
  let runs = 0;
  let runChars = 0;
  let letterDigitChanges = 0;
  let consonants = 0;
  let unpronounceable = false;
  // 0: a separator, 1: lower case, 2: upper case, 3: digit.
  let previous = 0;
  let runLength = 0;
  let capitalRuns = 0;
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    const kind = code >= 97 && code <= 122 ? 1 : code >= 65 && code <= 90 ? 2 : code >= 48 && code <= 57 ? 3 : 0;
    if (kind === 0) {
      if (code !== 95 && code !== 45) return false; // only _ and - join the parts of one token
      previous = 0;
      runLength = 0;
      consonants = 0;
      continue;
    }
    if (kind === 3) digits++;
    else letters++;
    if (previous !== 0 && (previous === 3) !== (kind === 3)) letterDigitChanges++;
    const continues = kind === previous || (previous === 2 && kind === 1 && runLength === 1);
    if (!continues) {
      runs++;
      runLength = 0;
    }
    runLength++;
    runChars++;
    if (kind === 2 && previous === 2 && runLength === 2) capitalRuns++;
    consonants = kind === 1 && isConsonant(code) ? (previous === 1 ? consonants + 1 : 1) : 0;
    if (consonants >= 5) unpronounceable = true;
    previous = kind;
  }
  if (letters === 0) return false;
  // Letters only: random when mixed-case runs are many and short (`TsBfkGLiDfKrnYOVHchAZ`, not `getUserIdByLogin`).
  if (digits === 0) return token.length >= 12 && runs >= 6 && (runChars / runs < 2.5 || (runChars / runs < 3 && capitalRuns >= 2));
  return (runs >= 5 && runChars / runs < 3) || letterDigitChanges >= 3 || unpronounceable;
}

function isConsonant(code: number): boolean {
  const lower = code | 0x20;
  return lower !== 97 && lower !== 101 && lower !== 105 && lower !== 111 && lower !== 117 && lower !== 121; // not a e i o u y
}
