import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { server, login, SDK_PYTHON } from './helpers';

/** Runs the real clearml SDK's storage harness; returns its JSON lines. */
function files(args: string[]): { step: string; ok: boolean; detail: unknown }[] {
  let out: string;
  try {
    out = execFileSync('python3', ['sdk/check_files.py', '--python', SDK_PYTHON, ...args], { encoding: 'utf8', timeout: 300_000 });
  } catch (e: any) {
    throw new Error(`SDK files harness failed:\n${e.stdout}\n${e.stderr}`);
  }
  return out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

test('the real clearml SDK uploads to and downloads from the file server, and cannot leave its workspace', async ({ page }) => {
  test.setTimeout(300_000);
  const s = server();
  await login(page, { login: 'fay@example.com', password: 'fay-password-1' });

  // A key pair made through the API with the console's session (same-origin POST).
  const res = await page.request.post(`${s.url}/api/auth.create_credentials`, { headers: { origin: s.url }, data: { label: 'files test' } });
  expect(res.status()).toBe(200);
  const { access_key: key, secret_key: secret } = (await res.json()).data.credentials;

  // The files_server the configuration section hands out is this server's /files.
  const steps = files(['--api', `${s.url}/api`, '--files', `${s.url}/files`, '--access-key', key, '--secret-key', secret]);
  for (const st of steps) expect(st.ok, `${st.step}: ${JSON.stringify(st.detail, null, 2)}`).toBe(true);
  expect(steps.map((st) => st.step)).toEqual(['round_trip', 'traversal', 'delete']);
});
