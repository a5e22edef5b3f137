// The control plane's PKI, generated with the openssl CLI into the control plane's temp dir:
// a CA that signs the apiserver's serving cert (valid for 127.0.0.1, ::1 and localhost — the netns
// forwarders listen on 127.0.0.1 so the same cert stays valid inside node namespaces) and the admin's
// client cert (O=system:masters, accepted through --client-ca-file), plus the service-account token
// signing keypair. P-256 keys: generated in milliseconds, accepted by Go and Node alike.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface ControlPlaneCerts {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** PEM contents of caCert. */
  caPem: string;
  adminCertPem: string;
  adminKeyPem: string;
}

/** curl's options to reach the apiserver as the test bed's admin (its CA, client certificate and key). */
export function adminCurlArgs(certs: ControlPlaneCerts): string[] {
  return ['--cacert', certs.caCert, '--cert', certs.adminCert, '--key', certs.adminKey];
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args);
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
// Short-lived on purpose: a test bed never needs a cert beyond a couple of days.
const DAYS = ['-days', '2'];

async function leafCert(dir: string, name: string, subject: string, extensions: string[], ca: string[]) {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl([
    'req',
    '-x509',
    ...EC_KEY,
    ...DAYS,
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    subject,
    ...ca,
    ...extensions.flatMap((ext) => ['-addext', ext]),
  ]);
  return { cert, key };
}

export async function generateCerts(dir: string): Promise<ControlPlaneCerts> {
  const caCert = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  await openssl([
    'req',
    '-x509',
    ...EC_KEY,
    ...DAYS,
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-subj',
    '/CN=herald-e2e-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  const signedByCa = ['-CA', caCert, '-CAkey', caKey];
  const leaf = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature'];
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  const [serving, admin] = await Promise.all([
    leafCert(
      dir,
      'apiserver',
      '/CN=kube-apiserver',
      [...leaf, 'extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost'],
      signedByCa,
    ),
    leafCert(
      dir,
      'admin',
      '/O=system:masters/CN=herald-e2e-admin',
      [...leaf, 'extendedKeyUsage=clientAuth'],
      signedByCa,
    ),
    (async () => {
      await openssl([
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-out',
        serviceAccountKey,
      ]);
      await openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub]);
    })(),
  ]);
  return {
    caCert,
    caKey,
    servingCert: serving.cert,
    servingKey: serving.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    serviceAccountKey,
    serviceAccountPub,
    caPem: readFileSync(caCert, 'utf8'),
    adminCertPem: readFileSync(admin.cert, 'utf8'),
    adminKeyPem: readFileSync(admin.key, 'utf8'),
  };
}
