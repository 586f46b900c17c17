import { test, expect, Page } from '@playwright/test';
import { ChildProcess, spawn, execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, createUser, stopServer, Running } from '../server';
import { hydrated, shot, auditPage, SDK_PYTHON } from './helpers';

// Usage & billing on a server of its own: a small Free storage quota (2 MB) from a price file, a
// mail server on loopback (aiosmtpd), and a test clock the spec moves past the end of the month —
// which would upset every other spec's sessions on the shared server.

const PRICES = `# The e2e price table: Free holds 2 MB.
currency = "USD"
[free]
users = 5
storage_bytes = 2000000
api_calls = 1000000
[pro]
user_cents = 1500
`;

let s: Running;
let smtp: ChildProcess;
let maildir: string;

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

test.beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-billing-'));
  writeFileSync(join(dir, 'prices.toml'), PRICES);
  maildir = join(dir, 'mail');
  const python = process.env.ATRIUM_SMTP_PYTHON || join(homedir(), '.cache/atrium/smtpvenv/bin/python');
  const port = await freePort();
  smtp = spawn(python, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdio: 'ignore' });
  s = await startServer(['--prices', join(dir, 'prices.toml'), '--test-clock', 'true', '--smtp-host', '127.0.0.1', '--smtp-port', String(port),
    '--smtp-tls', 'none', '--smtp-from', 'Atrium <atrium@example.com>']);
  createUser(s, ['--email', 'bill@example.com', '--name', 'Bill Admin', '--admin', '--workspace', 'Bill Lab'], 'bill-password-1');
  createUser(s, ['--email', 'bea@example.com', '--name', 'Bea Member', '--workspace', 'Bill Lab'], 'bea-password-1');
});

test.afterAll(async () => {
  if (s) stopServer(s);
  smtp?.kill();
});

async function login(page: Page, email: string, password: string) {
  await page.goto(`${s.url}/login`);
  await hydrated(page);
  await page.fill('#login', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/settings\/profile/);
}

async function ok(page: Page, name: string, data: unknown) {
  const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
  const body = await res.json();
  expect(res.status(), `${name}: ${JSON.stringify(body)}`).toBe(200);
  return body.data;
}

/** Moves the server's clock forward and runs its background jobs once; how many invoices that issued. */
async function advance(page: Page, ms: number): Promise<number> {
  const res = await page.request.post(`${s.url}/test/clock.advance`, { headers: { origin: s.url }, data: { ms } });
  expect(res.status()).toBe(200);
  return (await res.json()).invoices_issued;
}

