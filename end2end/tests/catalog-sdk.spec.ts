import { test, expect, Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { server, login, catalog } from './helpers';

/** Calls the REST API with the page's session cookie (same-origin POST, as the console would). */
async function api(page: Page, name: string, data: unknown) {
  const s = server();
  const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
  return { status: res.status(), body: await res.json() };
}

test.describe.configure({ mode: 'serial' });

let cole: { key: string; secret: string };
let agent: { key: string; secret: string };

test.beforeAll(async ({ browser }) => {
  const cara = await (await browser.newContext()).newPage();
  await login(cara, { login: 'cara@example.com', password: 'cara-password-1' });
  const colePage = await (await browser.newContext()).newPage();
  await login(colePage, { login: 'cole@example.com', password: 'cole-password-1' });
  const cred = await api(colePage, 'auth.create_credentials', { label: 'catalog sdk' });
  expect(cred.status).toBe(200);
  cole = { key: cred.body.data.credentials.access_key, secret: cred.body.data.credentials.secret_key };
  const sa = await api(cara, 'service_accounts.create', { name: 'catalog-agent', allow_impersonation: true });
  expect(sa.status, JSON.stringify(sa.body)).toBe(200);
  agent = { key: sa.body.data.credentials.access_key, secret: sa.body.data.credentials.secret_key };
  // Cole makes queues: only the Queue admins group (and administrators) may.
  const me = await api(colePage, 'users.get_current_user', {});
  const groups = await api(cara, 'groups.get_all', {});
  const queueAdmins = groups.body.data.groups.find((g: { builtin: string }) => g.builtin === 'queue_admins');
  const joined = await api(cara, 'groups.update', {
    id: queueAdmins.id, name: queueAdmins.name, description: queueAdmins.description, members: [me.body.data.user.id],
  });
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  // Cole's personal vault: the agent's run of Cole's task must see it.
  const vault = await api(colePage, 'users.add_or_update_vault', {
    vault: { scope: 'user', enabled: true, format: 'hocon', data: 'sdk.catalog_probe { owner: "cole-vault" }' },
  });
  expect(vault.status, JSON.stringify(vault.body)).toBe(200);
});

function keys() {
  return ['--api', `${server().url}/api`, '--access-key', cole.key, '--secret-key', cole.secret];
}

test('the real SDK creates, lists, queues and dequeues tasks, and lists projects, queues and models', async () => {
  test.setTimeout(240_000);
  const step = await catalog(['objects', ...keys()]);
  expect(step.ok, JSON.stringify(step.detail, null, 1)).toBe(true);
  expect(step.detail.statuses).toEqual(['queued', 'created']);
});

test('a Task.init run completes with its parameters, scalar and log events, and an artifact on the file server', async () => {
  test.setTimeout(240_000);
  const step = await catalog(['init_run', ...keys()]);
  expect(step.ok, JSON.stringify(step.detail, null, 1)).toBe(true);
  expect(step.detail.hyperparams['General/lr']).toBe('0.25');
  expect(step.detail.event_types).toEqual(expect.arrayContaining(['log', 'training_stats_scalar']));
});

test('Dataset.create uploads its files to the file server; list_datasets finds it and a local copy matches', async () => {
  test.setTimeout(240_000);
  const step = await catalog(['dataset', ...keys()]);
  expect(step.ok, JSON.stringify(step.detail, null, 1)).toBe(true);
  expect(step.detail.files).toEqual(['a.txt', 'sub/b.txt']);
});

test('Hyper-Datasets with versions and dataviews through the SDK\'s service definitions', async () => {
  test.setTimeout(240_000);
  const step = await catalog(['hyper', ...keys()]);
  expect(step.ok, JSON.stringify(step.detail, null, 1)).toBe(true);
  expect(step.detail.versions).toEqual(['v2', 'v1']);
});

test('clearml-agent with a service account registers, takes the queued task, runs it as its owner with the owner\'s vault, and reports its end', async () => {
  test.setTimeout(300_000);
  const step = await catalog(['agent', ...keys(), '--agent-key', agent.key, '--agent-secret', agent.secret,
    '--vault-key', 'sdk.catalog_probe.owner', '--vault-value', 'cole-vault']);
  expect(step.ok, JSON.stringify(step.detail, null, 1)).toBe(true);
  expect(step.detail.status).toBe('failed');
  expect(step.detail.probe.vault).toBe('cole-vault');
  expect(step.detail.workers_seen.length).toBeGreaterThan(0);
});

test('the SDK and clearml-agent called nothing the server does not serve (its log names any such call)', async ({ request }) => {
  // Every spec shares the one server whose log global-setup keeps; the runs above are its SDK
  // and agent traffic, so a call they made that no endpoint answers is logged by now. A call of
  // our own to an endpoint that does not exist shows that the log is kept and names such calls.
  const probe = `tasks.probe_unserved_${Date.now()}`;
  const answer = await request.post(`${server().url}/api/${probe}`, { data: {} });
  expect(answer.status()).toBe(404);
  const unknown = () => readFileSync('.state/server.log', 'utf8')
    .split('\n').filter((line) => line.includes('unknown endpoint called'));
  await expect.poll(() => unknown().some((line) => line.includes(probe)), { timeout: 10_000 }).toBe(true);
  expect(unknown().filter((line) => !line.includes(probe))).toEqual([]);
});
