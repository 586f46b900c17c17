import { test, expect } from '@playwright/test';
import { server, hydrated, login, shot } from './helpers';

test('changes appear in the audit log, newest first, filterable and exportable as CSV', async ({ page }) => {
  const s = server();
  await login(page, s.admin);
  await hydrated(page);
  // Make a change to find.
  await page.getByRole('button', { name: 'Edit name' }).click();
  await page.fill('#profile-name', 'Ada Audited');
  await page.press('#profile-name', 'Enter');
  await expect(page.locator('#profile-name-value')).toHaveText('Ada Audited');
  await page.getByRole('button', { name: 'Edit name' }).click();
  await page.fill('#profile-name', 'Ada Admin');
  await page.press('#profile-name', 'Enter');
  await expect(page.locator('#profile-name-value')).toHaveText('Ada Admin');

  await page.getByRole('link', { name: 'Audit Log' }).click();
  await expect(page).toHaveURL(/\/settings\/audit-log/);
  const rows = page.locator('#audit-table tbody tr');
  await expect(rows.first()).toContainText('user.rename');
  await expect(rows.first().locator('.changes li')).toHaveText('name: Ada Audited → Ada Admin');
  await shot(page, 'audit-log');

  await expect(page.locator('#audit-table')).toContainText('session.login');
  await page.selectOption('#filter-type', 'user');
  await page.click('#apply-filters');
  await expect(page.locator('#audit-table')).not.toContainText('session.login');
  await expect(rows.first()).toContainText('user.rename');
  for (const text of await rows.allTextContents()) expect(text).toContain('user');

  await page.fill('#filter-actor', 'nobody-by-this-name');
  await page.click('#apply-filters');
  await expect(page.locator('#audit-empty')).toBeVisible();

  await page.fill('#filter-actor', 'ada');
  await page.fill('#filter-from', '2000-01-01');
  await page.click('#apply-filters');
  await expect(rows.first()).toContainText('user.rename');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = await (await download.createReadStream()).toArray().then((c) => Buffer.concat(c).toString());
  const lines = csv.trim().split('\n');
  expect(lines[0]).toBe('time_utc,actor,actor_id,channel,action,object_type,object_id,object_name,summary');
  expect(lines.length).toBeGreaterThan(2);
  expect(lines[1]).toContain('user.rename');
  for (const line of lines.slice(1)) expect(line).toContain(',user,');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('the server-rendered audit log lists entries', async ({ page }) => {
    const s = server();
    await login(page, s.admin, { js: false });
    await page.goto(`${s.url}/settings/audit-log`);
    await expect(page.locator('#audit-table tbody tr').first()).toBeVisible();
    await expect(page.locator('#audit-table')).toContainText('session.login');
  });
});
