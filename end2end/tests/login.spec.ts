import { test, expect } from '@playwright/test';
import { server, hydrated, login, shot } from './helpers';

test.describe('without JavaScript (server-rendered)', () => {
  test.use({ javaScriptEnabled: false });

  test('signed-out visitors are sent to the login page, and the plain form logs in and out', async ({ page }) => {
    const s = server();
    await page.goto(`${s.url}/settings/configuration`);
    await expect(page).toHaveURL(/\/login\?next=/);
    await page.fill('#login', s.member.login);
    await page.fill('#password', 'wrong-password');
    await page.click('button[type=submit]');
    await expect(page.locator('#login-error')).toHaveText('Wrong username, e-mail or password.');
    await shot(page, 'login-error-ssr');
    await page.fill('#login', s.member.login);
    await page.fill('#password', s.member.password);
    await page.click('button[type=submit]');
    await expect(page).toHaveURL(/\/settings\/configuration/);
    await expect(page.locator('#topbar-user-name')).toHaveText('Max Member');
    await page.click('#logout');
    await expect(page).toHaveURL(/\/login/);
    await page.goto(`${s.url}/settings/profile`);
    await expect(page).toHaveURL(/\/login/);
  });
});

test('hydrated: wrong password message, then login, tip once, logout', async ({ page }) => {
  const s = server();
  await page.goto(`${s.url}/login`);
  await hydrated(page);
  await page.fill('#login', s.admin.login);
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  await expect(page.locator('#login-error')).toHaveText('Wrong username, e-mail or password.');
  await page.fill('#password', s.admin.password);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/settings\/profile/);
  await expect(page.locator('#pro-tip')).toBeVisible();
  await shot(page, 'profile-with-tip');
  // The tip goes at once; the reload waits for the server to have recorded it.
  const dismissed = page.waitForResponse((r) => r.url().includes('/fn/sessions.dismiss_tip'));
  await page.getByRole('button', { name: 'Got it' }).click();
  await expect(page.locator('#pro-tip')).toHaveCount(0);
  expect((await dismissed).ok()).toBe(true);
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#profile-email')).toHaveText('admin@example.com');
  await expect(page.locator('#pro-tip')).toHaveCount(0);
  await page.click('#logout');
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByText('You have logged out.')).toBeVisible();
});

test('failed attempts are throttled with a clear message', async ({ page }) => {
  const s = server();
  await page.goto(`${s.url}/login`);
  await hydrated(page);
  for (let i = 0; i < 5; i++) {
    await page.fill('#login', 'throttled@example.com');
    await page.fill('#password', `wrong-${i}`);
    const [res] = await Promise.all([page.waitForResponse('**/fn/sessions.login'), page.click('button[type=submit]')]);
    expect(res.status()).toBe(401);
    await expect(page.locator('#login-error')).toHaveText('Wrong username, e-mail or password.');
  }
  // Even the right password is refused while the account is locked.
  await page.fill('#login', 'throttled@example.com');
  await page.fill('#password', 'throttle-password-1');
  await page.click('button[type=submit]');
  await expect(page.locator('#login-error')).toHaveText(/Too many failed attempts\. Try again in 1[45] minutes\./);
  await shot(page, 'login-throttled');
});

test('members do not see administrator sections, and are refused when they go there', async ({ page }) => {
  const s = server();
  await login(page, s.member);
  await hydrated(page);
  await expect(page.getByRole('navigation', { name: 'Settings' }).getByRole('link')).toHaveText(['Profile', 'Configuration', 'Workspace']);
  await expect(page.locator('#admin-nav')).toHaveCount(0);
  const res = await page.goto(`${s.url}/settings/audit-log`);
  expect(res?.status()).toBe(403);
  await expect(page.locator('#forbidden')).toContainText('Administrators only');
  await shot(page, 'member-forbidden');
  // The server function refuses too, whatever the page shows.
  const api = await page.request.post(`${s.url}/fn/admin/audit.list`, {
    headers: { 'content-type': 'application/json', origin: s.url },
    data: { query: {} },
  });
  expect(api.status()).toBe(403);
});

test('admins see every section, each of them built', async ({ page }) => {
  const s = server();
  await login(page, s.admin);
  await hydrated(page);
  const nav = page.getByRole('navigation', { name: 'Settings' });
  await expect(nav.getByRole('link')).toHaveText([
    'Profile', 'Configuration', 'Workspace', 'Administrator Vaults', 'Users & Groups', 'Access Rules',
    'Identity Providers', 'Resource Configuration', 'Resource Policies', 'Usage & Billing', 'Audit Log',
  ]);
  await nav.getByRole('link', { name: 'Usage & Billing' }).click();
  await expect(page).toHaveURL(/\/settings\/billing/);
  await expect(page.locator('#usage-card')).toBeVisible();
  await expect(page.locator('.unavailable')).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Usage & Billing' })).toHaveAttribute('aria-current', 'page');
});

test('a state-changing request from another site is refused', async ({ request }) => {
  const s = server();
  const res = await request.post(`${s.url}/fn/sessions.login`, {
    headers: { origin: 'http://evil.example' },
    form: { login: s.admin.login, password: s.admin.password },
  });
  expect(res.status()).toBe(403);
});
