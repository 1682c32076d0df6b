import { toJsonSchema } from "@valibot/to-json-schema";
import { LISTENERS } from "./convert";
import { Settings } from "./settings";

/** `short_name` when `MANIFEST_SHORT_NAME` is not set: the marketplace's daemon-hotfix repo. */
export const DEFAULT_MANIFEST_SHORT_NAME = "ubiquity-os-marketplace/daemon-hotfix@main";

let configuration: Record<string, unknown> | undefined;

/**
 * The settings' JSON schema, generated once from the one valibot schema. Open objects (no
 * `additionalProperties: false`): an unknown key is accepted — ignored, and named in the answer's warnings — so the
 * schema says so too, and a config written for the upstream prototype (`maxBodyChars`) is not flagged invalid.
 */
export function settingsJsonSchema(): Record<string, unknown> {
  configuration ??= toJsonSchema(Settings, { errorMode: "ignore" }) as Record<string, unknown>;
  return configuration;
}

export interface ManifestOptions {
  /** Where the kernel POSTs: the Worker's public URL. */
  homepageUrl: string;
  /** `owner/repo@ref` of daemon-hotfix's own repo. */
  shortName: string;
}

/**
 * The UbiquityOS manifest: served at `GET /manifest.json`, and — since the kernel reads a GitHub-keyed plugin's
 * manifest from its repo, not from the worker — written by `npm run manifest` as the `manifest.json` to commit in
 * the daemon-hotfix repo. Both come from here.
 */
export function manifest(options: ManifestOptions) {
  return {
    name: "daemon-hotfix",
    short_name: options.shortName,
    description: "Turns plugin dispatch failures and failing CI runs into exactly one GitHub issue per distinct failure, in the plugin's repo.",
    "ubiquity:listeners": [...LISTENERS],
    commands: {},
    configuration: settingsJsonSchema(),
    skipBotEvents: false,
    homepage_url: options.homepageUrl,
  };
}
