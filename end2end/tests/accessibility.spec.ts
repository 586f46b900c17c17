import { test, expect, Page } from '@playwright/test';
import { server, hydrated, login, auditPage } from './helpers';
import { startServer, stopServer } from '../server';

// axe-core (WCAG 2.0/2.1 A and AA) on every page, signed out and signed in as an administrator,
// after hydration, with a screenshot of each page in the test's output folder. The administrator
// (made in global-setup.ts) has a workspace of their own, so that the invitation and key pair made
// here show in no other spec.

async function open(page: Page, url: string, name: string) {
  await page.goto(url);
  await hydrated(page);
  await auditPage(page, name);
}

// The pages' Content-Security-Policy refuses inline scripts, axe's injection included: its contexts
// bypass the policy (the policy itself is asserted in server/tests/http.rs and holds in every other spec).
test('signed out: login, set-up, invitation and 404 pages', async ({ browser }) => {
  test.setTimeout(90_000);
  const s = server();
  const page = await (await browser.newContext({ bypassCSP: true })).newPage();
  await open(page, `${s.url}/login`, 'login');
  await page.fill('#login', 'nobody@example.com');
  await page.fill('#password', 'not-a-password');
  await page.click('button[type=submit]');
  await expect(page.locator('.error-note')).toBeVisible();
  await auditPage(page, 'login-error');
  await open(page, `${s.url}/setup?token=used-or-wrong`, 'setup-invalid');
  await open(page, `${s.url}/invite?token=used-or-wrong`, 'invite-invalid');
  await open(page, `${s.url}/no/such/page`, 'not-found');

  // The set-up form itself needs a server that has not been set up yet.
  const fresh = await startServer();
  try {
    await open(page, fresh.setupUrl, 'setup');
  } finally {
    stopServer(fresh);
  }
});

test('signed in as an administrator: every settings page, dialogs, and the invitation form', async ({ browser }) => {
  test.setTimeout(90_000);
  const s = server();
  const page = await (await browser.newContext({ bypassCSP: true })).newPage();
  await login(page, { login: 'alma@example.com', password: 'alma-password-1' });

  // Some data first, so that tables have rows: a key pair and a pending invitation.
  await page.goto(`${s.url}/settings/workspace`);
  await hydrated(page);
  await page.click('#create-credentials');
  const create = page.getByRole('dialog', { name: 'Create new credentials' });
  await auditPage(page, 'dialog-create-credentials');
  await create.locator('#credential-label').fill('laptop');
  await create.locator('#confirm-create').click();
  const shown = page.getByRole('dialog', { name: 'New credentials' });
  await expect(shown.locator('#config-section')).toContainText('secret_key');
  await auditPage(page, 'dialog-new-credentials');
  await shown.locator('#credentials-done').click();
  await expect(shown).toHaveCount(0);

  await page.goto(`${s.url}/settings/users`);
  await hydrated(page);
  await page.click('#invite-user');
  const invite = page.getByRole('dialog', { name: 'Invite users' });
  await invite.locator('#dialog-invite-emails').fill('ines@example.com');
  await auditPage(page, 'dialog-invite');
  await invite.locator('#dialog-send-invites').click();
  const link = (await invite.locator('#dialog-link-ines-example-com').textContent())!.trim();
  await invite.getByRole('button', { name: 'Done' }).click();
  await expect(page.locator('tr[data-email="ines@example.com"]')).toContainText('Pending');

  for (const section of [
    'profile', 'configuration', 'workspace', 'users', 'audit-log',
    'admin-vaults', 'access-rules', 'identity-providers', 'resources', 'billing',
  ]) {
    await open(page, `${s.url}/settings/${section}`, `settings-${section}`);
  }

  // The invitation's own form, for someone who has no account yet.
  const newcomer = await (await browser.newContext({ bypassCSP: true })).newPage();
  await open(newcomer, link, 'invite-accept');
});
