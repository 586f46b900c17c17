import { test, expect, Page } from '@playwright/test';
import { server, hydrated, login, shot, auditPage } from './helpers';

/** Calls the REST API with the page's session cookie (same-origin POST, as the console would). */
async function api(page: Page, name: string, data: unknown) {
  const s = server();
  const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
  const body = await res.json();
  return { status: res.status(), body };
}

async function projectNames(page: Page): Promise<string[]> {
  const r = await api(page, 'projects.get_all', {});
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.data.projects.map((p: { name: string }) => p.name).sort();
}

test('access rules: add a rule with the pickers, edit it, filter, explain, delete — and the API follows', async ({ browser }) => {
  test.setTimeout(120_000);
  const s = server();
  // Rosa's context lets the accessibility audit inject axe-core past the CSP.
  const rosa = await (await browser.newContext({ bypassCSP: true })).newPage();
  await login(rosa, { login: 'rosa@example.com', password: 'rosa-password-1' });
  const rudy = await (await browser.newContext()).newPage();
  await login(rudy, { login: 'rudy@example.com', password: 'rudy-password-1' });
  const rick = await (await browser.newContext()).newPage();
  await login(rick, { login: 'rick@example.com', password: 'rick-password-1' });
  for (const name of ['Gallery', 'Gallery/Portraits', 'Garage']) {
    expect((await api(rosa, 'projects.create', { name })).status).toBe(200);
  }
  await api(rosa, 'groups.create', { name: 'Curators', members: [] });
  expect(await projectNames(rick)).toEqual(['Gallery', 'Gallery/Portraits', 'Garage']);

  await rosa.goto(`${s.url}/settings/access-rules`);
  await hydrated(rosa);
  await expect(rosa.locator('#no-rules')).toBeVisible();
  await auditPage(rosa, 'access-rules-empty');

  // Add: Gallery, Read Only, for Rudy.
  await rosa.click('#add-rule');
  const dialog = rosa.getByRole('dialog', { name: 'Access rule' });
  await dialog.locator('#rule-kind').selectOption('project');
  await dialog.locator('#rule-object').fill('gal');
  const matches = dialog.locator('#rule-object-matches li');
  await expect(matches).toHaveText(['Gallery', 'Gallery/Portraits']);
  await matches.getByRole('button', { name: 'Gallery', exact: true }).click();
  await expect(dialog.locator('#rule-object-picked')).toContainText('Gallery');
  await dialog.locator('#rule-permission').selectOption('read');
  await dialog.locator('#subject-filter').fill('rud');
  await dialog.locator('#subject-matches').getByRole('button', { name: /Rudy/ }).click();
  await expect(dialog.locator('#rule-subjects li')).toHaveCount(1);
  await shot(rosa, 'access-rules-dialog');
  await dialog.locator('#save-rule').click();
  await expect(dialog).toBeHidden();
  const row = rosa.locator('#rules-table tbody tr');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Project');
  await expect(row.locator('.rule-object')).toHaveText('Gallery');
  await expect(row.locator('.rule-permission')).toHaveText('Read Only');
  await expect(row.locator('.rule-subjects')).toContainText('Rudy');

  // The API follows at once: Rick no longer sees Gallery or what is under it; Rudy reads it.
  expect(await projectNames(rick)).toEqual(['Garage']);
  expect(await projectNames(rudy)).toEqual(['Gallery', 'Gallery/Portraits', 'Garage']);
  const gallery = (await api(rosa, 'projects.get_all', { name: '^Gallery$' })).body.data.projects[0].id;
  const edit = await api(rudy, 'projects.update', { project: gallery, description: 'mine' });
  expect([edit.status, edit.body.meta.result_subcode]).toEqual([403, 21]);

  // Edit with the pencil: Read & Modify, and the Curators group too; the subject's trash removes.
  await row.locator('.edit-rule').click();
  await expect(dialog.locator('#rule-object-picked')).toContainText('Gallery');
  await dialog.locator('#rule-permission').selectOption('modify');
  await dialog.locator('#subject-filter').fill('cur');
  await dialog.locator('#subject-filter').press('Enter');
  await expect(dialog.locator('#rule-subjects li')).toHaveCount(2);
  await dialog.locator('#rule-subjects').getByRole('button', { name: 'Remove Curators from the rule' }).hover();
  await dialog.locator('#save-rule').click();
  await expect(dialog).toBeHidden();
  await expect(row.locator('.rule-permission')).toHaveText('Read & Modify');
  await expect(row.locator('.rule-subjects')).toContainText('Curators');
  expect((await api(rudy, 'projects.update', { project: gallery, description: 'mine' })).status).toBe(200);

  // Filters: by type, by target object, by subject.
  await rosa.locator('#filter-kind').selectOption('task');
  await expect(rosa.locator('#no-matching-rules')).toBeVisible();
  await rosa.locator('#filter-kind').selectOption('');
  await rosa.locator('#filter-object').fill('garage');
  await expect(rosa.locator('#no-matching-rules')).toBeVisible();
  await rosa.locator('#filter-object').fill('gall');
  await expect(row).toHaveCount(1);
  await rosa.locator('#filter-subject').fill('curat');
  await expect(row).toHaveCount(1);
  await rosa.locator('#filter-subject').fill('nobody');
  await expect(rosa.locator('#no-matching-rules')).toBeVisible();
  await rosa.locator('#filter-subject').fill('');
  await rosa.locator('#filter-object').fill('');

  // The explainer: who reaches Gallery/Portraits (through the rule on Gallery), and why.
  await rosa.locator('#explain-kind').selectOption('project');
  await rosa.locator('#explain-object-name').fill('portraits');
  await rosa.locator('#explain-object-name-matches').getByRole('button', { name: 'Gallery/Portraits' }).click();
  await rosa.click('#explain-go');
  const reach = rosa.locator('#explain-table tbody tr');
  await expect(rosa.locator('#explain-covering')).toHaveText('1 rule covers this object.');
  await expect(reach.filter({ hasText: 'Rudy' })).toContainText('Read & Modify');
  await expect(reach.filter({ hasText: 'Rudy' })).toContainText('Read & Modify on project Gallery');
  await expect(reach.filter({ hasText: 'Rick' })).toContainText('No access');
  await expect(reach.filter({ hasText: 'Rosa' })).toContainText('Administrator');
  await auditPage(rosa, 'access-rules-explain-object');
  // And what Rick reaches.
  await rosa.click('#explain-person');
  await rosa.locator('#explain-user').selectOption({ label: 'Rick Member' });
  await rosa.click('#explain-go');
  await expect(reach.filter({ hasText: 'Garage' })).toContainText('No rule covers it');
  await expect(reach.filter({ hasText: 'Gallery/Portraits' })).toContainText('No access');
  await shot(rosa, 'access-rules-explain-person');

  // Delete after confirmation: Rick sees Gallery again.
  await row.locator('.trash').click();
  const confirm = rosa.getByRole('dialog', { name: 'Delete rule' });
  await expect(confirm).toContainText('Read & Modify on project Gallery');
  await confirm.locator('#confirm-action').click();
  await expect(rosa.locator('#no-rules')).toBeVisible();
  expect(await projectNames(rick)).toEqual(['Gallery', 'Gallery/Portraits', 'Garage']);

  // A member gets the administrators-only page.
  const res = await rudy.goto(`${s.url}/settings/access-rules`);
  expect(res!.status()).toBe(403);
  await expect(rudy.locator('#forbidden')).toBeVisible();
});
