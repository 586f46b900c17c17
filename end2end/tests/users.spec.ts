import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { server, hydrated, login, shot, sdk } from './helpers';

test('users: invite → pending → accept → active; change a role; remove (their session ends)', async ({ browser }) => {
  test.setTimeout(90_000);
  const s = server();
  const uma = await (await browser.newContext()).newPage();
  await login(uma, { login: 'uma@example.com', password: 'uma-password-1' });
  const ulf = await (await browser.newContext()).newPage();
  await login(ulf, { login: 'ulf@example.com', password: 'ulf-password-1' });
  // Ulf has a key pair the real SDK uses, and a token from it.
  await ulf.goto(`${s.url}/settings/workspace`);
  await hydrated(ulf);
  await ulf.click('#create-credentials');
  await ulf.getByRole('dialog', { name: 'Create new credentials' }).locator('#confirm-create').click();
  const ulfSection = (await ulf.getByRole('dialog', { name: 'New credentials' }).locator('#config-section').textContent())!;
  const ulfKey = ulfSection.match(/"access_key" = "([A-Z0-9]{30})"/)![1];
  const ulfSecret = ulfSection.match(/"secret_key" = "([A-Za-z0-9_-]{67})"/)![1];
  const ulfSdk = ['--api', `${s.url}/api`, '--access-key', ulfKey, '--secret-key', ulfSecret];
  const ulfToken = execFileSync('python3', ['sdk/check_sdk.py', ...ulfSdk, '--print-token'], { encoding: 'utf8' }).trim().split('\n').pop()!;

  await uma.goto(`${s.url}/settings/users`);
  await hydrated(uma);
  const rows = uma.locator('#users-table tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(uma.locator('#seats')).toHaveText('2 members and pending invitations');
  await expect(uma.locator('tr[data-email="uma@example.com"]')).toContainText('you');
  await expect(uma.locator('tr[data-email="uma@example.com"] .user-groups')).toHaveText('Users, Admins');
  await expect(uma.locator('tr[data-email="ulf@example.com"] .user-groups')).toHaveText('Users');

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
  await Promise.all([
    uma.waitForResponse('**/fn/admin/users.set_role'),
    ulfRow.locator('select.role-select').selectOption('admin'),
  ]);
  await uma.reload();
  await hydrated(uma);
  await expect(ulfRow.locator('select.role-select')).toHaveValue('admin');
  await Promise.all([
    uma.waitForResponse('**/fn/admin/users.set_role'),
    ulfRow.locator('select.role-select').selectOption('member'),
  ]);

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
  // His key and the token taken before fail for the real SDK.
  const removed = sdk([...ulfSdk, '--revoked', '--old-token', ulfToken]);
  expect(removed.map((st) => [st.step, st.ok])).toEqual([['revoked', true]]);
});

test('members are refused the Users page', async ({ page }) => {
  const s = server();
  await login(page, s.member);
  const res = await page.goto(`${s.url}/settings/users`);
  expect(res?.status()).toBe(403);
});

test('service accounts: add with a key pair shown once, more keys, revoke one, delete (its keys stop working)', async ({ page }) => {
  test.setTimeout(90_000);
  const s = server();
  await login(page, { login: 'uma@example.com', password: 'uma-password-1' });
  await page.goto(`${s.url}/settings/users`);
  await hydrated(page);
  await expect(page.locator('#no-service-accounts')).toBeVisible();
  await page.click('#add-service-account');
  const add = page.getByRole('dialog', { name: 'Add service account' });
  await add.locator('#sa-name').fill('CI agent');
  await add.locator('#sa-impersonation').check();
  await add.locator('#create-sa').click();
  const shown = page.getByRole('dialog', { name: 'Service account credentials' });
  const section = (await shown.locator('#sa-config-section').textContent())!;
  const key = section.match(/"access_key" = "([A-Z0-9]{30})"/)![1];
  const secret = section.match(/"secret_key" = "([A-Za-z0-9_-]{67})"/)![1];
  await shot(page, 'service-account-created');
  await shown.locator('#sa-credentials-done').click();
  const row = page.locator('tr[data-name="CI agent"]');
  await expect(row).toContainText('impersonation');
  await expect(row.locator('.sa-credential-count')).toHaveText('1');
  await expect(row.locator('.user-groups')).toHaveText('Users');

  // The key works on the API; the token says what clearml-agent looks for.
  const auth = { authorization: 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64') };
  const res = await page.request.get(`${s.url}/api/auth.login`, { headers: auth });
  expect(res.status()).toBe(200);
  const token = (await res.json()).data.token as string;
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  expect(claims.identity.service_account_type).toBe(2);

  // The real SDK, as clearml-agent runs a task for its owner: impersonate Uma, then act as her.
  const umaId = (await (await page.request.get(`${s.url}/api/users.get_current_user`)).json()).data.user.id as string;
  const common = ['--api', `${s.url}/api`, '--access-key', key, '--secret-key', secret];
  const acting = sdk([...common, '--impersonate', umaId, '--expect-email', 'uma@example.com']);
  expect(acting.map((st) => [st.step, st.ok])).toEqual([['impersonate', true]]);

  // Edit: another key pair, then revoke the first one.
  await row.locator('.edit-sa').click();
  const edit = page.getByRole('dialog', { name: 'Edit service account' });
  await expect(edit.locator('#sa-keys li')).toHaveCount(1);
  await edit.locator('#sa-create-credentials').click();
  await expect(shown.locator('#sa-config-section')).toContainText('secret_key');
  const section2 = (await shown.locator('#sa-config-section').textContent())!;
  const key2 = section2.match(/"access_key" = "([A-Z0-9]{30})"/)![1];
  const secret2 = section2.match(/"secret_key" = "([A-Za-z0-9_-]{67})"/)![1];
  await shown.locator('#sa-credentials-done').click();
  await expect(edit.locator('#sa-keys li')).toHaveCount(2);
  await edit.getByRole('button', { name: `Revoke ${key}` }).click();
  await expect(edit.locator('#sa-keys li')).toHaveCount(1);
  expect((await page.request.get(`${s.url}/api/auth.login`, { headers: auth })).status()).toBe(401);
  // Without "Allow impersonation" the same request is refused.
  await edit.locator('#edit-sa-impersonation').uncheck();
  await edit.locator('#save-sa').click();
  await expect(edit).toHaveCount(0);
  await expect(row).not.toContainText('impersonation');
  await row.locator('.edit-sa').click();
  await expect(edit.locator('#sa-keys li')).toHaveCount(1);
  expect((await edit.locator('#sa-keys li code').textContent())!.trim()).toBe(key2);
  await edit.getByRole('button', { name: 'Cancel' }).click();
  const refused = sdk(['--api', `${s.url}/api`, '--access-key', key2, '--secret-key', secret2, '--impersonate', umaId, '--expect-refused']);
  expect(refused.map((st) => [st.step, st.ok])).toEqual([['impersonate', true]]);
  await expect(row.locator('.sa-credential-count')).toHaveText('1');

  const token2 = execFileSync('python3', ['sdk/check_sdk.py', '--api', `${s.url}/api`, '--access-key', key2, '--secret-key', secret2, '--print-token'], { encoding: 'utf8' }).trim().split('\n').pop()!;

  // Delete after a confirmation.
  await row.getByRole('button', { name: 'Delete CI agent' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete service account' });
  await expect(confirm).toContainText('agents using them fail on their next call');
  await confirm.locator('#confirm-action').click();
  await expect(row).toHaveCount(0);
  await shot(page, 'service-accounts-after-delete');
  // Its key and a token taken before fail for the real SDK (agents using them fail on their next call).
  const gone = sdk(['--api', `${s.url}/api`, '--access-key', key2, '--secret-key', secret2, '--revoked', '--old-token', token2]);
  expect(gone.map((st) => [st.step, st.ok])).toEqual([['revoked', true]]);
});

test('groups: built-ins are protected; add a group with the member picker, edit it, delete it', async ({ page }) => {
  const s = server();
  await login(page, { login: 'uma@example.com', password: 'uma-password-1' });
  await page.goto(`${s.url}/settings/users`);
  await hydrated(page);
  const table = page.locator('#groups-table');
  await expect(table.locator('tbody tr')).toHaveCount(3);
  for (const name of ['Users', 'Admins', 'Queue admins']) {
    const row = table.locator(`tr[data-group="${name}"]`);
    await expect(row).toContainText('built-in');
    await expect(row.getByRole('button', { name: `Delete ${name}` })).toHaveCount(0);
  }
  await expect(table.locator('tr[data-group="Users"] .edit-group')).toHaveCount(0);
  await expect(table.locator('tr[data-group="Admins"]')).toContainText('Uma Admin');

  await page.click('#add-group');
  const dialog = page.getByRole('dialog', { name: 'User group' });
  await dialog.locator('#group-name').fill('Vision');
  await dialog.locator('#group-description').fill('Image models');
  await dialog.locator('#member-filter').fill('uma');
  await expect(dialog.locator('#member-matches li')).toHaveCount(1);
  await dialog.locator('#member-filter').press('Enter');
  await expect(dialog.locator('#group-members li')).toHaveCount(1);
  await shot(page, 'group-dialog');
  await dialog.locator('#save-group').click();
  await expect(dialog).toHaveCount(0);
  const vision = table.locator('tr[data-group="Vision"]');
  await expect(vision).toContainText('1 · Uma Admin');

  // A taken name is refused with a clear message.
  await page.click('#add-group');
  await dialog.locator('#group-name').fill('Vision');
  await dialog.locator('#save-group').click();
  await expect(dialog.locator('.error-note')).toContainText('A group with this name exists.');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // Edit: remove the member with the trash icon.
  await vision.locator('.edit-group').click();
  await dialog.getByRole('button', { name: 'Remove Uma Admin from the group' }).click();
  await dialog.locator('#save-group').click();
  await expect(vision.locator('.group-members')).toHaveText('0');

  await vision.getByRole('button', { name: 'Delete Vision' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete group' });
  await confirm.locator('#confirm-action').click();
  await expect(vision).toHaveCount(0);
  await shot(page, 'groups');
});
