// Usage texts: the CLI's, and one per command (`daemon-hotfix <command> --help`).

const GLOBAL = `Global flags:
  --url URL        the service (default: $DAEMON_HOTFIX_URL, else http://127.0.0.1:8787)
  --token TOKEN    admin bearer token (default: $DAEMON_HOTFIX_TOKEN, else ADMIN_TOKEN from ./.dev.vars)
  --json           machine-readable output on stdout
  -h, --help       this help; \`daemon-hotfix <command> --help\` for a command's
  --version        print the version`;

/** @type {Record<string, string>} */
export const USAGE = {
  "": `Usage: daemon-hotfix [global flags] <command> [args]

Operate a daemon-hotfix service: its dead letters, its failure clusters, and local replays of events.

Commands:
  dlq list [--repo R] [--plugin P] [--all] [--limit N]       list dead letters (unreplayed; --all: every one)
  dlq show <id>                                              one dead letter, with its body
  dlq replay <id> [--force]                                  put one dead letter back on the queue
  dlq replay --all [--repo R] [--plugin P] [--force]         replay every matching dead letter
  dlq purge <id>                                             delete one dead letter
  dlq purge --all [--repo R] [--plugin P] --yes              delete every matching dead letter
  clusters [--repo R] [--plugin P] [--state S] [--limit N]   list failure clusters
  clusters show <fingerprint>                                one cluster
  replay <event.json> [--event NAME] [--key FILE] [--settings JSON] [--fresh]
                                                             sign an event like the kernel and POST it to <url>/

${GLOBAL}

Exit status: 0 done; 1 the service refused or failed the operation; 2 usage, configuration or connection error.`,

  dlq: `Usage: daemon-hotfix dlq <list|show|replay|purge> [args]

  dlq list [--repo R] [--plugin P] [--all] [--limit N]
  dlq show <id>
  dlq replay <id> [--force]
  dlq replay --all [--repo R] [--plugin P] [--force]
  dlq purge <id>
  dlq purge --all [--repo R] [--plugin P] --yes

\`daemon-hotfix dlq <subcommand> --help\` for details.

${GLOBAL}`,

  "dlq list": `Usage: daemon-hotfix dlq list [--repo R] [--plugin P] [--all] [--limit N]

Lists dead letters in the order the service gives them, following every page.
  --repo R      only dead letters of this target repo (owner/name)
  --plugin P    only dead letters of this plugin
  --all         include dead letters already replayed (default: only those not replayed)
  --limit N     show at most N

${GLOBAL}`,

  "dlq show": `Usage: daemon-hotfix dlq show <id>

Prints one dead letter, with its (redacted) body, as JSON.

${GLOBAL}`,

  "dlq replay": `Usage: daemon-hotfix dlq replay <id> [--force]
       daemon-hotfix dlq replay --all [--repo R] [--plugin P] [--force]

Puts dead letters back on the events queue.
  --all         every matching dead letter not yet replayed (progress on stderr, then "replayed N, skipped M")
  --repo R      with --all: only this target repo
  --plugin P    with --all: only this plugin
  --force       replay even if already replayed (with --all: includes the replayed ones)

${GLOBAL}`,

  "dlq purge": `Usage: daemon-hotfix dlq purge <id>
       daemon-hotfix dlq purge --all [--repo R] [--plugin P] --yes

Deletes dead letters for good.
  --all         every matching dead letter, replayed or not (progress on stderr, then "purged N, skipped M")
  --repo R      with --all: only this target repo
  --plugin P    with --all: only this plugin
  --yes         required with --all: confirms the deletion

${GLOBAL}`,

  clusters: `Usage: daemon-hotfix clusters [--repo R] [--plugin P] [--state S] [--limit N]
       daemon-hotfix clusters show <fingerprint>

Lists failure clusters (one per fingerprint, one GitHub issue each), following every page.
  --repo R      only clusters of this target repo (owner/name)
  --plugin P    only clusters of this plugin
  --state S     only clusters in this state
  --limit N     show at most N

${GLOBAL}`,

  "clusters show": `Usage: daemon-hotfix clusters show <fingerprint>

Prints one cluster as JSON.

${GLOBAL}`,

  replay: `Usage: daemon-hotfix replay <event.json> [--event NAME] [--key FILE] [--settings JSON] [--fresh]

Reproduces a failure locally: signs the event (a stored, redacted payload; "-" reads stdin) exactly as the
kernel does and POSTs the plugin inputs to <url>/ (no admin token needed). Exit 0 when the answer is 2xx.
  --event NAME      event name (default kernel.plugin_error)
  --key FILE        PKCS#8 PEM kernel private key (default .dev/kernel-private.pem, made by \`npm start\`)
  --settings JSON   the with: block (default {})
  --fresh           give the event a new request id and the current time (as send-sample does), so the
                    service counts a new occurrence instead of answering "duplicate delivery"

${GLOBAL}`,
};

/**
 * The usage text of a command ("" for the CLI's).
 * @param {string} [command]
 */
export function usage(command = "") {
  return USAGE[command] ?? USAGE[""];
}
