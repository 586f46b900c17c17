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

test('the first workspace starts with examples; "Don\'t show examples" and "Show hidden projects" change its listings', async ({ page }) => {
  await page.goto(`${s.url}/login`);
  await hydrated(page);
  await page.fill('#login', 'grace@example.com');
  await page.fill('#password', 'compilers-rule-1');
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/settings\/profile/);
  const list = async (name: string, data: unknown = {}) => {
    const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
    expect(res.status(), name).toBe(200);
    const body = await res.json();
    const key = name.split('.')[0];
    return (body.data[key] as { name: string }[]).map((o) => o.name).sort();
  };
  expect(await list('projects.get_all')).toEqual(['Examples']);
  expect(await list('tasks.get_all')).toEqual(['Train a digit classifier']);
  expect(await list('models.get_all')).toEqual(['Digit classifier']);
  expect(await list('queues.get_all')).toEqual(['default']);
  // The example dataset, as clearml.Dataset.list_datasets asks for it.
  expect(await list('tasks.get_all', { system_tags: ['dataset'], search_hidden: true })).toEqual(['Digits']);

  await page.goto(`${s.url}/settings/configuration`);
  await hydrated(page);
  await page.locator('label[for=pref-show-hidden]').click();
  await expect(page.locator('#prefs-status')).toHaveText('Saved');
  expect(await list('projects.get_all')).toEqual(['Examples', 'Examples/.datasets', 'Examples/.datasets/Digits']);

  await page.locator('label[for=pref-hide-examples]').click();
  await expect(page.locator('#prefs-status')).toHaveText('Saved');
  await shot(page, 'preferences-examples-hidden');
  expect(await list('projects.get_all')).toEqual([]);
  expect(await list('tasks.get_all')).toEqual([]);
  expect(await list('models.get_all')).toEqual([]);
  // The default queue is no example: it stays.
  expect(await list('queues.get_all')).toEqual(['default']);
});
