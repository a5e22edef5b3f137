// The configuration: is the ConfigMap valid (the programs' own validation), and does every program that
// answered run it — or the last valid one while the ConfigMap is broken, or an older one it failed to pick up.
import type { ConfigState, Finding, Snapshot } from '../types.ts';
import { finding, plural, shortDigest } from './finding.ts';

interface Running {
  readonly who: string;
  readonly config: ConfigState;
}

/** Every program whose /status answered, named as the report names it. */
export function runningConfigs(s: Snapshot): Running[] {
  const out: Running[] = [];
  for (const pod of s.controllerPods) {
    const r = s.controllerStatus[pod.name];
    if (r?.ok) out.push({ who: `controller ${pod.name}`, config: r.doc.config });
  }
  for (const pod of s.speakerPods) {
    const r = s.speakerStatus[pod.name];
    if (r?.ok) out.push({ who: `speaker on ${pod.node ?? pod.name}`, config: r.doc.config });
  }
  return out;
}

const list = (rs: readonly Running[]) => rs.map((r) => r.who).join(', ');

export function checkConfig(s: Snapshot): Finding[] {
  const cm = s.configMap;
  const subject = `ConfigMap ${s.namespace}/${cm.name}`;
  const validate = `kubectl -n ${s.namespace} get configmap ${cm.name} -o yaml | heraldctl config validate -`;
  const out: Finding[] = [];
  if (!cm.found) {
    out.push(
      cm.error !== undefined
        ? finding(
            'config',
            'config.read',
            'error',
            subject,
            `cannot read it: ${cm.error}`,
            'your user needs get on this ConfigMap',
          )
        : finding(
            'config',
            'config.missing',
            'error',
            subject,
            'does not exist: the programs have no configuration to load',
            'set `config:` in the chart values and `helm upgrade`, or apply the ConfigMap (validate it first with heraldctl config validate)',
          ),
    );
  } else if (cm.errors.length > 0) {
    out.push(
      finding(
        'config',
        'config.invalid',
        'error',
        subject,
        `invalid, ${plural(cm.errors.length, 'error')}: ${cm.errors.join('; ')}`,
        `fix each path and re-apply; \`${validate}\` shows them with line numbers. Meanwhile the programs keep the last valid configuration`,
      ),
    );
  } else {
    out.push(finding('config', 'config.valid', 'ok', subject, `${cm.summary} (${shortDigest(cm.digest)})`));
    if (cm.warnings.length > 0)
      out.push(
        finding(
          'config',
          'config.warnings',
          'warning',
          subject,
          `valid, with ${plural(cm.warnings.length, 'warning')}: ${cm.warnings.join('; ')}`,
          'valid but probably not what you meant: see the configuration reference for each path',
        ),
      );
  }

  const running = runningConfigs(s);
  const none = running.filter((r) => !r.config.loaded);
  if (none.length > 0)
    out.push(
      finding(
        'config',
        'config.none',
        'error',
        list(none),
        `no configuration in force: ${none[0]?.config.errors[0] ?? 'not loaded yet'}`,
        'until a valid configuration loads, the controller allocates nothing and the speakers announce nothing: fix the ConfigMap',
      ),
    );
  const loaded = running.filter((r) => r.config.loaded && r.config.digest);
  const current = cm.found && cm.errors.length === 0 ? cm.digest : undefined;
  const byDigest = new Map<string, Running[]>();
  for (const r of loaded) {
    const d = r.config.digest as string;
    byDigest.set(d, [...(byDigest.get(d) ?? []), r]);
  }
  for (const [digest, rs] of byDigest) {
    if (digest === current) {
      out.push(
        finding(
          'config',
          'config.running',
          'ok',
          subject,
          `${plural(rs.length, 'program')} of ${running.length} that answered run${rs.length === 1 ? 's' : ''} it`,
        ),
      );
      continue;
    }
    const since = rs[0]?.config.loadedAt ?? 'an unknown time';
    if (current === undefined)
      out.push(
        finding(
          'config',
          'config.stale',
          'warning',
          list(rs),
          `run${rs.length === 1 ? 's' : ''} the last valid configuration ${shortDigest(digest)} (loaded ${since}), not the broken ConfigMap`,
          'fix the ConfigMap; the programs load it as soon as it is valid',
        ),
      );
    else
      out.push(
        finding(
          'config',
          'config.behind',
          'warning',
          list(rs),
          `run${rs.length === 1 ? 's' : ''} ${shortDigest(digest)} (loaded ${since}), not the ConfigMap's ${shortDigest(current)}`,
          'programs pick up a change within seconds; if this persists, the program cannot watch the ConfigMap: check its log and restart its Pod',
        ),
      );
  }
  return out;
}
