import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { server, hydrated, login, shot, sdk, SDK_PYTHON } from './helpers';

async function createCredentials(page: Page, label: string): Promise<{ section: string; key: string; secret: string }> {
  await page.click('#create-credentials');
  const dialog = page.getByRole('dialog', { name: 'Create new credentials' });
  await dialog.locator('#credential-label').fill(label);
  await dialog.locator('#confirm-create').click();
  const shown = page.getByRole('dialog', { name: 'New credentials' });
  await expect(shown.locator('#config-section')).toContainText('secret_key');
  const section = (await shown.locator('#config-section').textContent())!;
  const key = section.match(/"access_key" = "([A-Z0-9]{30})"/)![1];
  const secret = section.match(/"secret_key" = "([A-Za-z0-9_-]{67})"/)![1];
  return { section, key, secret };
}

test('credentials: create (shown once, copy), use with the real SDK and clearml-init, relabel, revoke kills key and token', async ({ page, context }) => {
  test.setTimeout(90_000);
  const s = server();
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await login(page, { login: 'sam@example.com', password: 'sam-password-1' });
  await page.goto(`${s.url}/settings/workspace`);
  await hydrated(page);
  await expect(page.locator('#app-credentials')).toContainText('No credentials in this workspace yet.');

  const { section, key, secret } = await createCredentials(page, 'laptop');
  const shown = page.getByRole('dialog', { name: 'New credentials' });
  expect(section).toContain(`web_server: ${s.url}\n`);
  expect(section).toContain(`api_server: ${s.url}/api\n`);
  // Copy puts exactly the section on the clipboard.
  await shown.getByRole('button', { name: 'Copy' }).click();
  await expect(shown.getByRole('button', { name: 'Copy' })).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(section);
  await shot(page, 'credentials-created');
  await shown.locator('#tab-jupyter').click();
  await expect(shown.locator('#jupyter-lines')).toContainText(`%env CLEARML_API_ACCESS_KEY=${key}`);
  await shown.locator('#credentials-done').click();
  await expect(shown).toHaveCount(0);

  // Listed without the secret; never shown again.
  const row = page.locator(`tr[data-access-key="${key}"]`);
  await expect(row).toContainText('laptop');
  await expect(row).toContainText('Never');
  expect(await page.content()).not.toContain(secret);

  // The real SDK: Session, users.get_current_user, and clearml-init with the pasted section.
  const dir = mkdtempSync(join(tmpdir(), 'atrium-sdk-'));
  writeFileSync(join(dir, 'section.txt'), section);
  const common = ['--api', `${s.url}/api`, '--web', s.url, '--files', `${s.url}/files`, '--access-key', key, '--secret-key', secret];
  const steps = sdk([...common, '--config-section', join(dir, 'section.txt'), '--expect-email', 'sam@example.com', '--expect-workspace', 'Sam Space']);
  expect(steps.map((st) => [st.step, st.ok])).toEqual([['session', true], ['current_user', true], ['clearml_init', true]]);
  const token = execFileSync('python3', ['sdk/check_sdk.py', '--python', SDK_PYTHON, ...common, '--print-token'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  expect(token.split('.')).toHaveLength(3);

  // Last used shows up after the SDK logged in.
  await page.reload();
  await hydrated(page);
  await expect(row).toContainText('from');

  // Relabel inline.
  await row.getByRole('button', { name: 'Edit label' }).click();
  await page.fill(`#label-${key}`, 'ci runner');
  await page.press(`#label-${key}`, 'Enter');
  await expect(row.locator(`#label-${key}-value`)).toHaveText('ci runner');

  // Revoke: confirmation first, cancel does nothing.
  await row.getByRole('button', { name: `Revoke ${key}` }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke credentials' });
  await expect(confirm).toContainText('cannot be undone');
  await shot(page, 'credentials-revoke-confirm');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: `Revoke ${key}` }).click();
  await confirm.locator('#confirm-action').click();
  await expect(row).toHaveCount(0);

  // The revoked key and the token issued from it both fail, through the SDK and over HTTP.
  const revoked = sdk([...common, '--config-section', join(dir, 'section.txt'), '--expect-email', 'sam@example.com', '--revoked', '--old-token', token]);
  expect(revoked.map((st) => [st.step, st.ok])).toEqual([['revoked', true]]);
});

test('workspaces: invite by e-mail, accept as a new person and as an existing user, switch, rename, leave', async ({ browser }) => {
  test.setTimeout(90_000);
  const s = server();
  const owner = await (await browser.newContext()).newPage();
  await login(owner, { login: 'wanda@example.com', password: 'wanda-password-1' });
  await owner.goto(`${s.url}/settings/workspace`);
  await hydrated(owner);
  await expect(owner.locator('tr[data-workspace="Wanda Lab"]')).toContainText('personal');

  // Rename the workspace (admins) inline.
  await owner.locator('tr[data-workspace="Wanda Lab"]').getByRole('button', { name: 'Edit workspace name' }).click();
  await owner.locator('tr[data-workspace="Wanda Lab"] input').fill('Wanda Research');
  await owner.keyboard.press('Enter');
  await expect(owner.locator('.workspace-name')).toHaveText('Wanda Research');

  // Invite two addresses at once: one new person, one existing user; a bad address names itself.
  await owner.fill('#invite-emails', 'newbie@example.com, not-an-address');
  await owner.click('#send-invites');
  await expect(owner.locator('#invite-users .error-note')).toHaveText("'not-an-address' is not a valid e-mail address.");
  await owner.fill('#invite-emails', 'newbie@example.com\nivy@example.com');
  await owner.click('#send-invites');
  await expect(owner.locator('#invite-results .invite-result')).toHaveCount(2);
  await expect(owner.locator('#invite-results [data-email="ivy@example.com"]')).toContainText('has an account');
  const link = (await owner.locator('#invite-link-newbie-example-com').textContent())!.trim();
  expect(link).toMatch(new RegExp(`^${s.url}/invite\\?token=`));
  await owner.reload();
  await hydrated(owner);
  await expect(owner.locator('#pending-invitations tbody tr')).toHaveCount(2);
  await expect(owner.locator('#pending-invitations')).toContainText('Pending');
  await shot(owner, 'workspace-admin');

  // A new person follows the link, sets a name and password, and lands in the workspace.
  const newbie = await (await browser.newContext()).newPage();
  await newbie.goto(link);
  await hydrated(newbie);
  await expect(newbie.getByRole('heading', { name: 'Join Wanda Research' })).toBeVisible();
  await newbie.fill('#accept-name', 'Nina Newbie');
  await newbie.fill('#accept-password', 'newbie-password-1');
  await newbie.fill('#accept-password-confirm', 'newbie-password-1');
  await newbie.click('#accept-form button[type=submit]');
  await expect(newbie).toHaveURL(/\/settings\/workspace/);
  await expect(newbie.locator('.workspace-name')).toHaveText('Wanda Research');
  await expect(newbie.locator('tr[data-workspace="Wanda Research"]')).toContainText('current');
  await expect(newbie.locator('tr[data-workspace="Nina Newbie\'s workspace"]')).toContainText('personal');
  // The link was shown to the inviter, not e-mailed: Nina's address is not verified, so invitations
  // reach her only as links.
  await expect(newbie.locator('#unverified-note')).toContainText('Your e-mail address is not verified yet');
  // The link works once.
  const again = await (await browser.newContext()).newPage();
  await again.goto(link);
  await expect(again.getByRole('heading', { name: 'This invitation is no longer valid' })).toBeVisible();

  // The existing user sees the invitation in the console and accepts it there.
  const ivy = await (await browser.newContext()).newPage();
  await login(ivy, { login: 'ivy@example.com', password: 'ivy-password-1' });
  await hydrated(ivy);
  await expect(ivy.locator('#invitation-banner')).toContainText('You have an invitation');
  await ivy.locator('#invitation-banner').getByRole('link', { name: 'View' }).click();
  await expect(ivy.locator('#invitations-for-you')).toContainText('Wanda Owner invited you to Wanda Research.');
  await ivy.getByRole('button', { name: 'Accept' }).click();
  await expect(ivy.locator('tr[data-workspace="Wanda Research"]')).toBeVisible();
  await ivy.waitForLoadState('load');
  await hydrated(ivy);

  // Switch to it: the session and every page follow.
  await ivy.locator('tr[data-workspace="Wanda Research"]').getByRole('button', { name: 'Switch to workspace' }).click();
  await expect(ivy.locator('tr[data-workspace="Wanda Research"]')).toContainText('current');
  await hydrated(ivy);
  await expect(ivy.locator('.workspace-name')).toHaveText('Wanda Research');
  await ivy.goto(`${s.url}/settings/profile`);
  await expect(ivy.locator('#profile-workspace')).toHaveText('Wanda Research');
  await expect(ivy.locator('#profile-role')).toHaveText('Member');

  // Credentials made there; leaving (after a confirmation) revokes them and returns to the personal workspace.
  await ivy.goto(`${s.url}/settings/workspace`);
  await hydrated(ivy);
  const { key, secret } = await createCredentials(ivy, 'wanda-lab key');
  await ivy.locator('#credentials-done').click();
  const login1 = await ivy.request.get(`${s.url}/api/auth.login`, { headers: { authorization: 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64') } });
  expect(login1.status()).toBe(200);
  await expect(ivy.locator('tr[data-workspace="Ivy Home"] .leave')).toHaveCount(0);
  await ivy.locator('tr[data-workspace="Wanda Research"]').getByRole('button', { name: 'Leave' }).click();
  const confirm = ivy.getByRole('dialog', { name: 'Leave workspace' });
  await expect(confirm).toContainText('Your credentials in it are revoked at once');
  await shot(ivy, 'workspace-leave-confirm');
  await confirm.locator('#confirm-action').click();
  await expect(ivy.locator('tr[data-workspace="Wanda Research"]')).toHaveCount(0);
  await expect(ivy.locator('.workspace-name')).toHaveText('Ivy Home');
  const login2 = await ivy.request.get(`${s.url}/api/auth.login`, { headers: { authorization: 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64') } });
  expect(login2.status()).toBe(401);
  expect((await login2.json()).meta.result_subcode).toBe(22);
});

test('members cannot invite, and see no admin card', async ({ page }) => {
  const s = server();
  await login(page, s.member);
  await page.goto(`${s.url}/settings/workspace`);
  await hydrated(page);
  await expect(page.locator('#invite-users')).toHaveCount(0);
  const res = await page.request.post(`${s.url}/fn/admin/workspaces.invite`, { headers: { origin: s.url }, form: { emails: 'x@example.com' } });
  expect(res.status()).toBe(403);
  await shot(page, 'workspace-member');
});
