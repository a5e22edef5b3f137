// The layer-2 part of `heraldctl status`: one row per node (is it ready, its mesh, what it answers for) and
// one row per L2 address (who announces it, and whether every speaker agrees — two answers are a split brain).
// Pure: results in, rows out.
import type { SpeakerResult, SpeakerStatus } from './types.ts';

type L2Speaker = SpeakerStatus & { readonly l2: NonNullable<SpeakerStatus['l2']> };

function l2Speakers(results: readonly SpeakerResult[]): L2Speaker[] {
  return results.flatMap((r) => (r.ok && r.status.l2?.enabled ? [r.status as L2Speaker] : []));
}

export function hasL2(results: readonly SpeakerResult[]): boolean {
  return l2Speakers(results).length > 0;
}

export const l2NodeColumns = ['NODE', 'L2', 'MESH', 'ANSWERING', 'INTERFACES', 'PROBLEM'] as const;

export function l2NodeRows(results: readonly SpeakerResult[]): string[][] {
  return l2Speakers(results)
    .map((s) => {
      const l2 = s.l2;
      if (!l2.member) return [s.node, 'not selected', '-', '-', '-', ''];
      const alive = l2.mesh.peers.filter((p) => p.state === 'alive' && p.ready).length;
      const answering = l2.interfaces.reduce((n, i) => n + i.answering, 0);
      const interfaces = l2.interfaces
        .map((i) => `${i.name} (${i.error ? 'error' : i.up ? 'up' : 'down'})`)
        .join(', ');
      const conflicts = l2.conflicts?.length
        ? `conflict: ${l2.conflicts.at(-1)!.address} also at ${l2.conflicts.at(-1)!.mac}`
        : '';
      return [
        s.node,
        l2.ready ? 'ready' : 'NOT READY',
        `${alive}/${l2.mesh.peers.length} peers`,
        String(answering),
        interfaces || '-',
        l2.notReady[0] ?? conflicts,
      ];
    })
    .sort((a, b) => a[0]!.localeCompare(b[0]!));
}

export const l2AddressColumns = ['ADDRESS', 'ANNOUNCER', 'SERVICES', 'SPEAKERS AGREE'] as const;

interface AddressView {
  services: readonly string[];
  /** announcer (or '-') → nodes that see it so */
  views: Map<string, string[]>;
}

function addressViews(speakers: readonly L2Speaker[]): Map<string, AddressView> {
  const out = new Map<string, AddressView>();
  for (const s of speakers) {
    if (!s.l2.member) continue;
    for (const a of s.l2.addresses) {
      let v = out.get(a.address);
      if (!v) {
        v = { services: a.services, views: new Map() };
        out.set(a.address, v);
      }
      const who = a.announcer ?? '-';
      v.views.set(who, [...(v.views.get(who) ?? []), s.node]);
    }
  }
  return out;
}

export function l2AddressRows(results: readonly SpeakerResult[]): string[][] {
  const speakers = l2Speakers(results);
  const members = speakers.filter((s) => s.l2.member).length;
  const rows: string[][] = [];
  for (const [address, v] of addressViews(speakers)) {
    const announcers = [...v.views.keys()];
    const agree =
      announcers.length === 1
        ? `yes (${v.views.get(announcers[0]!)!.length} of ${members})`
        : `NO: ${[...v.views].map(([who, nodes]) => `${nodes.join(',')} see ${who}`).join('; ')}`;
    rows.push([
      address,
      announcers.length === 1 ? announcers[0]! : announcers.join(' / '),
      v.services.join(', '),
      agree,
    ]);
  }
  return rows.sort((a, b) => a[0]!.localeCompare(b[0]!, undefined, { numeric: true }));
}

/** Layer-2 health: every selected speaker is ready and all of them agree on every address's announcer. */
export function l2Healthy(results: readonly SpeakerResult[]): boolean {
  const speakers = l2Speakers(results);
  if (speakers.some((s) => s.l2.member && !s.l2.ready)) return false;
  for (const v of addressViews(speakers).values()) if (v.views.size > 1) return false;
  return true;
}
