// The report: for people, one section per area with a fix under every problem; for scripts, JSON.
import { type Area, areas, type Finding, type Severity } from './types.ts';

const titles: Record<Area, string> = {
  install: 'Installation',
  config: 'Configuration',
  controller: 'Controller',
  speakers: 'Speakers',
  rbac: 'RBAC',
  services: 'Services',
  pools: 'Address pools',
};

const marks: Record<Severity, string> = { error: 'ERROR', warning: 'WARN ', ok: 'ok   ' };

export interface Summary {
  readonly errors: number;
  readonly warnings: number;
  readonly ok: number;
}

export function summarize(findings: readonly Finding[]): Summary {
  const n = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return { errors: n('error'), warnings: n('warning'), ok: n('ok') };
}

export function renderText(namespace: string, findings: readonly Finding[], quiet: boolean): string {
  const lines = [`Herald in namespace ${namespace}`];
  for (const area of areas) {
    const shown = findings.filter((f) => f.area === area && !(quiet && f.severity === 'ok'));
    if (shown.length === 0) continue;
    lines.push('', titles[area]);
    for (const f of shown) {
      lines.push(`  ${marks[f.severity]}  ${f.subject}: ${f.message}`);
      if (f.fix !== undefined) lines.push(`         fix: ${f.fix}`);
    }
  }
  const s = summarize(findings);
  const word = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  lines.push('', `${word(s.errors, 'error')}, ${word(s.warnings, 'warning')}, ${s.ok} ok`);
  return `${lines.join('\n')}\n`;
}

export function renderJson(namespace: string, findings: readonly Finding[]): string {
  return `${JSON.stringify({ kind: 'HeraldDoctorReport', namespace, summary: summarize(findings), findings }, null, 2)}\n`;
}

/** 1 when a finding is at least as bad as FAILON, else 0. */
export function exitCode(findings: readonly Finding[], failOn: 'error' | 'warning'): number {
  return findings.some((f) => f.severity === 'error' || (failOn === 'warning' && f.severity === 'warning'))
    ? 1
    : 0;
}
