import { test, expect, Page } from '@playwright/test';
import { server, login, sdk } from './helpers';

/** Calls the REST API with the page's session cookie (same-origin POST, as the console would). */
async function api(page: Page, name: string, data: unknown) {
  const s = server();
  const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
  const body = await res.json();
  return { status: res.status(), body };
}

const KEYS = [
  'sdk.development.default_output_uri',
  'sdk.aws.s3.region',
  'sdk.aws.s3.key',
  'agent.package_manager.pip_version',
  'sdk.vault_test.from_json',
];

test('vaults reach the real clearml SDK and clearml-agent: group vaults then the personal vault, disabled ones left out, impersonation gets the owner\'s', async ({ browser }) => {
  test.setTimeout(180_000);
  const vera = await (await browser.newContext()).newPage();
  await login(vera, { login: 'vera@example.com', password: 'vera-password-1' });
  const vic = await (await browser.newContext()).newPage();
  await login(vic, { login: 'sid@example.com', password: 'sid-password-1' });

  // Vic's key pair, and a service account that may impersonate.
  const cred = await api(vic, 'auth.create_credentials', { label: 'vault test' });
  expect(cred.status).toBe(200);
  const { access_key: key, secret_key: secret } = cred.body.data.credentials;
  const me = await api(vic, 'users.get_current_user', {});
  const vicId: string = me.body.data.user.id;
  const sa = await api(vera, 'service_accounts.create', { name: 'vault-agent', allow_impersonation: true });
  expect(sa.status).toBe(200);
  const saKey = sa.body.data.credentials;

  // Administrator vaults for the built-in Users group (everyone): YAML and JSON.
  const yaml = await api(vera, 'users.add_or_update_vault', {
    vault: {
      scope: 'group', enabled: true, format: 'yaml', type: 'config', name: 'storage defaults', description: 'team storage',
      data: 'sdk:\n  development:\n    default_output_uri: s3://team-bucket/out\n  aws:\n    s3:\n      region: eu-west-1\n      key: TEAMKEY\nagent:\n  package_manager:\n    pip_version: "<24"\n',
    },
    group: 'Users',
  });
  expect(yaml.status, JSON.stringify(yaml.body)).toBe(200);
  const json = await api(vera, 'users.add_or_update_vault', {
    vault: { scope: 'group', enabled: true, format: 'json', name: 'json extras', data: '{"sdk": {"vault_test": {"from_json": 42}}}' },
    group: 'Users',
  });
  expect(json.status, JSON.stringify(json.body)).toBe(200);

  // Vic's personal vault (HOCON) overrides one key of the group vault.
  const personal = await api(vic, 'users.add_or_update_vault', {
    vault: { scope: 'user', enabled: true, format: 'hocon', data: 'sdk.aws.s3 {\n  key: "VICKEY" // mine\n}\n' },
  });
  expect(personal.status, JSON.stringify(personal.body)).toBe(200);

  // A member may not write group vaults, nor set a machine-specific key.
  expect((await api(vic, 'users.add_or_update_vault', { vault: { scope: 'group', enabled: true, data: '{}' }, group: 'Users' })).status).toBe(403);
  const forbidden = await api(vic, 'users.add_or_update_vault', {
    vault: { scope: 'user', enabled: true, format: 'hocon', data: 'agent { debug: true }', version: personal.body.data.version },
  });
  expect(forbidden.status).toBe(400);
  expect(forbidden.body.meta.result_msg).toContain('agent.debug');

  const common = ['--api', `${server().url}/api`, '--access-key', key, '--secret-key', secret];
  let [step] = sdk([...common, '--config-values', ...KEYS]);
  expect(step.ok, JSON.stringify(step.detail)).toBe(true);
  const detail = step.detail as { values: Record<string, unknown>; clearml_config: Record<string, unknown> };
  expect(detail.values).toEqual({
    'sdk.development.default_output_uri': 's3://team-bucket/out',
    'sdk.aws.s3.region': 'eu-west-1',
    'sdk.aws.s3.key': 'VICKEY',
    'agent.package_manager.pip_version': '<24',
    'sdk.vault_test.from_json': 42,
  });
  expect(detail.clearml_config['sdk.aws.s3.key']).toBe('VICKEY');

  // Disabling the personal vault removes its keys at the next session; a stale version is refused.
  const stale = await api(vic, 'users.add_or_update_vault', {
    vault: { id: personal.body.data.vault, scope: 'user', enabled: false, format: 'hocon', data: 'sdk.aws.s3.key: VICKEY', version: 0 },
  });
  expect(stale.status).toBe(409);
  const off = await api(vic, 'users.add_or_update_vault', {
    vault: { id: personal.body.data.vault, scope: 'user', enabled: false, format: 'hocon', data: 'sdk.aws.s3.key: VICKEY', version: personal.body.data.version },
  });
  expect(off.status, JSON.stringify(off.body)).toBe(200);
  [step] = sdk([...common, '--config-values', 'sdk.aws.s3.key', 'sdk.aws.s3.region']);
  expect((step.detail as { values: Record<string, unknown> }).values).toEqual({ 'sdk.aws.s3.key': 'TEAMKEY', 'sdk.aws.s3.region': 'eu-west-1' });

  // The service account's own session gets the Users group's vaults; impersonating Vic it gets Vic's.
  await api(vic, 'users.add_or_update_vault', {
    vault: { id: personal.body.data.vault, scope: 'user', enabled: true, format: 'hocon', data: 'sdk.aws.s3.key: VICKEY', version: off.body.data.version },
  });
  const saArgs = ['--api', `${server().url}/api`, '--access-key', saKey.access_key, '--secret-key', saKey.secret_key];
  [step] = sdk([...saArgs, '--config-values', 'sdk.aws.s3.key', 'agent.package_manager.pip_version']);
  expect((step.detail as { values: Record<string, unknown> }).values).toEqual({ 'sdk.aws.s3.key': 'TEAMKEY', 'agent.package_manager.pip_version': '<24' });
  // clearml-agent with the service account's key pair: its own session loads the group vaults.
  [step] = sdk([...saArgs, '--agent', '--config-values', 'agent.package_manager.pip_version', 'sdk.aws.s3.region']);
  expect(step.ok, JSON.stringify(step.detail)).toBe(true);
  expect((step.detail as { values: Record<string, unknown> }).values).toEqual({ 'agent.package_manager.pip_version': '<24', 'sdk.aws.s3.region': 'eu-west-1' });
  [step] = sdk([...saArgs, '--impersonate', vicId, '--config-values', 'sdk.aws.s3.key']);
  expect(step.ok, JSON.stringify(step.detail)).toBe(true);
  expect((step.detail as { values: Record<string, unknown> }).values).toEqual({ 'sdk.aws.s3.key': 'VICKEY' });
});
