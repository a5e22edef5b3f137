// The README's main command, proven: `bash scripts/lab.sh --once` (what `npm run lab -- --once` runs) starts
// the whole system, curls the VIP from the client namespace, runs the commands it prints, and removes
// everything; and after a `kill -9` of a running lab, `bash scripts/lab.sh down` removes exactly what the
// lab recorded in its state file. `--mode node-addresses` is proven the same way (no BGP, the real kube-proxy).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT as REPO } from './constants.ts';
import { eventually, sleep } from './eventually.ts';
import { describeWith, processStart } from './kube/index.ts';
import { withLab } from './lab/index.ts';
import type { LabState } from './system/index.ts';

function liveNamespaces(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

function labNamespaces(labPid: number): string[] {
  return liveNamespaces().filter((ns) => ns.startsWith(`hl${labPid}x`));
}

function lab(args: string[], stateDir: string): ChildProcess {
  return spawn('bash', [join(REPO, 'scripts/lab.sh'), ...args], {
    env: { ...process.env, HERALD_LAB_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): { text: () => string; exited: Promise<number | null> } {
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    text += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    text += d;
  });
  return { text: () => text, exited: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
}

/** The BGP lab's needs, and the node-address lab's: the real kube-proxy and nftables. */
const NEEDS = withLab({ binaries: ['kube-apiserver', 'etcd', 'helm', 'curl', 'kube-proxy', 'nft'] });

describeWith(NEEDS, 'npm run lab', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), `herald-lab-test-${process.pid}-`));
  });
  afterEach(() => {
    // Should a test fail half-way, still remove what its lab recorded.
    spawnSync('bash', [join(REPO, 'scripts/lab.sh'), 'down'], {
      env: { ...process.env, HERALD_LAB_STATE_DIR: stateDir },
      stdio: 'ignore',
    });
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('--once: starts the system, the VIP answers from the client, the printed commands work, all is removed', async () => {
    const child = lab(['--once'], stateDir);
    const out = collect(child);
    const code = await out.exited;
    const text = out.text();
    expect({ code, tail: code === 0 ? '' : text.slice(-4000) }).toEqual({ code: 0, tail: '' });
    expect(text).toMatch(
      /verified: 30 connections from the client to http:\/\/198\.51\.100\.\d+\/ answered by node-/,
    );
    for (const what of [
      'curl from the client namespace',
      'vtysh show ip route',
      'heraldctl status',
      'kubectl get svc',
    ])
      expect(text).toContain(`checked: ${what}`);
    expect(text).toMatch(/export KUBECONFIG=\/\S+\/admin\.kubeconfig/);
    expect(text).toMatch(/ip netns exec hl\d+x1-c curl http:\/\/198\.51\.100\.\d+\//);
    const labPid = Number(/lab-(\d+)\.json/.exec(text)?.[1]);
    expect(labPid).toBeGreaterThan(0);
    // Clean exit: no state file, no namespace, no process, no temp dir of that lab.
    expect(readdirSync(stateDir)).toEqual([]);
    expect(labNamespaces(labPid)).toEqual([]);
    expect(
      readdirSync(tmpdir()).filter((e) => e.includes(`-${labPid}-`) || e.includes(`hl${labPid}x`)),
    ).toEqual([]);
  }, 240_000);

  test('--once --mode node-addresses: no BGP, node addresses reach the pods through the real kube-proxy', async () => {
    const child = lab(['--once', '--mode', 'node-addresses', '--kube-proxy', 'nftables'], stateDir);
    const out = collect(child);
    const code = await out.exited;
    const text = out.text();
    expect({ code, tail: code === 0 ? '' : text.slice(-4000) }).toEqual({ code: 0, tail: '' });
    expect(text).toContain('demo got 203.0.113.11, 203.0.113.12, 203.0.113.13; demo-local got 203.0.113.12');
    for (const address of ['203.0.113.11', '203.0.113.12', '203.0.113.13'])
      expect(text).toMatch(
        new RegExp(`verified: 10 connections from the client to http://${address}/ answered by pod-node-`),
      );
    for (const what of [
      'curl a node address from the client namespace',
      "kube-proxy's nftables rules for the node address",
      'kubectl get svc',
    ])
      expect(text).toContain(`checked: ${what}`);
    expect(text).not.toContain('BGP session');
    const labPid = Number(/lab-(\d+)\.json/.exec(text)?.[1]);
    expect(readdirSync(stateDir)).toEqual([]);
    expect(labNamespaces(labPid)).toEqual([]);
  }, 240_000);

  test('--once --mode l2: layer-2 mode, the client on the segment reaches the VIP at the announcer’s MAC', async () => {
    const child = lab(['--once', '--mode', 'l2'], stateDir);
    const out = collect(child);
    const code = await out.exited;
    const text = out.text();
    expect({ code, tail: code === 0 ? '' : text.slice(-4000) }).toEqual({ code: 0, tail: '' });
    expect(text).toMatch(
      /verified: the client's neighbour table holds 198\.51\.100\.\d+ at [0-9a-f:]{17}, node-\d's eth0/,
    );
    for (const what of ['curl from the client namespace', 'ip neigh', 'heraldctl status'])
      expect(text).toContain(`checked: ${what}`);
    expect(text).toContain('layer-2 mode, client on the node segment');
    expect(text).not.toContain('BGP session');
    const labPid = Number(/lab-(\d+)\.json/.exec(text)?.[1]);
    expect(readdirSync(stateDir)).toEqual([]);
    expect(labNamespaces(labPid)).toEqual([]);
  }, 240_000);

  test('lab down after kill -9 of the lab removes everything the lab recorded', async () => {
    const child = lab([], stateDir);
    const out = collect(child);
    await eventually('the lab to be ready', () => out.text().includes('lab is ready'), {
      timeoutMs: 180_000,
      intervalMs: 200,
      detail: () => out.text().slice(-4000),
    });
    const [file] = readdirSync(stateDir);
    expect(file).toMatch(/^lab-\d+\.json$/);
    const state = JSON.parse(readFileSync(join(stateDir, file!), 'utf8')) as LabState;
    // scripts/lab.sh execs the lab, so the child's pid is the lab process.
    expect(state.lab.pid).toBe(child.pid);
    expect(state.namespaces.length).toBe(5); // router, 3 nodes, client
    expect(state.processes.length).toBeGreaterThan(5);

    // It stays up (until Ctrl-C), and the printed curl works while it does.
    await sleep(2_000);
    expect(processStart(state.lab.pid)).toBe(state.lab.start);
    const client = state.namespaces.find((ns) => ns.endsWith('-c'))!;
    const vip = /curl http:\/\/(198\.51\.100\.\d+)\//.exec(out.text())?.[1];
    const curl = spawnSync(
      'ip',
      ['netns', 'exec', client, 'curl', '-sS', '--max-time', '5', `http://${vip}/`],
      {
        encoding: 'utf8',
      },
    );
    expect(curl.stdout).toMatch(/^node-\d+\n$/);

    child.kill('SIGKILL');
    await out.exited;
    // What a crash leaves behind: the namespaces and FRR (daemonized) are still there.
    expect(labNamespaces(state.lab.pid).sort()).toEqual([...state.namespaces].sort());
    const inRouter = spawnSync('ip', ['netns', 'pids', state.namespaces[0]!], {
      encoding: 'utf8',
    }).stdout.trim();
    expect(inRouter).not.toBe('');

    const down = spawnSync('bash', [join(REPO, 'scripts/lab.sh'), 'down'], {
      env: { ...process.env, HERALD_LAB_STATE_DIR: stateDir },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ status: down.status, stderr: down.stderr }).toEqual({ status: 0, stderr: '' });
    expect(down.stdout).toContain(`lab pid ${state.lab.pid}`);
    for (const ns of state.namespaces) expect(down.stdout).toContain(`deleted netns ${ns}`);

    expect(labNamespaces(state.lab.pid)).toEqual([]);
    expect(state.processes.filter((p) => processStart(p.pid) === p.start)).toEqual([]);
    expect(state.dirs.filter((d) => existsSync(d))).toEqual([]);
    expect(readdirSync(stateDir)).toEqual([]);
    // A second down finds nothing to do.
    const again = spawnSync('bash', [join(REPO, 'scripts/lab.sh'), 'down'], {
      env: { ...process.env, HERALD_LAB_STATE_DIR: stateDir },
      encoding: 'utf8',
    });
    expect(again.stdout).toContain('nothing to clean up');
  }, 300_000);
});