test('usage, the upgrade wizard, billing info, an invoice at the month\'s end, its PDF and its e-mail', async ({ browser }) => {
  test.setTimeout(240_000);
  const page = await (await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 1000 }, acceptDownloads: true })).newPage();
  await login(page, 'bill@example.com', 'bill-password-1');

  // The real SDK stores 1.2 MB, then is refused 1 MB more (nothing of it kept).
  const key = (await ok(page, 'auth.create_credentials', { label: 'billing sdk' })).credentials;
  const out = await promisify(execFile)('python3', ['sdk/check_files.py', '--python', SDK_PYTHON, '--api', `${s.url}/api`, '--files', `${s.url}/files`,
    '--access-key', key.access_key, '--secret-key', key.secret_key, '--steps', 'quota', '--fits', '1200000', '--over', '1000000'],
  { encoding: 'utf8', timeout: 180_000 }).catch((e) => ({ stdout: `${e.stdout}`, stderr: `${e.stderr}` }));
  const step = JSON.parse(out.stdout.trim().split('\n').filter((l: string) => l.startsWith('{')).pop()!);
  expect(step.ok, JSON.stringify(step.detail, null, 1)).toBe(true);

  await page.goto(`${s.url}/settings/billing`);
  await hydrated(page);
  await expect(page.locator('#usage-storage .usage-figure-text')).toHaveText('1.2 MB of 2 MB (800 kB available)');
  await expect(page.locator('#usage-storage .badge')).toHaveText('enforced');
  await expect(page.locator('#usage-users .usage-figure-text')).toHaveText('2 of 5 users');
  await expect(page.locator('#usage-api-calls .usage-figure-text')).toContainText('calls this month');
  await expect(page.locator('#calls-chart svg rect.bar.this').last()).toBeAttached();
  expect(Number(await page.locator('#usage-api-calls progress').getAttribute('value'))).toBeGreaterThanOrEqual(0);
  await expect(page.locator('#invite-users')).toHaveAttribute('href', '/settings/users');
  await auditPage(page, 'billing-free');

  // UPGRADE: the plan, the terms (Next waits for them), the billing information (a bad field named).
  await page.click('#upgrade');
  const wizard = page.getByRole('dialog', { name: 'Upgrade to Pro' });
  await expect(wizard.locator('#upgrade-summary')).toContainText('$15.00 per user per month');
  await wizard.locator('#upgrade-next').click();
  await expect(wizard.locator('#upgrade-terms')).toContainText('billed per calendar month');
  await expect(wizard.locator('#upgrade-next')).toBeDisabled();
  await wizard.locator('#upgrade-accept').check();
  await wizard.locator('#upgrade-next').click();
  await wizard.locator('#billing-name').fill('Bill Admin');
  await wizard.locator('#billing-company').fill('Müller GmbH');
  await wizard.locator('#billing-address').fill('Königstraße 5\n70173 Stuttgart');
  await wizard.locator('#billing-vat').fill('DE 12-3');
  await wizard.locator('#billing-email').fill('invoices@example.com');
  await wizard.locator('#upgrade-next').click();
  await expect(wizard.locator('.error-note')).toContainText('A VAT id is 4 to 20 letters and digits');
  await shot(page, 'billing-wizard');
  await wizard.locator('#billing-vat').fill('DE123456789');
  await wizard.locator('#upgrade-next').click();
  await expect(wizard).toBeHidden();
  await expect(page.locator('#billing-notice')).toContainText('Welcome to Pro');
  await expect(page.locator('#plan-card h2')).toHaveText('Plan: Pro');
  await expect(page.locator('#estimate-table tbody tr')).toHaveCount(3);
  await expect(page.locator('#estimate-total')).toHaveText(/^\$\d+\.\d\d$/);
  // On Pro the storage has no quota.
  await expect(page.locator('#usage-storage .badge')).toHaveCount(0);
  await shot(page, 'billing-pro');

  // My billing info: change the company (Update payment methods saves it).
  await page.click('#billing-info');
  const infoDialog = page.getByRole('dialog', { name: 'My billing info' });
  await expect(infoDialog.locator('#billing-email')).toHaveValue('invoices@example.com');
  await infoDialog.locator('#billing-company').fill('Müller & Söhne GmbH');
  await infoDialog.locator('#info-save').click();
  await expect(infoDialog).toBeHidden();
  await expect(page.locator('#billing-notice')).toHaveText('Billing information saved.');
  expect((await ok(page, 'billing.get_info', {})).info.company).toBe('Müller & Söhne GmbH');

  // No invoice before the month ends.
  await page.click('#my-invoices');
  await expect(page.locator('#invoices-empty')).toBeVisible();

  // The test clock passes the end of the month: the job issues exactly one invoice, whoever runs it.
  const now = Date.now();
  const d = new Date(now);
  const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  await advance(page, nextMonth - now + 3_600_000);
  await expect.poll(async () => (await ok(page, 'billing.get_invoices', {})).invoices.length, { timeout: 30_000 }).toBe(1);
  expect(await advance(page, 0)).toBe(0);
  const invoices = (await ok(page, 'billing.get_invoices', {})).invoices;
  expect(invoices.map((i: { number: string }) => i.number)).toEqual(['A-000001']);

  await page.reload();
  await hydrated(page);
  await page.click('#my-invoices');
  const row = page.locator('#invoices-table tr[data-invoice="A-000001"]');
  await expect(row).toBeVisible();
  await expect(row.locator('td').nth(3)).toHaveText(invoices[0].total);
  const download = page.waitForEvent('download');
  await row.getByRole('link', { name: 'Download PDF' }).click();
  const file = await (await download).path();
  expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
  await shot(page, 'billing-invoices');

  // EMAIL INVOICES: the message arrives at the billing address with the PDF attached.
  await page.click('#email-invoices');
  await expect(page.locator('#billing-notice')).toHaveText('The invoices were sent to invoices@example.com.');
  await expect.poll(() => (existsSync(join(maildir, 'new')) ? readdirSync(join(maildir, 'new')).length : 0)).toBe(1);
  const mail = readFileSync(join(maildir, 'new', readdirSync(join(maildir, 'new'))[0]), 'utf8');
  expect(mail).toContain('To: invoices@example.com');
  expect(mail).toMatch(/filename="?A-000001\.pdf"?/);
  expect(mail).toContain('Content-Type: application/pdf');
  await auditPage(page, 'billing-pro-invoices');

  // A member sees nothing of billing.
  const member = await (await browser.newContext()).newPage();
  await login(member, 'bea@example.com', 'bea-password-1');
  await member.goto(`${s.url}/settings/billing`);
  await expect(member.locator('#usage-card')).toHaveCount(0);
  await expect(member.locator('nav')).not.toContainText('Usage & Billing');
});
