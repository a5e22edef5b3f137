// The announce loop: one BGP session (dialing out, or listening when passive), the planned routes in its
// Adj-RIB-Out, events printed as they happen. SIGHUP re-reads the options (a changed --prefixes-file becomes
// announcements and withdrawals); SIGINT/SIGTERM end the session with Cease/Administrative Shutdown.
import { type BgpSession, BgpSpeaker, formatPrefix, type Logger } from '@herald/bgp';
import pino from 'pino';
import { type AnnouncePlan, UsageError } from './options.ts';
import { type EventWriter, notificationFields } from './output.ts';

export interface AnnounceRuntime {
  readonly plan: AnnouncePlan;
  /** Re-derives the plan (SIGHUP); throws UsageError when the new input is invalid. */
  readonly replan: () => AnnouncePlan;
  readonly emit: EventWriter;
}

function routeKey(route: AnnouncePlan['routes'][number]): string {
  return formatPrefix(route.prefix);
}

function attachEvents(session: BgpSession, emit: EventWriter): void {
  session.on('stateChange', ({ from, to }) => emit('state', { from, to }));
  session.on('established', (n) =>
    emit('established', {
      peerAsn: n.peerAsn,
      peerRouterId: n.peerRouterId,
      localRouterId: n.localRouterId,
      holdTime: n.holdTime,
      keepaliveTime: n.keepaliveTime,
      families: n.families,
      fourOctetAsn: n.fourOctetAsn,
      routeRefresh: n.routeRefresh,
      extendedMessages: n.extendedMessages,
      ebgp: n.ebgp,
      ...(n.peerGracefulRestart ? { peerGracefulRestart: n.peerGracefulRestart } : {}),
    }),
  );
  session.on('notificationReceived', (n) => emit('notification-received', notificationFields(n)));
  session.on('notificationSent', (n) => emit('notification-sent', notificationFields(n)));
  session.on('routesReceived', (r) =>
    emit('routes-received', { afi: r.afi, announced: r.announced.length, withdrawn: r.withdrawn.length }),
  );
  session.on('endOfRib', ({ afi }) => emit('end-of-rib', { afi }));
  session.on('closed', ({ reason, wasEstablished }) => emit('closed', { reason, wasEstablished }));
  session.on('error', (err) => emit('error', { message: err.message }));
}

/** Resolves with the exit code once the session has been shut down by a signal. */
export async function runAnnounce({ plan, replan, emit }: AnnounceRuntime): Promise<number> {
  // Library logs go to stderr as pino JSON; stdout carries only our event lines.
  const logger: Logger = pino({ level: process.env.HERALD_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const speaker = new BgpSpeaker({ ...(plan.listen ? { listen: plan.listen } : {}), logger });
  speaker.on('connectionRejected', (r) => emit('connection-rejected', r));
  speaker.on('error', (err) => emit('error', { message: err.message }));
  const session = speaker.addPeer(plan.peer);
  attachEvents(session, emit);

  let current = new Map(plan.routes.map((r) => [routeKey(r), r]));
  for (const route of current.values()) session.announce(route.prefix, route.attributes);
  emit('announcing', {
    peer: plan.peer.peerAddress,
    prefixes: current.size,
    ...(current.size <= 20 ? { routes: [...current.keys()] } : {}),
  });

  if (plan.listen) {
    const bound = await speaker.listen();
    emit('listening', {
      address: bound?.address ?? plan.listen.address,
      port: bound?.port ?? plan.listen.port,
    });
  }
  session.start();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onHangup = () => {
      let next: AnnouncePlan;
      try {
        next = replan();
      } catch (err) {
        // Keep announcing what we have: the last good input stays in force.
        emit('reload-failed', { message: err instanceof UsageError ? err.message : String(err) });
        return;
      }
      const nextRoutes = new Map(next.routes.map((r) => [routeKey(r), r]));
      let withdrawn = 0;
      for (const [key, route] of current) {
        if (!nextRoutes.has(key) && session.withdraw(route.prefix)) withdrawn++;
      }
      for (const route of nextRoutes.values()) session.announce(route.prefix, route.attributes);
      current = nextRoutes;
      emit('reloaded', { prefixes: current.size, withdrawn });
    };
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) {
        emit('shutdown-forced', { signal });
        resolve(1);
        return;
      }
      stopping = true;
      emit('shutdown', { signal });
      speaker
        .close({ subcode: 'administrative-shutdown', communication: 'heraldctl stopped' })
        .then(() => {
          emit('stopped', {});
          resolve(0);
        })
        .catch((err: unknown) => {
          emit('error', { message: `shutdown: ${String(err)}` });
          resolve(1);
        });
    };
    process.on('SIGHUP', onHangup);
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
  });
}
