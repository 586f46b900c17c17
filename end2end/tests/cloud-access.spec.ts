import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { S3_VENV, Moto, startMoto, stopMoto } from '../moto';
import { server, hydrated, login, shot } from './helpers';

/** botocore re-signs the URL at its own date: the signature must be the one AWS would compute. */
function botocoreAgrees(url: string, key: string, secret: string): { ok: boolean; expected: string; got: string } {
  try {
    const out = execFileSync(join(S3_VENV, 'bin/python'), ['s3/check_presigned.py', url, key, secret], { encoding: 'utf8' });
    return JSON.parse(out.trim());
  } catch (e: any) {
    throw new Error(`check_presigned.py failed:\n${e.stdout}\n${e.stderr}`);
  }
}

test.describe('Web App Cloud Access', () => {
  let moto: Moto;
  test.beforeAll(async () => { moto = await startMoto(); });
  test.afterAll(() => { if (moto) stopMoto(moto); });

  test('add (secret encrypted, never shown again), edit keeping the secret, presigned link opens the object on a real S3 API, delete', async ({ page }) => {
    test.setTimeout(90_000);
    const s = server();
    const bucket = 'atrium-samples';
    const objectKey = 'samples/run 1/cat+dog.bin';
    const body = randomBytes(2048);
    const secret = `moto-secret-${randomBytes(12).toString('hex')}`;

    // A bucket and an object, through moto's S3 API (it takes unsigned requests).
    expect((await fetch(`${moto.url}/${bucket}`, { method: 'PUT' })).status).toBe(200);
    const put = await fetch(`${moto.url}/${bucket}/${objectKey.split('/').map(encodeURIComponent).join('/')}`, { method: 'PUT', body });
    expect(put.status, moto.log()).toBe(200);

    await login(page, s.member);
    await page.goto(`${s.url}/settings/configuration`);
    await hydrated(page);
    const card = page.locator('#cloud-access');
    await expect(card.locator('#no-cloud-access')).toBeVisible();

    // Each wrong field says what is wrong with it.
    await page.click('#add-cloud-access');
    const dialog = page.getByRole('dialog', { name: 'Add cloud access' });
    await expect(dialog).toBeVisible();
    await dialog.locator('#cloud-bucket').fill('Bad_Bucket');
    await dialog.locator('#cloud-host').fill('minio:9000');
    await dialog.locator('#save-cloud-access').click();
    await expect(dialog.locator('#cloud-bucket-error')).toContainText('lowercase letters');
    await expect(dialog.locator('#cloud-key-error')).toContainText('Enter the access key');
    await expect(dialog.locator('#cloud-secret-error')).toContainText('Enter the secret');
    await expect(dialog.locator('#cloud-host-error')).toContainText('http:// or https://');
    await expect(dialog.locator('#cloud-bucket')).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.locator('#cloud-region-error')).toHaveCount(0);
    await shot(page, 'cloud-access-errors');

    await dialog.locator('#cloud-bucket').fill(bucket);
    await dialog.locator('#cloud-key').fill('AKIAMOTOEXAMPLE1');
    await dialog.locator('#cloud-secret').fill(secret);
    await dialog.locator('#cloud-region').fill('us-east-1');
    await dialog.locator('#cloud-host').fill(`${moto.url}/`);
    await dialog.locator('#save-cloud-access').click();
    await expect(dialog).toHaveCount(0);

    // Listed with the secret masked; the secret is nowhere in the page or the API's answer.
    const row = card.locator(`tr[data-bucket="${bucket}"]`);
    await expect(row.locator('.cloud-key')).toHaveText('AKIAMOTOEXAMPLE1');
    await expect(row.locator('.secret-mask')).toHaveText(`••••••••${secret.slice(-4)}`);
    await expect(row.locator('.cloud-host')).toHaveText(moto.url);
    expect(await page.content()).not.toContain(secret);
    const api = await page.request.get(`${s.url}/users.get_cloud_access`);
    expect(api.status()).toBe(200);
    const apiText = await api.text();
    expect(apiText).not.toContain(secret);
    expect(JSON.parse(apiText).data.entries[0]).toMatchObject({ bucket, key: 'AKIAMOTOEXAMPLE1', secret: `••••••••${secret.slice(-4)}` });
    await page.reload();
    await hydrated(page);
    expect(await page.content()).not.toContain(secret);

    // Edit without re-entering the secret: the stored one is kept.
    await row.getByRole('button', { name: `Edit ${bucket}` }).click();
    const edit = page.getByRole('dialog', { name: 'Edit cloud access' });
    await expect(edit.locator('#cloud-bucket')).toHaveValue(bucket);
    await expect(edit.locator('#cloud-secret')).toHaveValue('');
    await expect(edit.locator('#cloud-secret-current')).toHaveText(`••••••••${secret.slice(-4)}`);
    await edit.locator('#cloud-key').fill('AKIAMOTOEXAMPLE2');
    await edit.locator('#save-cloud-access').click();
    await expect(edit).toHaveCount(0);
    await expect(row.locator('.cloud-key')).toHaveText('AKIAMOTOEXAMPLE2');
    await expect(row.locator('.secret-mask')).toHaveText(`••••••••${secret.slice(-4)}`);

    // An object in a bucket without settings is refused with a reason.
    await card.locator('#cloud-test-path').fill('s3://not-configured/x.bin');
    await card.locator('#cloud-test-go').click();
    await expect(card.locator('#cloud-test-error')).toContainText('not-configured');

    // A presigned link, opened from the page's own context: moto serves the uploaded bytes.
    await card.locator('#cloud-test-path').fill(`s3://${bucket}/${objectKey}`);
    await card.locator('#cloud-test-go').click();
    const link = card.locator('#cloud-test-link');
    await expect(link).toBeVisible();
    await expect(link).toHaveText(`Open ${objectKey}`);
    const href = (await link.getAttribute('href'))!;
    expect(href.startsWith(`${moto.url}/${bucket}/samples/run%201/cat%2Bdog.bin?`), href).toBe(true);
    const url = new URL(href);
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIAMOTOEXAMPLE2\/\d{8}\/us-east-1\/s3\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(href).not.toContain(secret);
    await expect(card.locator('#cloud-test-url')).toHaveText(href);
    const got = await page.request.get(href);
    expect(got.status()).toBe(200);
    expect(Buffer.from(await got.body()).equals(body)).toBe(true);
    // Signed with the edited key and the kept secret, exactly as the AWS SDK signs.
    const check = botocoreAgrees(href, 'AKIAMOTOEXAMPLE2', secret);
    expect(check.got).toBe(check.expected);
    expect(check.ok).toBe(true);
    expect(await page.content()).not.toContain(secret);
    await shot(page, 'cloud-access');

    // The edit dialog, for the record.
    await row.getByRole('button', { name: `Edit ${bucket}` }).click();
    await expect(edit).toBeVisible();
    await shot(page, 'cloud-access-edit');
    await page.keyboard.press('Escape');
    await expect(edit).toHaveCount(0);

    // Delete asks first; Cancel keeps it, Delete removes it.
    await row.getByRole('button', { name: `Delete ${bucket}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete cloud access' });
    await expect(confirm).toContainText(`bucket ${bucket}`);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(row).toBeVisible();
    await row.getByRole('button', { name: `Delete ${bucket}` }).click();
    await confirm.locator('#confirm-action').click();
    await expect(confirm).toHaveCount(0);
    await expect(row).toHaveCount(0);
    await expect(card.locator('#no-cloud-access')).toBeVisible();
    const after = await page.request.get(`${s.url}/users.get_cloud_access`);
    expect(JSON.parse(await after.text()).data.entries).toEqual([]);
  });
});
