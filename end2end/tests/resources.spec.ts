import { test, expect, Locator, Page } from '@playwright/test';
import { server, hydrated, login, shot, auditPage, resources } from './helpers';

/** Calls the REST API with the page's session cookie (same-origin POST, as the console would). */
async function api(page: Page, name: string, data: unknown) {
  const s = server();
  const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
  return { status: res.status(), body: await res.json() };
}

async function ok(page: Page, name: string, data: unknown) {
  const r = await api(page, name, data);
  expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body.data;
}

/** Drags a profile's link handle onto a pool's card with the mouse (pointer events). */
async function dragLink(page: Page, profile: string, pool: string) {
  const handle = page.locator(`.profile-card[data-profile-name="${profile}"] .link-handle`);
  const target = page.locator(`.pool-card[data-pool-name="${pool}"]`);
  await page.locator('#resource-canvas').scrollIntoViewIfNeeded();
  const from = (await handle.boundingBox())!;
  const to = (await target.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
  await expect(page.locator('.link-draft')).toHaveCount(1);
  await page.mouse.up();
}

/** Drags one element onto another with the mouse (pointer events). */
async function dragOnto(page: Page, from: Locator, to: Locator) {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

async function links(page: Page, profile: string) {
  return page.locator(`.profile-card[data-profile-name="${profile}"] .link-list .reorder`).allTextContents();
}

test('the seed example built on the canvas by dragging and by keyboard, provisioned, with policies, and tasks admitted as the README says', async ({ browser }) => {
  test.setTimeout(300_000);
  const s = server();
  const nora = await (await browser.newContext({ bypassCSP: true, viewport: { width: 1440, height: 1100 } })).newPage();
  await login(nora, { login: 'nora@example.com', password: 'nora-password-1' });
  const ned = await (await browser.newContext()).newPage();
  await login(ned, { login: 'ned@example.com', password: 'ned-password-1' });
  const rey = await (await browser.newContext()).newPage();
  await login(rey, { login: 'rey@example.com', password: 'rey-password-1' });
  const nedId = (await ok(ned, 'users.get_current_user', {})).user.id;
  const reyId = (await ok(rey, 'users.get_current_user', {})).user.id;
  await ok(nora, 'groups.create', { name: 'Dev', members: [nedId] });
  await ok(nora, 'groups.create', { name: 'Research', members: [reyId] });

  await nora.goto(`${s.url}/settings/resources`);
  await hydrated(nora);
  await expect(nora.locator('#canvas-empty')).toBeVisible();
  await auditPage(nora, 'resources-empty');
  await nora.click('#open-editor');

  // Pools and a profile from the "+ Add" buttons.
  for (const [name, n] of [['Bare Metal', '8'], ['H100', '8']]) {
    await nora.click('#add-pool');
    const dialog = nora.getByRole('dialog', { name: 'Add Pool' });
    await dialog.locator('#card-name').fill(name);
    await dialog.locator('#card-amount').fill(n);
    await dialog.locator('#card-save').click();
    await expect(dialog).toBeHidden();
  }
  await nora.click('#add-profile');
  const profileDialog = nora.getByRole('dialog', { name: 'Add Profile' });
  await profileDialog.locator('#card-amount').fill('0.125');
  await profileDialog.locator('#card-name').fill('4xGPU');
  await profileDialog.locator('#card-save').click();
  await expect(profileDialog.locator('.error-note')).toContainText('at most two decimals');
  await profileDialog.locator('#card-amount').fill('4');
  await profileDialog.locator('#card-save').click();
  await expect(profileDialog).toBeHidden();
  await expect(nora.locator('.pool-card')).toHaveCount(2);
  await expect(nora.locator('.profile-card')).toHaveCount(1);

  // Drag 4xGPU's handle onto Bare Metal: Connect Profile asks for the connection's name.
  await dragLink(nora, '4xGPU', 'Bare Metal');
  const connect = nora.getByRole('dialog', { name: 'Connect Profile' });
  await expect(connect).toBeVisible();
  await expect(connect.locator('#connection-name')).toHaveValue('4xGPU on Bare Metal');
  await connect.locator('#connection-name').fill('first choice');
  await connect.locator('#connect').click();
  await expect(connect).toBeHidden();
  await expect(nora.locator('path.link-line')).toHaveCount(1);
  await expect(nora.locator('.pool-card[data-pool-name="Bare Metal"] .priority-list li')).toHaveText(['4xGPU']);

  // The same by keyboard: focus the handle, Enter, an arrow to H100, Enter.
  const handle = nora.locator('.profile-card[data-profile-name="4xGPU"] .link-handle');
  await handle.focus();
  await nora.keyboard.press('Enter');
  await expect(nora.locator('.pool-card[data-pool-name="Bare Metal"]')).toHaveClass(/drop-target/);
  await nora.keyboard.press('ArrowRight');
  await expect(nora.locator('.pool-card[data-pool-name="H100"]')).toHaveClass(/drop-target/);
  await expect(nora.locator('#canvas-announce')).toHaveText('H100, 2 of 2.');
  await nora.keyboard.press('Enter');
  await expect(connect).toBeVisible();
  await nora.keyboard.press('Enter');
  await expect(connect).toBeHidden();
  await expect(nora.locator('path.link-line')).toHaveCount(2);
  expect(await links(nora, '4xGPU')).toEqual(['first choice → Bare Metal', '4xGPU on H100 → H100']);
  await expect(nora.locator('#canvas-announce')).toHaveText('Profile 4xGPU linked to pool H100.');

  // Reorder the precedence with Alt+Arrow keys, and back.
  await nora.locator('.profile-card[data-profile-name="4xGPU"] .link-list .reorder').first().focus();
  await nora.keyboard.press('Alt+ArrowDown');
  await expect.poll(() => links(nora, '4xGPU')).toEqual(['4xGPU on H100 → H100', 'first choice → Bare Metal']);
  await nora.locator('.profile-card[data-profile-name="4xGPU"] .link-list .reorder').last().focus();
  await nora.keyboard.press('Alt+ArrowUp');
  await expect.poll(() => links(nora, '4xGPU')).toEqual(['first choice → Bare Metal', '4xGPU on H100 → H100']);
  // And by dragging one link onto the other, and back.
  const items = nora.locator('.profile-card[data-profile-name="4xGPU"] .link-list .reorder');
  await dragOnto(nora, items.nth(0), items.nth(1));
  await expect.poll(() => links(nora, '4xGPU')).toEqual(['4xGPU on H100 → H100', 'first choice → Bare Metal']);
  await expect(nora.locator('#canvas-announce')).toHaveText('Moved from place 1 to place 2.');
  await dragOnto(nora, items.nth(1), items.nth(0));
  await expect.poll(() => links(nora, '4xGPU')).toEqual(['first choice → Bare Metal', '4xGPU on H100 → H100']);
  await shot(nora, 'resources-editor');

  // Save, then Provision (confirmed): the page shows the provisioned configuration.
  const saved = nora.waitForResponse((r) => r.url().includes('resources.save'));
  await nora.click('#save');
  await saved;
  await expect(nora.locator('#resources-notice')).toContainText('Saved');
  await nora.click('#provision');
  await nora.getByRole('dialog', { name: 'Provision the configuration' }).locator('#confirm-action').click();
  await expect(nora.locator('#resources-notice')).toContainText('Provisioned: 2 queues made');
  await nora.click('#exit-editor');
  await expect(nora.locator('.pool-card[data-pool-name="H100"] .card-figure')).toHaveText('0 / 8 in use');

  // Policies: Dev above Research (added first), each reserving 8 with a limit of 16.
  await nora.goto(`${s.url}/settings/resource-policies`);
  await hydrated(nora);
  await expect(nora.locator('#policies-empty')).toBeVisible();
  for (const [name, group] of [['Dev', 'Dev'], ['Research', 'Research']]) {
    await nora.click('#add-policy');
    const dialog = nora.getByRole('dialog', { name: 'Add Policy' });
    await dialog.locator('#policy-name').fill(name);
    await dialog.locator('#policy-group').selectOption({ label: group });
    await dialog.locator('#policy-reservation').fill('8');
    await dialog.locator('#policy-limit').fill('16');
    await dialog.locator('#add-queue').click();
    await dialog.locator('.queue-name').fill(`${name.toLowerCase()}-4x`);
    await dialog.locator('.queue-profile').selectOption({ label: '4xGPU (4 per job)' });
    await dialog.locator('#policy-save').click();
    await expect(dialog).toBeHidden();
    await expect(nora.locator('#policies-notice')).toContainText(`Policy ${name} saved. Provisioned`);
  }
  await expect(nora.locator('#policies-table tbody tr')).toHaveCount(2);
  await shot(nora, 'resource-policies');

  // Four 4-GPU tasks each from Dev and Research, enqueued with the real SDK's Task.enqueue; then
  // resource management on.
  const queues = (await ok(nora, 'queues.get_all', {})).queues as { name: string; id: string }[];
  const queue = (name: string) => queues.find((q) => q.name === name)!.id;
  const tasks: Record<string, string[]> = { dev: [], research: [] };
  for (const [who, page] of [['dev', ned], ['research', rey]] as const) {
    for (let i = 0; i < 4; i++) {
      tasks[who].push((await ok(page, 'tasks.create', { name: `${who} ${i}`, type: 'training' })).id);
    }
    const key = (await ok(page, 'auth.create_credentials', { label: 'canvas sdk' })).credentials;
    const step = await resources(['enqueue', '--api', `${s.url}/api`, '--access-key', key.access_key, '--secret-key', key.secret_key,
      '--tasks', tasks[who].join(','), '--queue', `${who}-4x`]);
    expect(step.ok, JSON.stringify(step.detail, null, 1)).toBe(true);
  }
  await nora.goto(`${s.url}/settings/resources`);
  await hydrated(nora);
  // What-if: the editor's configuration, run in the browser over the live queues, before anything runs.
  await nora.click('#open-editor');
  await nora.click('#what-if');
  await expect(nora.locator('#what-if-result')).toContainText('If provisioned now: 4 of 8 waiting tasks would start.');
  await expect(nora.locator('#what-if-result li[data-pool="Bare Metal"]')).toHaveText('Bare Metal: 2 more, 8 of 8 in use');
  // Exit reloads the page's configuration, which draws the toggle anew: click it once that is done
  // (a click on the toggle being replaced would be lost).
  const reloaded = nora.waitForResponse((r) => r.url().includes('resources.overview'));
  await nora.click('#exit-editor');
  await reloaded;
  await expect(nora.locator('#open-editor')).toBeVisible();
  const toggled = nora.waitForResponse((r) => r.url().includes('resources.set_enabled'));
  await nora.locator('label[for=resources-enabled]').click();
  await toggled;
  await expect(nora.locator('#resources-notice')).toContainText('4 tasks admitted');
  await expect(nora.locator('.pool-card[data-pool-name="Bare Metal"] .card-figure')).toHaveText('8 / 8 in use');
  await expect(nora.locator('.pool-card[data-pool-name="H100"] .card-figure')).toHaveText('8 / 8 in use');
  const entries = async (name: string) => (await ok(nora, 'queues.get_by_id', { queue: queue(name) })).queue.entries.map((e: { task: string }) => e.task);
  expect(await entries('Bare Metal')).toEqual(tasks.dev.slice(0, 2));
  expect(await entries('H100')).toEqual(tasks.research.slice(0, 2));
  expect((await ok(ned, 'tasks.get_pending_reason', { task: tasks.dev[2] })).reason).toBe('pools_full');
  // Why each task waits, on the page too.
  const waitingRow = (task: string) => nora.locator(`#waiting-table tr[data-task="${task}"]`);
  await expect(waitingRow(tasks.dev[2]).locator('.reason')).toContainText('Bare Metal has 0 of 8 free, H100 has 0 of 8 free');
  await expect(waitingRow(tasks.dev[3]).locator('.reason')).toHaveText('1 older task of queue dev-4x goes first.');
  // Live counts: a task leaving its queue shows on the profile's card without a reload.
  const profileStats = nora.locator('.profile-card[data-profile-name="4xGPU"] .muted.small');
  await expect(profileStats).toHaveText('4 queued · 4 running · 2 policies');
  await ok(ned, 'tasks.dequeue', { task: tasks.dev[3] });
  await expect(profileStats).toHaveText('3 queued · 4 running · 2 policies', { timeout: 10_000 });
  await expect(waitingRow(tasks.dev[3])).toHaveCount(0);
  await shot(nora, 'resources-canvas');
  await auditPage(nora, 'resources-canvas');
});
