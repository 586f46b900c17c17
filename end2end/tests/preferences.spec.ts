import { test, expect } from '@playwright/test';
import { server, hydrated, login, shot } from './helpers';

test('preferences persist, the hidden-argument list is edited in a dialog', async ({ page }) => {
  const s = server();
  await login(page, s.member);
  await page.goto(`${s.url}/settings/configuration`);
  await hydrated(page);
  const hiddenProjects = page.locator('#pref-show-hidden');
  await expect(hiddenProjects).not.toBeChecked();
  await page.locator('label[for=pref-show-hidden]').click();
  await expect(page.locator('#prefs-status')).toHaveText('Saved');
  await expect(page.locator('#hidden-args-list li')).toHaveText([
    'CLEARML_API_SECRET_KEY', 'CLEARML_AGENT_GIT_PASS', 'AWS_SECRET_ACCESS_KEY', 'AZURE_STORAGE_KEY',
  ]);
  await expect(page.locator('#pref-telemetry')).toHaveCount(1);
  await shot(page, 'preferences');

  // Keyboard: Space toggles a focused switch.
  await page.locator('#pref-block-scripts').focus();
  await page.keyboard.press('Space');
  await expect(page.locator('#pref-block-scripts')).toBeChecked();
  await expect(page.locator('#prefs-status')).toHaveText('Saved');

  await page.click('#edit-hidden-args');
  const dialog = page.getByRole('dialog', { name: 'Hide specific container arguments' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Remove variable' }).nth(1).click();
  await dialog.locator('#add-hidden-arg').click();
  await dialog.locator('.arg-input').last().fill('bad name');
  await dialog.locator('#save-hidden-args').click();
  await expect(dialog.locator('.field-error')).toContainText("'bad name' is not a valid variable name");
  await shot(page, 'preferences-dialog-error');
  await dialog.locator('.arg-input').last().fill('hf_token');
  await dialog.locator('#save-hidden-args').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('#hidden-args-list li')).toHaveText([
    'CLEARML_API_SECRET_KEY', 'AWS_SECRET_ACCESS_KEY', 'AZURE_STORAGE_KEY', 'HF_TOKEN',
  ]);

  // Escape closes the dialog without saving.
  await page.click('#edit-hidden-args');
  await dialog.locator('#add-hidden-arg').click();
  await dialog.locator('.arg-input').last().fill('NOT_SAVED');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  await page.reload();
  await hydrated(page);
  await expect(page.locator('#pref-show-hidden')).toBeChecked();
  await expect(page.locator('#pref-block-scripts')).toBeChecked();
  await expect(page.locator('#hidden-args-list li')).toHaveText([
    'CLEARML_API_SECRET_KEY', 'AWS_SECRET_ACCESS_KEY', 'AZURE_STORAGE_KEY', 'HF_TOKEN',
  ]);
});

test.describe('HiDPI', () => {
  test.use({ deviceScaleFactor: 2 });
  test('the page zooms out on a HiDPI screen unless the override is disabled', async ({ page }) => {
    const s = server();
    await login(page, s.admin);
    await page.goto(`${s.url}/settings/configuration`);
    await hydrated(page);
    await expect(page.locator('html')).toHaveAttribute('data-hidpi-zoom', 'on');
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).zoom)).toBe('0.85');
    await page.locator('label[for=pref-disable-hidpi]').click();
    await expect(page.locator('html')).toHaveAttribute('data-hidpi-zoom', 'off');
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).zoom)).toBe('1');
    await page.locator('label[for=pref-disable-hidpi]').click();
    await expect(page.locator('html')).toHaveAttribute('data-hidpi-zoom', 'on');
  });
});

test('turning tips off means no tip at the next login', async ({ browser }) => {
  const s = server();
  const a = await browser.newContext();
  const p1 = await a.newPage();
  await login(p1, s.member);
  await expect(p1.locator('#pro-tip')).toBeVisible();
  await p1.goto(`${s.url}/settings/configuration`);
  await hydrated(p1);
  await p1.locator('label[for=pref-hide-tips]').click();
  await expect(p1.locator('#prefs-status')).toHaveText('Saved');
  await a.close();
  const b = await browser.newContext();
  const p2 = await b.newPage();
  await login(p2, s.member);
  await hydrated(p2);
  await expect(p2.locator('#profile-email')).toHaveText('member@example.com');
  await expect(p2.locator('#pro-tip')).toHaveCount(0);
  // Back on for the other specs.
  await p2.goto(`${s.url}/settings/configuration`);
  await hydrated(p2);
  await p2.locator('label[for=pref-hide-tips]').click();
  await expect(p2.locator('#prefs-status')).toHaveText('Saved');
  await b.close();
});
