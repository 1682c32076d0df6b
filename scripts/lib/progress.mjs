// Progress of a bulk operation on stderr: one `\r`-rewritten line on a terminal, else one line per item.

export class Progress {
  /**
   * @param {string} verb "replayed", "purged"
   * @param {number} total
   * @param {NodeJS.WriteStream} [stream]
   */
  constructor(verb, total, stream = process.stderr) {
    this.verb = verb;
    this.total = total;
    this.done = 0;
    this.stream = stream;
    this.tty = Boolean(stream.isTTY);
  }

  /**
   * One more item handled.
   * @param {string} id
   * @param {string} status what became of it ("replayed", "already_replayed", "not_found", …)
   */
  tick(id, status) {
    this.done += 1;
    const counter = `${this.verb} ${this.done}/${this.total}`;
    if (this.tty) this.stream.write(`\r\x1b[2K${counter}`);
    else this.stream.write(`${counter} ${id} ${status}\n`);
  }

  /** Ends the `\r` line, if any. */
  end() {
    if (this.tty && this.done > 0) this.stream.write("\n");
  }
}
