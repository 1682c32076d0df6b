// Lets a Node script import the Worker's shared TypeScript (`shared/…`) as it is: Node strips the types, and this
// hook resolves the extensionless relative imports the TypeScript sources use (`./settings` → `./settings.ts`,
// `./convert` → `./convert/index.ts`). Only for files of this repo; everything else resolves as usual.
import { registerHooks } from "node:module";

const ROOT = new URL("../../", import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    if (!relative || !context.parentURL?.startsWith(ROOT) || /\.[cm]?[jt]s$/.test(specifier)) return nextResolve(specifier, context);
    for (const candidate of [`${specifier}.ts`, `${specifier}/index.ts`]) {
      try {
        return nextResolve(candidate, context);
      } catch {
        // try the next form
      }
    }
    return nextResolve(specifier, context);
  },
});
