import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { server, login, SDK_PYTHON } from './helpers';
import { startServer, stopServer, createUser, Running } from '../server';
import { S3_VENV, Moto, startMoto, stopMoto } from '../moto';

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

// A server of its own that keeps files in a bucket of moto's S3 server: the same SDK harness, and
// the objects are where the README says, `<workspace id>/<path>`.
test.describe('with files in an S3 bucket', () => {
  test.describe.configure({ mode: 'serial' });
  const bucket = 'atrium-files-e2e';
  const s3Key = 'AKIAATRIUME2E';
  const s3Secret = `moto-secret-${randomBytes(12).toString('hex')}`;
  let moto: Moto;
  let s: Running;
  let secretDir: string;

  test.beforeAll(async () => {
    moto = await startMoto();
    expect((await fetch(`${moto.url}/${bucket}`, { method: 'PUT' })).status).toBe(200);
    secretDir = mkdtempSync(join(tmpdir(), 'atrium-bucket-'));
    writeFileSync(join(secretDir, 'secret'), `${s3Secret}\n`, { mode: 0o600 });
    s = await startServer([
      '--files-bucket', bucket,
      '--files-bucket-endpoint', moto.url,
      '--files-bucket-access-key', s3Key,
      '--files-bucket-secret-key-file', join(secretDir, 'secret'),
    ]);
    createUser(s, ['--email', 'bo@example.com', '--name', 'Bo Bucket', '--workspace', 'Bucket Lab'], 'bucket-password-1');
  });
  test.afterAll(() => {
    if (s) stopServer(s);
    if (moto) stopMoto(moto);
    if (secretDir) rmSync(secretDir, { recursive: true, force: true });
  });

  /** The bucket's keys, listed with boto3 from moto's venv. */
  function keys(): string[] {
    const code = 'import boto3,sys,json;c=boto3.client("s3",endpoint_url=sys.argv[1],region_name="us-east-1",' +
      'aws_access_key_id=sys.argv[3],aws_secret_access_key=sys.argv[4]);' +
      'print(json.dumps([o["Key"] for o in c.list_objects_v2(Bucket=sys.argv[2]).get("Contents",[])]))';
    return JSON.parse(execFileSync(join(S3_VENV, 'bin/python'), ['-c', code, moto.url, bucket, s3Key, s3Secret], { encoding: 'utf8' }));
  }

  test('the real clearml SDK round-trips files kept in the bucket, and they stay in the workspace', async () => {
    test.setTimeout(300_000);
    const made = JSON.parse(execFileSync(s.bin, ['credentials', 'create', '--data-dir', s.dataDir, '--user', 'bo@example.com', '--json'], { encoding: 'utf8' }));
    const { access_key: key, secret_key: secret } = made;
    const steps = files(['--api', `${s.url}/api`, '--files', `${s.url}/files`, '--access-key', key, '--secret-key', secret]);
    for (const st of steps) expect(st.ok, `${st.step}: ${JSON.stringify(st.detail, null, 2)}\n${moto.log().slice(-2000)}`).toBe(true);
    expect(steps.map((st) => st.step)).toEqual(['round_trip', 'traversal', 'delete']);
    // The harness deleted what it uploaded, and nothing escaped the workspace's prefix.
    expect(keys().filter((k) => !/^[0-9a-f]{32}\//.test(k))).toEqual([]);

    // One more file through the HTTP API: it is the object <workspace id>/e2e/kept.txt.
    const form = new FormData();
    form.append('/e2e/kept.txt', new Blob([Buffer.from('kept in the bucket')]), 'kept.txt');
    const auth = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
    const up = await fetch(`${s.url}/files`, { method: 'POST', headers: { authorization: auth }, body: form });
    expect(up.status, await up.text()).toBe(200);
    expect(keys().filter((k) => /^[0-9a-f]{32}\/e2e\/kept\.txt$/.test(k))).toHaveLength(1);
    const down = await fetch(`${s.url}/files/e2e/kept.txt`, { headers: { authorization: auth } });
    expect(down.status).toBe(200);
    expect(down.headers.get('content-length')).toBe('18');
    expect(await down.text()).toBe('kept in the bucket');
  });
});
