// One job at a time. Jobs submitted while one runs wait; when several wait,
// only the newest runs and every waiter gets its outcome.
export class Coalescer<T, R> {
  private running = false;
  private pending: { input: T; waiters: { resolve: (r: R) => void; reject: (e: unknown) => void }[] } | null = null;

  constructor(
    private readonly run: (input: T) => Promise<R>,
    /** how a newer input replaces a waiting one (default: it simply does) */
    private readonly merge: (waiting: T, newer: T) => T = (_w, newer) => newer,
  ) {}

  get busy(): boolean {
    return this.running;
  }

  submit(input: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.pending) {
        this.pending.input = this.merge(this.pending.input, input);
        this.pending.waiters.push({ resolve, reject });
      } else {
        this.pending = { input, waiters: [{ resolve, reject }] };
      }
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.pending) {
      const job = this.pending;
      this.pending = null;
      try {
        const result = await this.run(job.input);
        for (const w of job.waiters) w.resolve(result);
      } catch (err) {
        for (const w of job.waiters) w.reject(err);
      }
    }
    this.running = false;
  }
}
