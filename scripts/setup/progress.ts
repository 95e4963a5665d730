// One line per set-up step with its duration, so long first runs show where time goes.
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  process.stdout.write(`setup: ${name} ...\n`);
  try {
    const result = await fn();
    process.stdout.write(`setup: ${name} ok (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (err) {
    process.stdout.write(`setup: ${name} FAILED\n`);
    throw err;
  }
}

export function note(message: string): void {
  process.stdout.write(`setup:   ${message}\n`);
}
