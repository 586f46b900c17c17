import { test, expect } from '@playwright/test';
import { server, hydrated, login, shot } from './helpers';

test('profile shows who you are; the name is edited inline with checks, Enter and Escape', async ({ page }) => {
  const s = server();
  await login(page, s.admin);
  await hydrated(page);
  await expect(page.locator('#profile-email')).toHaveText('admin@example.com');
  await expect(page.locator('#profile-workspace')).toHaveText('Research');
  await expect(page.locator('#profile-role')).toHaveText('Admin');
  await expect(page.locator('#profile-avatar')).toHaveText('AA');
  await expect(page.locator('#profile-created')).toHaveText(/^[A-Z][a-z]{2} \d{1,2}, \d{4}$/);

  // Hovering shows the pencil.
  await page.locator('.profile-name .inline-edit').hover();
  await expect(page.getByRole('button', { name: 'Edit name' })).toBeVisible();
  await shot(page, 'profile-hover');

  // Escape cancels without saving.
  await page.getByRole('button', { name: 'Edit name' }).click();
  await page.fill('#profile-name', 'Someone Else');
  await page.press('#profile-name', 'Escape');
  await expect(page.locator('#profile-name-value')).toHaveText('Ada Admin');

  // Empty and over-long names are refused inline, and nothing is saved.
  await page.getByRole('button', { name: 'Edit name' }).click();
  await page.fill('#profile-name', '   ');
  await page.press('#profile-name', 'Enter');
  await expect(page.locator('.inline-edit .field-error')).toHaveText('Name cannot be empty.');
  await page.fill('#profile-name', 'x'.repeat(81));
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.locator('.inline-edit .field-error')).toHaveText('Name must be at most 80 characters.');
  await shot(page, 'profile-name-error');

  // The check mark saves; the top bar and avatar follow; a reload shows the stored value.
  await page.fill('#profile-name', 'Ada Lovelace');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.locator('#profile-name-value')).toHaveText('Ada Lovelace');
  await expect(page.locator('#topbar-user-name')).toHaveText('Ada Lovelace');
  await expect(page.locator('#profile-avatar')).toHaveText('AL');
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#profile-name-value')).toHaveText('Ada Lovelace');

  // Put it back for the other specs, with Enter this time.
  await page.getByRole('button', { name: 'Edit name' }).click();
  await page.fill('#profile-name', 'Ada Admin');
  await page.press('#profile-name', 'Enter');
  await expect(page.locator('#profile-name-value')).toHaveText('Ada Admin');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('the server-rendered profile shows the same facts', async ({ page }) => {
    const s = server();
    await login(page, s.member, { js: false });
    await expect(page.locator('#profile-email')).toHaveText('member@example.com');
    await expect(page.locator('#profile-role')).toHaveText('Member');
    await expect(page.locator('#profile-name-value')).toHaveText('Max Member');
    await shot(page, 'profile-ssr');
  });
});
