// The announce loop: one BGP session (dialing out, or listening when passive), the planned routes in its
// Adj-RIB-Out, events printed as they happen. SIGHUP re-reads the options (a changed --prefixes-file becomes
// announcements and withdrawals); SIGINT/SIGTERM end the session with Cease/Administrative Shutdown.
// With --bfd a BFD session runs beside it, on this thread (heraldctl has nothing else to do, and its single
// executable carries no worker script): BFD Down closes BGP with Cease/BFD Down, and a stop takes BFD
// AdminDown first.
import { BfdService, diagnosticName } from '@herald/bfd';
import { type BgpSession, BgpSpeaker, type Logger, PeerConfigError } from '@herald/bgp';
import { bfdMicroseconds, formatPrefix } from '@herald/inet';
import { createLogger } from '@herald/kube/process';
import { bgpSockets, nativeSupport, openUdpSocket } from '@herald/native';
import { type AnnounceBfd, type AnnouncePlan, optionFor, UsageError } from './options.ts';
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
  session.on('connectFailed', ({ kind, reason }) => emit('connect-failed', { kind, reason }));
  session.on('connectionRefused', (r) => emit('connection-refused', r));
  session.on('error', (err) => emit('error', { message: err.message }));
}

const BFD_SESSION = 'peer';

/** Starts BFD beside `session` and couples it (RFC 5882 §4.3: Down closes BGP, the peer's AdminDown does not). */
function startBfd(bfd: AnnounceBfd, plan: AnnouncePlan, session: BgpSession, emit: EventWriter): BfdService {
  const service = new BfdService({ isolation: 'inline', udp: { openUdpSocket } });
  service.on('stateChange', (c) => {
    emit('bfd-state', {
      from: c.from,
      to: c.to,
      diagnostic: diagnosticName(c.diagnostic),
      ...(c.peerAdminDown ? { peerAdminDown: true } : {}),
    });
    if (c.from === 'Up' && c.to === 'Down' && !c.peerAdminDown) session.bfdDown();
  });
  service.on('log', (l) => {
    if (l.level === 'warn' || l.level === 'error') emit('bfd-error', { message: l.msg, ...l.fields });
  });
  service.add({
    id: BFD_SESSION,
    peerAddress: plan.peer.peerAddress,
    ...(bfd.localAddress ? { localAddress: bfd.localAddress } : {}),
    multihop: bfd.multihop,
    parameters: {
      desiredMinTxInterval: bfdMicroseconds(bfd.minTransmitMs),
      requiredMinRxInterval: bfdMicroseconds(bfd.minReceiveMs),
      detectMult: bfd.multiplier,
    },
  });
  emit('bfd-started', {
    multihop: bfd.multihop,
    minReceiveMs: bfd.minReceiveMs,
    minTransmitMs: bfd.minTransmitMs,
    multiplier: bfd.multiplier,
  });
  return service;
}

/** Resolves with the exit code once the session has been shut down by a signal. */
export async function runAnnounce({ plan, replan, emit }: AnnounceRuntime): Promise<number> {
  if (plan.bfd) {
    const support = nativeSupport();
    if (!support.ok)
      throw new Error(`--bfd needs native socket support, which is unavailable: ${support.reason}`);
  }
  // Library logs go to stderr as pino JSON; stdout carries only our event lines.
  const logger: Logger = createLogger({ level: process.env.HERALD_LOG_LEVEL ?? 'warn', fd: 2 });
  // The native socket layer carries --password-file, --ttl-security, --ebgp-multihop, --bind-interface.
  const speaker = new BgpSpeaker({
    ...(plan.listen ? { listen: plan.listen } : {}),
    logger,
    sockets: bgpSockets,
  });
  speaker.on('connectionRejected', (r) => emit('connection-rejected', { ...r }));
  speaker.on('error', (err) => emit('error', { message: err.message }));
  let session: BgpSession;
  try {
    session = speaker.addPeer(plan.peer);
  } catch (err) {
    // Valid options this machine cannot carry out (no native socket layer here): name the options.
    if (!(err instanceof PeerConfigError)) throw err;
    throw new Error(err.issues.map((i) => `${optionFor(i.path)}: ${i.reason}`).join('; '));
  }
  attachEvents(session, emit);
  const bfd = plan.bfd ? startBfd(plan.bfd, plan, session, emit) : undefined;

  let current = new Map(plan.routes.map((r) => [routeKey(r), r]));
  for (const route of current.values()) session.announce(route.prefix, route.attributes);
  emit('announcing', {
    peer: plan.peer.peerAddress,
    transport: session.transport(),
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
      // BFD first: the router hears AdminDown, not a failure, before BGP goes (RFC 5882 §3.2).
      (bfd ? bfd.adminDown() : Promise.resolve())
        .then(() => speaker.close({ subcode: 'administrative-shutdown', communication: 'heraldctl stopped' }))
        .then(() => bfd?.close())
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
