// moto's S3-compatible server on loopback, for the specs that need a real S3 API (cloud access links,
// the file server's bucket backend).
import { spawn, ChildProcess } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server';

// The venv `make s3-venv` makes.
export const S3_VENV = process.env.ATRIUM_S3_VENV || join(homedir(), '.cache/atrium/s3venv');

export interface Moto { url: string; child: ChildProcess; log: () => string }

/** Starts `moto_server` on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(join(S3_VENV, 'bin/moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/moto-api/`)).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`moto_server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, child, log: () => out };
}

export function stopMoto(m: Moto) {
  try {
    process.kill(-m.child.pid!, 'SIGTERM');
  } catch {
    try { m.child.kill('SIGTERM'); } catch { /* already gone */ }
  }
}
