/**
 * Glob → RegExp for matching plugin ids, categories and messages: `*` any run of characters (slashes
 * included, since plugin ids are URLs), `?` one character, everything else literal; case-insensitive,
 * anchored at both ends.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const char of glob) {
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "i");
}

export function globMatch(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}
