// How a Herald program ends: SIGTERM (kubelet) or SIGINT (Ctrl-C) runs its graceful shutdown once; a second
// signal, or a shutdown stuck longer than `hardStopMs`, still ends the process. Exit 0 after a clean shutdown,
// 1 otherwise.

export interface ShutdownLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ShutdownOptions {
  readonly log: ShutdownLogger;
  /** A number, or asked when the signal arrives (a shutdown whose length depends on the state then). */
  readonly hardStopMs: number | (() => number);
  readonly shutdown: (signal: NodeJS.Signals) => Promise<void>;
}

export function exitOnSignals(o: ShutdownOptions): void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      o.log.error({ signal }, 'second signal during shutdown; exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    o.log.info({ signal }, 'signal received');
    const hardStopMs = typeof o.hardStopMs === 'number' ? o.hardStopMs : o.hardStopMs();
    setTimeout(() => {
      o.log.error({ afterMs: hardStopMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, hardStopMs).unref();
    o.shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        o.log.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** A promise nobody awaited failed: log it instead of letting Node end the process mid-reconcile. */
export function logUnhandledRejections(log: ShutdownLogger): void {
  process.on('unhandledRejection', (err) => log.error({ err: String(err) }, 'unhandled rejection'));
}
