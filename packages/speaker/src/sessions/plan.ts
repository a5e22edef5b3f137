// Which BGP sessions to open, close or restart after a config or Node change. Only sessions whose own
// settings changed are touched: a change to one peer must never bounce another peer's session.

export interface SessionPlan {
  /** Newly selected peers: open a session. */
  readonly add: string[];
  /** Peers no longer configured or no longer selecting this node: close with Cease. */
  readonly remove: string[];
  /** Peers whose session-level settings changed (ASN, address, timers, …): close and reopen. */
  readonly restart: string[];
  /** Unchanged: leave the session alone (its uptime continues). */
  readonly keep: string[];
}

export function planSessions<P>(
  running: ReadonlyMap<string, P>,
  desired: ReadonlyMap<string, P>,
  sameSettings: (a: P, b: P) => boolean,
): SessionPlan {
  const plan: SessionPlan = { add: [], remove: [], restart: [], keep: [] };
  for (const [name, settings] of desired) {
    const current = running.get(name);
    if (current === undefined) plan.add.push(name);
    else if (sameSettings(current, settings)) plan.keep.push(name);
    else plan.restart.push(name);
  }
  for (const name of running.keys()) if (!desired.has(name)) plan.remove.push(name);
  for (const list of Object.values(plan)) list.sort();
  return plan;
}
