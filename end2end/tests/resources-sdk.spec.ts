import { test, expect, Page } from '@playwright/test';
import { server, login, resources } from './helpers';

/** Calls the REST API with the page's session cookie (same-origin POST, as the console would). */
async function api(page: Page, name: string, data: unknown) {
  const s = server();
  const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
  return { status: res.status(), body: await res.json() };
}

async function keyPair(page: Page, label: string) {
  const cred = await api(page, 'auth.create_credentials', { label });
  expect(cred.status, JSON.stringify(cred.body)).toBe(200);
  return { key: cred.body.data.credentials.access_key, secret: cred.body.data.credentials.secret_key };
}

test('tasks the SDK enqueues into a policy queue are admitted onto a pool, run one at a time by clearml-agent on the pool\'s queue, and each end frees the pool for the next', async ({ browser }) => {
  test.setTimeout(600_000);
  const gala = await (await browser.newContext()).newPage();
  await login(gala, { login: 'gala@example.com', password: 'gala-password-1' });
  const gus = await (await browser.newContext()).newPage();
  await login(gus, { login: 'gus@example.com', password: 'gus-password-1' });
  const admin = await keyPair(gala, 'resources admin');
  const owner = await keyPair(gus, 'resources sdk');
  const sa = await api(gala, 'service_accounts.create', { name: 'pool-agent', allow_impersonation: true });
  expect(sa.status, JSON.stringify(sa.body)).toBe(200);
  const agent = sa.body.data.credentials;
  const step = await resources(['allocate', '--api', `${server().url}/api`, '--access-key', owner.key, '--secret-key', owner.secret,
    '--admin-key', admin.key, '--admin-secret', admin.secret,
    '--agent-key', agent.access_key, '--agent-secret', agent.secret_key]);
  expect(step.ok, JSON.stringify(step.detail, null, 1)).toBe(true);
  expect(step.detail.statuses).toEqual(['failed', 'failed']);
  expect(step.detail.second_reason.reason).toBe('policy_limit');
  expect(step.detail.in_use_after).toEqual([0]);
});
