/** One-at-a-time section (landing commits on the run branch): callers queue in arrival order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(section: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await section();
    } finally {
      release();
    }
  }
}

export interface Schedulable {
  id: string;
  files: string[];
}

/**
 * Runs `work` over `items` with at most `jobs` at once. Invariant: two items that share a file
 * never run at the same time, and of those the earlier in `items` (higher benefit) runs first;
 * items with disjoint files run in parallel. `canStart` is asked before each start (max-changes,
 * abort); when it says no, nothing more starts and the running items finish.
 */
export async function schedule<T extends Schedulable>(items: T[], jobs: number, work: (item: T) => Promise<void>, canStart: () => boolean): Promise<void> {
  const pending = [...items];
  const busy = new Set<string>();
  let running = 0;
  let failure: unknown;
  await new Promise<void>((resolve) => {
    const pump = () => {
      const blocked = new Set<string>();
      for (let index = 0; index < pending.length && running < jobs && failure === undefined; index++) {
        const item = pending[index]!;
        const conflicts = item.files.some((file) => busy.has(file) || blocked.has(file));
        if (conflicts || !canStart()) {
          for (const file of item.files) blocked.add(file);
          if (!conflicts) break;
          continue;
        }
        pending.splice(index--, 1);
        running++;
        for (const file of item.files) busy.add(file);
        work(item)
          .catch((error: unknown) => (failure ??= error))
          .finally(() => {
            running--;
            for (const file of item.files) busy.delete(file);
            pump();
          });
      }
      if (running === 0) resolve();
    };
    pump();
  });
  if (failure !== undefined) throw failure;
}
