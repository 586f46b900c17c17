import { spawn, execFileSync, ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

export interface Running {
  url: string;
  setupUrl: string;
  pid: number;
  dataDir: string;
  bin: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr && typeof addr === 'object') {
        const port = addr.port;
        srv.close(() => resolve(port));
      } else reject(new Error('no port'));
    });
  });
}

export function atriumBin(): string {
  const bin = process.env.ATRIUM_BIN;
  if (!bin) throw new Error('ATRIUM_BIN must point at the atrium binary (make e2e sets it)');
  return bin;
}

/** Starts `atrium serve` on a fresh data folder and waits for its first-start set-up link; with
 * `logFile`, what the server logs afterwards (warnings and errors) is written there. */
export async function startServer(extraArgs: string[] = [], logFile?: string): Promise<Running> {
  const bin = atriumBin();
  const dataDir = mkdtempSync(join(tmpdir(), 'atrium-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, ['serve', '--data-dir', dataDir, '--bind', `127.0.0.1:${port}`, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ATRIUM_LOG: 'warn' },
  });
  let out = '';
  const setupUrl: string = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = out.match(/create the administrator at (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  child.stdout!.removeAllListeners('data');
  if (logFile) {
    const log = createWriteStream(logFile);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
  } else {
    child.stdout!.resume();
    child.stderr!.resume();
  }
  child.unref();
  return { url, setupUrl, pid: child.pid!, dataDir, bin };
}

/** `atrium user create` against a running server's data folder; the password is piped in. */
export function createUser(s: Running, args: string[], password: string): unknown {
  const out = execFileSync(s.bin, ['user', 'create', '--data-dir', s.dataDir, '--json', ...args], { input: password + '\n' });
  return JSON.parse(out.toString());
}

export function stopServer(s: { pid: number; dataDir: string }) {
  try {
    process.kill(-s.pid, 'SIGTERM');
  } catch {
    try { process.kill(s.pid, 'SIGTERM'); } catch { /* already gone */ }
  }
  rmSync(s.dataDir, { recursive: true, force: true });
}
