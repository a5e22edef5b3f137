// RBAC of both ServiceAccounts, asked of the apiserver (SubjectAccessReview) against the one list of what each
// program needs and must not have (programPermissions in @herald/config).
import type { Finding, Snapshot } from '../types.ts';
import { finding, plural } from './finding.ts';

export function checkRbac(s: Snapshot): Finding[] {
  if (s.controller === undefined && s.speaker === undefined) return [];
  if (!Array.isArray(s.rbac)) {
    const error = (s.rbac as { error: string }).error;
    return [
      finding(
        'rbac',
        'rbac.review',
        'warning',
        `namespace ${s.namespace}`,
        `RBAC not checked: ${error}`,
        'doctor asks the apiserver with SubjectAccessReviews: your user needs create on subjectaccessreviews.authorization.k8s.io (cluster-admin has it)',
      ),
    ];
  }
  const out: Finding[] = [];
  for (const program of ['controller', 'speaker'] as const) {
    const checks = s.rbac.filter((c) => c.program === program);
    if (checks.length === 0) continue;
    const sa = `${s.namespace}/${checks[0]?.serviceAccount}`;
    const subject = `ServiceAccount ${sa}`;
    const missing = checks.filter((c) => c.expected === 'allowed' && !c.allowed);
    const extra = checks.filter((c) => c.expected === 'denied' && c.allowed);
    for (const c of missing)
      out.push(
        finding(
          'rbac',
          'rbac.missing',
          'error',
          subject,
          `may not ${c.permission}: the ${program} ${c.why}`,
          c.secret === undefined
            ? `restore the chart's RBAC (\`helm upgrade\` with rbac.create=true), or grant it to ${sa}`
            : `the chart grants the Secrets its own config.peers name: \`helm upgrade\` with this config; with an existingConfigMap, add "${c.secret}" to rbac.speakerSecrets`,
        ),
      );
    for (const c of extra)
      out.push(
        finding(
          'rbac',
          'rbac.excess',
          'warning',
          subject,
          `may ${c.permission}, which it never needs (it ${c.why})`,
          `remove the extra grant: \`kubectl get clusterrolebindings,rolebindings -A -o wide | grep ${checks[0]?.serviceAccount}\` lists what binds it`,
        ),
      );
    if (missing.length === 0 && extra.length === 0) {
      const needed = checks.filter((c) => c.expected === 'allowed').length;
      out.push(
        finding(
          'rbac',
          'rbac.ok',
          'ok',
          subject,
          `${plural(needed, 'permission')} the ${program} needs, none of the ${checks.length - needed} it must not have`,
        ),
      );
    }
  }
  return out;
}
