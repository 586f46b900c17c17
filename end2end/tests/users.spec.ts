import { test, expect } from '@playwright/test';
import { server, hydrated, login, shot } from './helpers';

test('users: invite → pending → accept → active; change a role; remove (their session ends)', async ({ browser }) => {
  const s = server();
  const uma = await (await browser.newContext()).newPage();
  await login(uma, { login: 'uma@example.com', password: 'uma-password-1' });
  const ulf = await (await browser.newContext()).newPage();
  await login(ulf, { login: 'ulf@example.com', password: 'ulf-password-1' });

  await uma.goto(`${s.url}/settings/users`);
  await hydrated(uma);
  const rows = uma.locator('#users-table tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(uma.locator('#seats')).toHaveText('2 members and pending invitations');
  await expect(uma.locator('tr[data-email="uma@example.com"]')).toContainText('you');

  // Invite through the dialog; the new row is Pending with its date.
  await uma.click('#invite-user');
  const dialog = uma.getByRole('dialog', { name: 'Invite users' });
  await dialog.locator('#dialog-invite-emails').fill('una@example.com');
  await dialog.locator('#dialog-send-invites').click();
  const link = (await dialog.locator('#dialog-link-una-example-com').textContent())!.trim();
  await dialog.getByRole('button', { name: 'Done' }).click();
  const pendingRow = uma.locator('tr[data-email="una@example.com"]');
  await expect(pendingRow).toContainText('Pending');
  await expect(pendingRow).toContainText(/[A-Z][a-z]{2} \d{1,2}, \d{4}/);
  await shot(uma, 'users-pending');

  // Resend gives a new link; the old one stops working.
  await pendingRow.getByRole('button', { name: 'Resend' }).click();
  await expect(uma.locator('#resent-link')).toContainText('/invite?token=');
  const fresh = (await uma.locator('#resent-link').textContent())!.trim();
  expect(fresh).not.toBe(link);
  const newcomer = await (await browser.newContext()).newPage();
  await newcomer.goto(link);
  await expect(newcomer.getByRole('heading', { name: 'This invitation is no longer valid' })).toBeVisible();
  await newcomer.goto(fresh);
  await hydrated(newcomer);
  await newcomer.fill('#accept-name', 'Una New');
  await newcomer.fill('#accept-password', 'una-password-1');
  await newcomer.fill('#accept-password-confirm', 'una-password-1');
  await newcomer.click('#accept-form button[type=submit]');
  await expect(newcomer).toHaveURL(/\/settings\/workspace/);

  await uma.reload();
  await hydrated(uma);
  await expect(uma.locator('tr[data-email="una@example.com"]')).toContainText('Active');
  await expect(uma.locator('tr[data-email="una@example.com"]')).toContainText('Una New');

  // Make Ulf an admin, and back.
  const ulfRow = uma.locator('tr[data-email="ulf@example.com"]');
  await ulfRow.locator('select.role-select').selectOption('admin');
  await uma.waitForResponse('**/fn/load_users');
  await uma.reload();
  await hydrated(uma);
  await expect(ulfRow.locator('select.role-select')).toHaveValue('admin');
  await ulfRow.locator('select.role-select').selectOption('member');
  await uma.waitForResponse('**/fn/load_users');

  // Remove Ulf after a confirmation; his session in this workspace ends at once.
  await ulfRow.getByRole('button', { name: 'Remove ulf@example.com' }).click();
  const confirm = uma.getByRole('dialog', { name: 'Remove user' });
  await expect(confirm).toContainText('They lose access at once');
  await shot(uma, 'users-remove-confirm');
  await confirm.locator('#confirm-action').click();
  await expect(ulfRow).toHaveCount(0);
  await shot(uma, 'users-after-remove');
  await ulf.goto(`${s.url}/settings/profile`);
  await expect(ulf).toHaveURL(/\/login/);
});

test('members are refused the Users page', async ({ page }) => {
  const s = server();
  await login(page, s.member);
  const res = await page.goto(`${s.url}/settings/users`);
  expect(res?.status()).toBe(403);
});
