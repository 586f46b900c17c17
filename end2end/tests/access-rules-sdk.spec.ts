import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import { server, login } from './helpers';

/** Calls the REST API with the page's session cookie (same-origin POST, as the console would). */
async function api(page: Page, name: string, data: unknown) {
  const s = server();
  const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
  const body = await res.json();
  expect(res.status(), `${name}: ${JSON.stringify(body)}`).toBe(200);
  return body.data;
}

/** Runs the real clearml SDK (sdk/check_access_rules.py) with these arguments; its detail. */
function sees(args: string[]): any {
  const python = process.env.ATRIUM_SDK_PYTHON ?? `${process.env.HOME}/.cache/atrium/venv/bin/python`;
  let out: string;
  try {
    out = execFileSync('python3', ['sdk/check_access_rules.py', 'sees', '--python', python, '--api', `${server().url}/api`, ...args],
      { encoding: 'utf8', timeout: 180_000 });
  } catch (e: any) {
    throw new Error(`access rules harness failed:\n${e.stdout}\n${e.stderr}`);
  }
  const step = JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
  expect(step.ok, JSON.stringify(step.detail, null, 1)).toBe(true);
  return step.detail;
}

test.describe.configure({ mode: 'serial' });

type Pair = { key: string; secret: string; id: string };
let reid: Pair;
let remy: Pair;
let agentToken: string;
let closedTask: string;
let openTask: string;

async function member(page: Page, who: string, password: string): Promise<Pair> {
  await login(page, { login: `${who}@example.com`, password });
  const cred = await api(page, 'auth.create_credentials', { label: 'rules sdk' });
  const me = await api(page, 'users.get_current_user', {});
  return { key: cred.credentials.access_key, secret: cred.credentials.secret_key, id: me.user.id };
}

test.beforeAll(async ({ browser }) => {
  const rhea = await (await browser.newContext()).newPage();
  await login(rhea, { login: 'rhea@example.com', password: 'rhea-password-1' });
  reid = await member(await (await browser.newContext()).newPage(), 'reid', 'reid-password-1');
  remy = await member(await (await browser.newContext()).newPage(), 'remy', 'remy-password-1');
  // Rhea's projects: "Open" for everyone, "Closed" (with a sub-project) Read Only for Reid.
  const open = await api(rhea, 'projects.create', { name: 'Open' });
  await api(rhea, 'projects.create', { name: 'Closed/Inner' });
  const closed = (await api(rhea, 'projects.get_all', { name: '^Closed$' })).projects[0].id;
  const inner = (await api(rhea, 'projects.get_all', { name: '^Closed/Inner$' })).projects[0].id;
  openTask = (await api(rhea, 'tasks.create', { name: 'open-task', type: 'training', project: open.id })).id;
  closedTask = (await api(rhea, 'tasks.create', { name: 'closed-task', type: 'training', project: inner })).id;
  await api(rhea, 'access_rules.create', {
    resource: 'project', object: closed, permission: 'read', subjects: [{ kind: 'user', id: reid.id }],
  });
  // Remy is a Queue admin.
  const groups = (await api(rhea, 'groups.get_all', {})).groups;
  const qa = groups.find((g: { builtin: string }) => g.builtin === 'queue_admins');
  await api(rhea, 'groups.update', { id: qa.id, name: qa.name, description: qa.description, members: [remy.id] });
  // An agent's service account, and its token acting as Remy.
  const sa = await api(rhea, 'service_accounts.create', { name: 'rules-agent', allow_impersonation: true });
  const s = server();
  const basic = Buffer.from(`${sa.credentials.access_key}:${sa.credentials.secret_key}`).toString('base64');
  const res = await rhea.request.post(`${s.url}/api/auth.login`, {
    headers: { authorization: `Basic ${basic}`, 'x-clearml-impersonate-as': remy.id },
  });
  agentToken = (await res.json()).data.token;
});

test('each member\'s SDK lists exactly the projects and tasks the rules let them see', () => {
  const r = sees(['--access-key', reid.key, '--secret-key', reid.secret]);
  expect(r.projects).toEqual(['Closed', 'Closed/Inner', 'Open']);
  expect(r.tasks).toEqual(['closed-task', 'open-task']);
  const m = sees(['--access-key', remy.key, '--secret-key', remy.secret]);
  expect(m.projects).toEqual(['Open']);
  expect(m.tasks).toEqual(['open-task']);
});

test('a Read Only member\'s tasks.edit fails with ClearML\'s no_write_permission; an open task edits', () => {
  const r = sees(['--access-key', reid.key, '--secret-key', reid.secret, '--edit', closedTask]);
  expect(r.edit).toEqual([403, 21]);
  const m = sees(['--access-key', remy.key, '--secret-key', remy.secret, '--edit', openTask]);
  expect(m.edit).toBe('ok');
  const hidden = sees(['--access-key', remy.key, '--secret-key', remy.secret, '--edit', closedTask]);
  expect(hidden.edit).toEqual([400, 101]);
});

test('a Queue admin creates a queue through the SDK and a plain member cannot', () => {
  const m = sees(['--access-key', remy.key, '--secret-key', remy.secret, '--queue', 'remys-queue']);
  expect(m.queue).toBe('ok');
  const r = sees(['--access-key', reid.key, '--secret-key', reid.secret, '--queue', 'reids-queue']);
  expect(r.queue).toEqual([403, 20]);
});

test('an agent\'s impersonating token sees what the member it acts as sees', () => {
  const a = sees(['--token', agentToken]);
  expect(a.projects).toEqual(['Open']);
  expect(a.tasks).toEqual(['open-task']);
});
