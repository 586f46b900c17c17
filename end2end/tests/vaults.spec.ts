import { test, expect, Page } from '@playwright/test';
import { server, hydrated, login, shot } from './helpers';

// The console's configuration vaults: Vic's personal vault on the Configuration page, and Vera's
// administrator vaults (Administrator Vaults) with the effective configuration they give Vic.
// vaults-sdk.spec.ts works with the same people through the API (vaults "storage defaults" and
// "json extras", and Vic's personal vault), so this spec only asserts on its own vaults and keys and
// copes with Vic's personal vault existing already.

const VERA = { login: 'vera@example.com', password: 'vera-password-1' };
const VIC = { login: 'vic@example.com', password: 'vic-password-1' };

/** Calls the REST API with the page's session cookie (same-origin POST, as the console would). */
async function api(page: Page, name: string, data: unknown) {
  const s = server();
  const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
  return { status: res.status(), body: await res.json() };
}

/** The caller's personal vault as the console's server function returns it (null when none). */
async function personal(page: Page): Promise<{ id: string; text: string; format: string; enabled: boolean; version: number } | null> {
  const s = server();
  const res = await page.request.post(`${s.url}/fn/vaults.personal`, { headers: { origin: s.url }, form: {} });
  expect(res.status()).toBe(200);
  return res.json();
}

const INVALID_HOCON = 'sdk {\n  atrium_e2e {\n    personal_key: "never stored"\n  \n';
const VALID_HOCON = [
  '# set from the console',
  'sdk {',
  '  atrium_e2e {',
  '    personal_key: "from vic\'s vault"',
  '    retries = 3',
  '  }',
  '}',
].join('\n');

test('personal vault: a parse error names its line and stores nothing, a valid one is saved, enabled, previewed and survives reload', async ({ page }) => {
  test.setTimeout(90_000);
  const s = server();
  await login(page, VIC);
  const before = await personal(page);

  await page.goto(`${s.url}/settings/configuration`);
  await hydrated(page);
  const card = page.locator('#configuration-vault');
  await expect(card.getByRole('heading', { name: 'Configuration Vault' })).toBeVisible();
  await expect(card.locator('#personal-vault-enabled')).toHaveCount(1);
  if (!before?.text.trim()) {
    await expect(card.locator('#no-vault')).toContainText('No personal configuration yet — EDIT to add some');
  }
  await shot(page, 'vault-personal-initial');

  // EDIT opens the editor; Enter is a new line, not a save.
  await card.locator('#edit-vault').click();
  const editor = card.locator('#vault-editor-text');
  await expect(editor).toBeVisible();
  await card.locator('#vault-format').selectOption('hocon');
  await editor.fill('sdk {');
  await editor.press('End');
  await editor.press('Enter');
  await expect(editor).toHaveValue('sdk {\n');
  await expect(editor).toBeVisible();

  // Text that does not parse: the error names the line and column, and nothing is stored.
  await editor.fill(INVALID_HOCON);
  await card.locator('#save-vault').click();
  await expect(card.locator('#vault-error')).toContainText(/line \d+, column \d+/);
  await expect(editor).toHaveAttribute('aria-invalid', 'true');
  await expect(editor).toBeVisible();
  const afterInvalid = await personal(page);
  expect(afterInvalid?.version ?? null).toBe(before?.version ?? null);
  expect(afterInvalid?.text ?? null).toBe(before?.text ?? null);
  await shot(page, 'vault-personal-parse-error');

  // A valid text is stored and shown read-only with its line numbers.
  await editor.fill(VALID_HOCON);
  await card.locator('#save-vault').click();
  await expect(editor).toHaveCount(0);
  const box = card.locator('#vault-text');
  await expect(box).toContainText('personal_key: "from vic\'s vault"');
  await expect(box.locator('.code-line')).toHaveCount(VALID_HOCON.split('\n').length);
  await expect(card.locator('#vault-meta')).toContainText('HOCON');
  const saved = await personal(page);
  expect(saved).toMatchObject({ text: VALID_HOCON, format: 'hocon' });

  // Enable it: saved at once.
  const enabled = card.locator('#personal-vault-enabled');
  if (!(await enabled.isChecked())) {
    await Promise.all([
      page.waitForResponse('**/fn/vaults.save_personal'),
      card.locator('label[for=personal-vault-enabled]').click(),
    ]);
  }
  await expect(enabled).toBeChecked();
  await expect.poll(async () => (await personal(page))?.enabled).toBe(true);

  // It survives a reload.
  await page.reload();
  await hydrated(page);
  await expect(card.locator('#vault-text')).toContainText('retries = 3');
  await expect(card.locator('#personal-vault-enabled')).toBeChecked();
  await shot(page, 'vault-personal-saved');

  // Cancel restores the stored text; a double-click opens the editor too.
  await card.locator('#vault-text').dblclick();
  await expect(editor).toHaveValue(VALID_HOCON);
  await editor.fill('this is not kept');
  await card.locator('#cancel-vault').click();
  await expect(editor).toHaveCount(0);
  await expect(card.locator('#vault-text')).toContainText('personal_key');
  await expect(card.locator('#vault-text')).not.toContainText('this is not kept');

  // The preview: the merged configuration, where each key comes from, and the vaults applied.
  await card.locator('#preview-effective').click();
  const preview = page.getByRole('dialog', { name: 'Effective configuration' });
  const row = preview.locator('tr[data-key="sdk.atrium_e2e.personal_key"]');
  await expect(row.locator('.effective-value')).toHaveText('"from vic\'s vault"');
  await expect(row.locator('.effective-set-by')).toHaveText('Personal vault');
  await expect(preview.locator('tr[data-key="sdk.atrium_e2e.retries"] .effective-value')).toHaveText('3');
  await expect(preview.locator('#effective-applied')).toContainText('Personal vault');
  await shot(page, 'vault-personal-preview');
  await page.keyboard.press('Escape');
  await expect(preview).toHaveCount(0);

  // Someone else saves in between: OK answers a conflict that says so, and nothing is overwritten.
  await card.locator('#edit-vault').click();
  const current = (await personal(page))!;
  const elsewhere = await api(page, 'users.add_or_update_vault', {
    vault: { id: current.id, scope: 'user', enabled: true, format: 'hocon', data: VALID_HOCON + '\nsdk.atrium_e2e.elsewhere: 1\n', version: current.version },
  });
  expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(200);
  await editor.fill(VALID_HOCON + '\nsdk.atrium_e2e.mine: 2\n');
  await card.locator('#save-vault').click();
  await expect(card.locator('#vault-error')).toContainText('Someone else saved this vault');
  await shot(page, 'vault-personal-conflict');
  expect((await personal(page))!.text).toContain('elsewhere');
  await card.locator('#vault-reload').click();
  await expect(card.locator('#vault-text')).toContainText('sdk.atrium_e2e.elsewhere: 1');
  await expect(editor).toHaveCount(0);

  // Leave Vic as this spec found him (no personal vault, if he had none).
  if (!before) {
    const gone = await api(page, 'users.delete_vaults', { vaults: [current.id] });
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
  }
});

