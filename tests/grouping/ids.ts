/**
 * Seeded generators of the identifiers that vary between occurrences of one failure, each in its real format:
 * what Cloudflare, GitHub, OpenAI, Supabase, Deno Deploy and AWS put in their error text.
 */
import { prng } from "../github-double/faults.ts";

export type Random = () => number;

export function ids(seed: number) {
  const random: Random = prng(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const from = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (n: number) => from("0123456789abcdef", n);
  const HEX = (n: number) => from("0123456789ABCDEF", n);
  const base62 = (n: number) => from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", n);
  const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  return {
    random,
    int,
    pick,
    hex,
    HEX,
    base62,
    digits: (n: number) => `${int(1, 9)}${from("0123456789", n - 1)}`,
    /** Cloudflare ray id: 16 hex, a dash, the data centre's IATA code. */
    ray: () => `${hex(16)}-${pick(["IAD", "SIN", "FRA", "LHR", "NRT", "SJC", "AMS", "GRU", "SYD", "CDG", "EWR", "ORD"])}`,
    /** GitHub's X-GitHub-Request-Id: five colon-separated upper-case hex groups. */
    githubRequestId: () => `${HEX(4)}:${HEX(int(4, 5))}:${HEX(int(6, 7))}:${HEX(int(6, 7))}:${HEX(8)}`,
    /** GitHub's current global node id: type prefix, `_`, base64url of a msgpack array (`kwDO`, `kgDO` …). */
    nodeId: (type: string) => `${type}_${pick(["kwDO", "kgDO"])}${from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", int(8, 14))}`,
    /** GitHub's legacy node id: base64 of `0<len>:<Type><id>`. */
    legacyNodeId: (type: string) => btoa(`0${type.length}:${type}${int(10_000_000, 2_000_000_000)}`),
    /** ULID: 10 characters of time, 16 of randomness, Crockford base32. */
    ulid: () => `${from("01", 1)}${from(crockford, 9)}${from(crockford, 16)}`,
    /** nanoid (21 characters of A-Za-z0-9_-). */
    nanoid: () => from("useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict", 21),
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`,
    ipv4: () => `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
    ipv6: () => `2606:4700:${hex(4)}::${hex(4)}:${hex(3)}`,
    /** Deno Deploy deployment id: 12 lower-case letters and digits. */
    denoDeployment: () => {
      const id = from("abcdefghijklmnopqrstuvwxyz0123456789", 12);
      return /\d/.test(id) ? id : `${id.slice(0, 11)}${int(0, 9)}`;
    },
    iso: () => new Date(Date.UTC(2026, 10, int(1, 28), int(0, 23), int(0, 59), int(0, 59), int(0, 999))).toISOString(),
    sha: () => hex(40),
    shortSha: () => {
      const s = hex(7);
      return /\d/.test(s) && /[a-f]/.test(s) ? s : `a${s.slice(1, 6)}1`;
    },
  };
}

export type Ids = ReturnType<typeof ids>;
