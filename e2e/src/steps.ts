// Named steps: the test bed's start-up and the system test's scenarios are sequences of steps, each with a
// name a reader (and a failure message) can follow. A failing step's error starts with the step's name.

export type Step = <T>(name: string, run: () => Promise<T>) => Promise<T>;

/** Steps that report each name to `progress` as they start (the lab prints them; tests stay quiet). */
export function steps(progress: (line: string) => void = () => undefined): Step {
  return async (name, run) => {
    progress(name);
    try {
      return await run();
    } catch (err) {
      if (err instanceof Error) {
        // Keep the error itself (jest's assertion details live on it); the stack repeats the message.
        const named = `step "${name}": ${err.message}`;
        if (err.stack?.includes(err.message)) err.stack = err.stack.replace(err.message, named);
        err.message = named;
        throw err;
      }
      throw new Error(`step "${name}": ${String(err)}`);
    }
  };
}

/** The quiet default. */
export const step: Step = steps();
