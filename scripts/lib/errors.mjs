// Errors the CLI reports as one line on stderr (`daemon-hotfix: …`) and turns into an exit code.

/** Exit codes: 0 done, 1 the service refused or failed the operation, 2 usage, configuration or connection. */
export const EXIT = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2 });

/** An error whose message is written for the user, as is. */
export class CliError extends Error {
  /**
   * @param {string} message
   * @param {number} [exitCode]
   */
  constructor(message, exitCode = EXIT.FAILED) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** A mistake on the command line: reported with the usage of the command concerned, exit 2. */
export class UsageError extends CliError {
  /**
   * @param {string} message
   * @param {string} [command] the command whose usage to print ("dlq replay"); the CLI's own usage when absent
   */
  constructor(message, command) {
    super(message, EXIT.USAGE);
    this.name = "UsageError";
    this.command = command;
  }
}