const NAME = 'console team defaults';
const YAML = 'sdk:\n  atrium_ui:\n    team_key: from-console-vault\n    bucket: s3://console-bucket\n';
const IMPORTED = JSON.stringify({ sdk: { atrium_ui: { team_key: 'from-imported-file', retries: 5 } } }, null, 2) + '\n';

test('administrator vaults: add (YAML), import a file, edit, download, switch off and on, preview a member, delete', async ({ page }) => {
  test.setTimeout(120_000);
  const s = server();
  await login(page, VERA);
  await page.goto(`${s.url}/settings/admin-vaults`);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Administrator Vaults' })).toBeVisible();
  await expect(page.locator('#admin-nav')).toContainText('Administrator Vaults');
  await shot(page, 'admin-vaults-initial');

  // The dialog: a name is needed, Escape closes it.
  await page.click('#add-vault');
  const add = page.getByRole('dialog', { name: 'Add vault' });
  await expect(add).toBeVisible();
  const reference = add.getByRole('link', { name: /Configuration reference/ });
  await expect(reference).toHaveAttribute('href', 'https://clear.ml/docs/latest/docs/configs/clearml_conf');
  await expect(reference).toHaveAttribute('target', '_blank');
  await expect(reference).toHaveAttribute('rel', 'noopener');
  await page.keyboard.press('Escape');
  await expect(add).toHaveCount(0);

  await page.click('#add-vault');
  await expect(add).toBeVisible();
  await add.locator('#save-vault-form').click();
  await expect(add.locator('#vault-name-error')).toBeVisible();

  // Invalid YAML: the error names the line; valid YAML is added.
  await add.locator('#vault-name').fill(NAME);
  await add.locator('#vault-group').selectOption({ label: 'Users' });
  await add.locator('#vault-format-select').selectOption('yaml');
  await add.locator('#vault-description').fill('Set from the console');
  const content = add.locator('#vault-content');
  await content.fill('sdk:\n  atrium_ui: [unclosed\n');
  await add.locator('#save-vault-form').click();
  await expect(add.locator('#vault-content-error')).toContainText(/line \d+/);
  await content.fill(YAML.trimEnd());
  await content.press('End');
  await content.press('Enter');
  await expect(add).toBeVisible();
  await expect(content).toHaveValue(YAML);
  await shot(page, 'admin-vaults-add');
  await add.locator('#save-vault-form').click();
  await expect(add).toHaveCount(0);

  const row = page.locator(`#vaults-table tr[data-vault="${NAME}"]`);
  await expect(row.locator('.vault-group')).toHaveText('Users');
  await expect(row.locator('.vault-summary')).toContainText('YAML');
  await expect(row.locator('.vault-summary')).toContainText('sdk');
  await expect(row.locator('.vault-description')).toHaveText('Set from the console');
  await expect(row.locator('.vault-active')).toBeChecked();
  await expect(row.locator('.vault-updated')).toContainText('by Vera Vault');
  const vaultId = (await row.locator('.vault-id pre').textContent())!.trim();
  expect(vaultId).toMatch(/\S{8,}/);
  await shot(page, 'admin-vaults-table');

  // Edit: the dialog is prefilled; a file imported replaces the content and picks its format.
  await row.getByRole('button', { name: `Edit ${NAME}` }).click();
  const edit = page.getByRole('dialog', { name: 'Edit vault' });
  await expect(edit.locator('#vault-name')).toHaveValue(NAME);
  await expect(edit.locator('#vault-content')).toHaveValue(YAML);
  await expect(edit.locator('#vault-format-select')).toHaveValue('yaml');
  await edit.locator('#vault-import').setInputFiles({ name: 'team-overrides.json', mimeType: 'application/json', buffer: Buffer.from(IMPORTED) });
  await expect(edit.locator('#vault-import-status')).toHaveText('Loaded team-overrides.json as JSON.');
  await expect(edit.locator('#vault-content')).toHaveValue(IMPORTED);
  await expect(edit.locator('#vault-format-select')).toHaveValue('json');
  await shot(page, 'admin-vaults-import');
  await edit.locator('#save-vault-form').click();
  await expect(edit).toHaveCount(0);
  await expect(row.locator('.vault-summary')).toContainText('JSON');

  // Download: the text as it was written, named after the vault and its format.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('button', { name: `Download ${NAME}` }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`${NAME}.json`);
  const downloaded = Buffer.concat(await (await download.createReadStream()).toArray()).toString();
  expect(downloaded).toBe(IMPORTED);

  // Vic's effective configuration: the key this vault sets, set by it.
  const effective = page.locator('#effective-configuration');
  await effective.locator('#effective-member').selectOption({ label: 'Vic Member' });
  const key = effective.locator('tr[data-key="sdk.atrium_ui.team_key"]');
  await expect(key.locator('.effective-value')).toHaveText('"from-imported-file"');
  await expect(key.locator('.effective-set-by')).toHaveText(`${NAME} (Users)`);
  await expect(effective.locator('#effective-applied')).toContainText(NAME);
  await shot(page, 'admin-vaults-effective');

  // Switched off: saved at once, left out of Vic's configuration; switched on again: back.
  await Promise.all([page.waitForResponse('**/fn/admin/vaults.save'), row.locator('label.toggle').click()]);
  await expect(row.locator('.vault-active')).not.toBeChecked();
  await expect(effective.locator('#effective-disabled')).toContainText(NAME);
  await expect(key).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(row.locator('.vault-active')).not.toBeChecked();
  await shot(page, 'admin-vaults-off');
  await Promise.all([page.waitForResponse('**/fn/admin/vaults.save'), row.locator('label.toggle').click()]);
  await expect(row.locator('.vault-active')).toBeChecked();
  await effective.locator('#effective-member').selectOption({ label: 'Vic Member' });
  await expect(key.locator('.effective-set-by')).toHaveText(`${NAME} (Users)`);

  // Delete asks first; Cancel keeps it, Delete removes it.
  await row.getByRole('button', { name: `Delete ${NAME}` }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete vault' });
  await expect(confirm).toContainText(NAME);
  await shot(page, 'admin-vaults-delete');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: `Delete ${NAME}` }).click();
  await confirm.locator('#confirm-action').click();
  await expect(confirm).toHaveCount(0);
  await expect(row).toHaveCount(0);
  await expect(key).toHaveCount(0);
  const list = await page.request.post(`${s.url}/fn/admin/vaults.list`, { headers: { origin: s.url }, form: {} });
  expect(list.status()).toBe(200);
  expect(await list.text()).not.toContain(vaultId);
});

test('a member sees "Administrators only" on Administrator Vaults, and its server functions answer 403', async ({ page }) => {
  const s = server();
  await login(page, VIC);
  const res = await page.goto(`${s.url}/settings/admin-vaults`);
  expect(res?.status()).toBe(403);
  await hydrated(page);
  await expect(page.locator('#forbidden')).toContainText('Administrators only');
  await expect(page.locator('#admin-nav')).toHaveCount(0);
  await shot(page, 'admin-vaults-member');
  const list = await page.request.post(`${s.url}/fn/admin/vaults.list`, { headers: { origin: s.url }, form: {} });
  expect(list.status()).toBe(403);
  const save = await page.request.post(`${s.url}/fn/admin/vaults.save`, { headers: { origin: s.url }, data: { form: { name: 'x', group_id: 'y', text: '{}' } } });
  expect(save.status()).toBe(403);
});
