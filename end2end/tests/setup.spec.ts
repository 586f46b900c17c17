import { test, expect } from '@playwright/test';
import { hydrated, shot } from './helpers';
import { startServer, stopServer, Running } from '../server';

// A server of its own: the first start prints a one-time link, and following it creates the first
// workspace and its administrator.
test.describe.configure({ mode: 'serial' });
let s: Running;
test.beforeAll(async () => { s = await startServer(); });
test.afterAll(() => stopServer(s));

test('set-up link: field errors, then the first administrator is created and logged in', async ({ page }) => {
  await page.goto(s.setupUrl);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Set up Atrium' })).toBeVisible();
  await page.fill('#setup-workspace', 'Founders');
  await page.fill('#setup-name', 'Grace Hopper');
  await page.fill('#setup-email', 'grace@example.com');
  await page.fill('#setup-password', 'compilers-rule-1');
  await page.fill('#setup-password-confirm', 'compilers-rule-2');
  await page.click('#setup-form button[type=submit]');
  await expect(page.getByText('The passwords do not match.')).toBeVisible();
  await shot(page, 'setup-error');
  await page.fill('#setup-password-confirm', 'compilers-rule-1');
  await page.click('#setup-form button[type=submit]');
  await expect(page).toHaveURL(/\/settings\/profile/);
  await expect(page.locator('#profile-email')).toHaveText('grace@example.com');
  await expect(page.locator('#profile-role')).toHaveText('Admin');
  await expect(page.locator('#profile-workspace')).toHaveText('Founders');
  await shot(page, 'setup-done-profile');
});

test('the set-up link works only once', async ({ page }) => {
  await page.goto(s.setupUrl);
  await expect(page.getByRole('heading', { name: 'This set-up link is no longer valid' })).toBeVisible();
});
