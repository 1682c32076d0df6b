import { toJsonSchema } from "@valibot/to-json-schema";
import { LISTENERS } from "../../shared/convert";
import { Settings } from "../../shared/settings";

let configuration: Record<string, unknown> | undefined;

/** The settings' JSON schema, generated once from the one valibot schema. */
export function settingsJsonSchema(): Record<string, unknown> {
  configuration ??= toJsonSchema(Settings, { errorMode: "ignore" }) as Record<string, unknown>;
  return configuration;
}

/** The UbiquityOS manifest the kernel reads (`GET /manifest.json`). */
export function manifest(homepageUrl: string) {
  return {
    name: "daemon-hotfix",
    short_name: "ubiquity-os-marketplace/daemon-hotfix@main",
    description: "Turns plugin dispatch failures and failing CI runs into exactly one GitHub issue per distinct failure, in the plugin's repo.",
    "ubiquity:listeners": [...LISTENERS],
    commands: {},
    configuration: settingsJsonSchema(),
    skipBotEvents: false,
    homepage_url: homepageUrl,
  };
}
