// Minimal check runner: each check is an async function that throws to fail. One line per check
// (PASS name / FAIL name: reason) and, last, "N passed, N failed" - the line scripts/test-all.sh adds up.
export class Harness {
  passed = 0;
  failed = 0;

  async check(name, fn) {
    const started = Date.now();
    try {
      const note = await fn();
      this.passed++;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`PASS ${name}${note ? ` (${note})` : ''} [${secs}s]`);
    } catch (e) {
      this.failed++;
      const reason = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' | ');
      console.log(`FAIL ${name}: ${reason}`);
    }
  }

  summary() {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    return this.failed === 0 ? 0 : 1;
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Collects problems and throws them all at once, so one run shows every mistake in a file. */
export class Problems {
  list = [];
  add(message) {
    this.list.push(message);
  }
  expect(condition, message) {
    if (!condition) this.add(message);
  }
  throwIfAny() {
    if (this.list.length > 0) throw new Error(this.list.join('; '));
  }
}
