import { test, expect, Page } from '@playwright/test';
import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../server';
import { server, login, shot, hydrated, auditPage } from './helpers';

/** Calls the REST API with the page's session cookie (same-origin POST, as the console would). */
async function api(page: Page, name: string, data: unknown) {
  const s = server();
  const res = await page.request.post(`${s.url}/api/${name}`, { headers: { origin: s.url }, data });
  const body = await res.json();
  return { status: res.status(), body };
}

/** Starts `idp/oidc.mjs` (npm oidc-provider) on `port` with these clients. */
async function startProvider(port: number, clients: unknown[]): Promise<ChildProcess> {
  const file = join(mkdtempSync(join(tmpdir(), 'atrium-idp-')), 'clients.json');
  writeFileSync(file, JSON.stringify(clients));
  const child = spawn(process.execPath, ['idp/oidc.mjs', String(port), file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the provider did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`the provider exited with ${code}:\n${out}`)));
  });
  return child;
}

/**
 * Starts npm `saml-idp` (a SAML identity provider) on `port`, with a key pair made for this run. It is
 * reached as `localhost`, another site than the console's `127.0.0.1`, so its post to the ACS URL is
 * a cross-site post, as in production. Its assertions are meant for `audience`.
 */
async function startSamlProvider(port: number, audience: string): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-saml-'));
  execFileSync('openssl', ['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Atrium Test SAML IdP',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '30'], { stdio: 'ignore' });
  const s = server();
  const child = spawn(process.execPath, ['node_modules/saml-idp/bin/run.js', '--host', '127.0.0.1', '--port', String(port),
    '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--issuer', 'urn:atrium:test-saml-idp',
    '--acsUrl', `${s.url}/sso/acs`, '--audience', audience], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the SAML provider did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('IdP server ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`the SAML provider exited with ${code}:\n${out}`)));
  });
  return child;
}

test('SAML: make a connection from the provider\'s metadata file in the editor, test it in a popup, then log in through a real provider', async ({ browser }) => {
  test.setTimeout(120_000);
  const s = server();
  const port = await freePort();
  const audience = `${s.url}/sso/saml/sso-lab`;
  const provider = await startSamlProvider(port, audience);
  try {
    const metadata = join(mkdtempSync(join(tmpdir(), 'atrium-saml-md-')), 'idp-metadata.xml');
    writeFileSync(metadata, await (await fetch(`http://localhost:${port}/metadata`)).text());

    const page = await (await browser.newContext()).newPage();
    await login(page, { login: 'olga@example.com', password: 'olga-password-1' });
    await page.goto(`${s.url}/settings/identity-providers`);
    await hydrated(page);
    await page.click('#new-connection');
    const dialog = page.getByRole('dialog', { name: 'New connection' });
    await page.locator('label:has(#protocol-saml)').click();
    await expect(page.locator('#protocol-saml')).toBeChecked();
    await expect(page.locator('#issuer')).toHaveCount(0);
    await expect(page.locator('#callback-url')).toHaveText(`${s.url}/sso/acs`);
    await page.fill('#display-name', 'SSO Lab SAML');
    await expect(page.locator('#entity-id')).toHaveAttribute('placeholder', `${s.url}/sso/saml/sso-lab-saml`);
    await page.fill('#entity-id', audience);
    await page.setInputFiles('#metadata-file', metadata);
    await expect(page.locator('#metadata-note')).toContainText('Loaded from idp-metadata.xml');
    await expect(page.locator('#metadata-xml')).toHaveValue(/urn:atrium:test-saml-idp/);
    await page.locator('#protocol-saml').scrollIntoViewIfNeeded();
    await shot(page, 'identity-providers-saml-editor-top');
    await expect(page.locator('#claim-email')).toHaveValue('email');
    await page.locator('label[for=create-users]').click();
    await shot(page, 'identity-providers-saml-editor');

    // Test Provider: the provider's sign-in page in a popup; its post comes back from another site.
    const popupOpened = page.waitForEvent('popup');
    await page.click('#test-provider');
    const popup = await popupOpened;
    await popup.locator('#btn-sign-in').click();
    await expect(popup.locator('#sso-test-result')).toContainText('Test succeeded');
    await expect(page.locator('#test-result')).toContainText('saml.jackson@example.com', { timeout: 15_000 });
    await expect(page.locator('#test-result')).toContainText('Creates a new member');
    await shot(page, 'identity-providers-saml-test-result');

    await page.click('#save-connection');
    await expect(dialog).toHaveCount(0);
    const row = page.locator('tr[data-connection="SSO Lab SAML"]');
    await expect(row).toContainText('SAML');

    // The editor shows this server's metadata URL once saved; it serves the entity ID and ACS URL.
    await row.hover();
    await page.getByRole('button', { name: 'Edit SSO Lab SAML' }).click();
    const spMetadata = (await page.locator('#sp-metadata-url').innerText()).trim();
    expect(spMetadata).toMatch(new RegExp(`^${s.url}/sso/[^/]+/metadata$`));
    const sp = await (await page.request.get(spMetadata)).text();
    expect(sp).toContain(`entityID="${audience}"`);
    expect(sp).toContain(`Location="${s.url}/sso/acs"`);
    await page.getByRole('button', { name: 'Cancel' }).click();

    // A person logs in through the button: the provider's form, then straight into the workspace.
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${s.url}/login`);
    await visitor.getByRole('link', { name: 'Log in with SSO Lab SAML' }).click();
    await expect(visitor).toHaveURL(new RegExp(`^http://localhost:${port}/`));
    await visitor.fill('#userName', 'samira@example.com');
    await visitor.fill('#email', 'samira@example.com');
    await visitor.fill('#firstName', 'Samira');
    await visitor.fill('#lastName', 'Saml');
    await visitor.locator('#btn-sign-in').click();
    await visitor.waitForURL(`${s.url}/settings/profile`);
    await expect(visitor.locator('main')).toContainText('samira@example.com');
    await expect(visitor.locator('main')).toContainText('SSO Lab');
    await shot(visitor, 'sso-saml-landed');

    // Edit: read the metadata from the provider's URL instead, and sign requests with a key pair
    // made for the connection (no key pasted).
    await page.goto(`${s.url}/settings/identity-providers`);
    await hydrated(page);
    await row.hover();
    await page.getByRole('button', { name: 'Edit SSO Lab SAML' }).click();
    await page.fill('#metadata-xml', '');
    await page.fill('#metadata-url', `http://localhost:${port}/metadata`);
    await page.locator('label[for=sign-requests]').click();
    await expect(page.locator('#private-key')).toHaveAttribute('placeholder', /key pair made/);
    await page.click('#save-connection');
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await row.hover();
    await page.getByRole('button', { name: 'Edit SSO Lab SAML' }).click();
    await expect(page.locator('#metadata-note')).toContainText('Read from the URL at');
    await expect(page.locator('#metadata-xml')).toHaveValue(/urn:atrium:test-saml-idp/);
    await expect(page.locator('#public-certificate')).toHaveValue(/^-----BEGIN CERTIFICATE-----/);
    await expect(page.locator('#private-key')).toHaveAttribute('placeholder', /Stored/);
    await expect(page.locator('#private-key')).toHaveValue('');
    await page.locator('#sign-requests').scrollIntoViewIfNeeded();
    await shot(page, 'identity-providers-saml-signed');
    await page.getByRole('button', { name: 'Cancel' }).click();

    // The next login sends a signed request, which the provider takes.
    const second = await (await browser.newContext()).newPage();
    await second.goto(`${s.url}/login`);
    await second.getByRole('link', { name: 'Log in with SSO Lab SAML' }).click();
    await expect(second).toHaveURL(/[?&]SigAlg=.*&Signature=/);
    await second.fill('#userName', 'samira@example.com');
    await second.fill('#email', 'samira@example.com');
    await second.locator('#btn-sign-in').click();
    await second.waitForURL(`${s.url}/settings/profile`);
    await expect(second.locator('main')).toContainText('samira@example.com');
  } finally {
    provider.kill();
  }
});

test('OIDC: the login button takes a person through a real provider into the workspace, as the mapped member with synced groups (RS256 and ES256)', async ({ browser }) => {
  test.setTimeout(120_000);
  const s = server();
  const olga = await (await browser.newContext()).newPage();
  await login(olga, { login: 'olga@example.com', password: 'olga-password-1' });
  expect((await api(olga, 'groups.create', { name: 'Vision', members: [] })).status).toBe(200);

  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const settings = (display_name: string, client_id: string) => ({
    protocol: 'oidc',
    provider: 'custom',
    display_name,
    create_users: true,
    group_sync: true,
    oidc: {
      issuer,
      client_id,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      userinfo_endpoint: `${issuer}/me`,
      additional_scopes: ['groups'],
    },
  });
  const rs = await api(olga, 'identity_providers.create', { settings: settings('SSO Lab (RS256)', 'atrium-rs'), secret: 'rs-secret-0123456789' });
  expect(rs.status, JSON.stringify(rs.body)).toBe(200);
  const es = await api(olga, 'identity_providers.create', { settings: settings('SSO Lab (ES256)', 'atrium-es'), secret: 'es-secret-0123456789' });
  expect(es.status, JSON.stringify(es.body)).toBe(200);
  expect(JSON.stringify(rs.body)).not.toContain('rs-secret-0123456789');
  expect(rs.body.data.return_url).toBe(`${s.url}/sso/callback`);

  const provider = await startProvider(port, [
    { client_id: 'atrium-rs', client_secret: 'rs-secret-0123456789', redirect_uris: [rs.body.data.return_url] },
    {
      client_id: 'atrium-es',
      client_secret: 'es-secret-0123456789',
      redirect_uris: [es.body.data.return_url],
      id_token_signed_response_alg: 'ES256',
    },
  ]);
  try {
    // Discovery agrees with the endpoints typed in.
    const found = await api(olga, 'identity_providers.discover', { issuer });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body.data.token_endpoint).toBe(`${issuer}/token`);

    for (const [display, who] of [
      ['SSO Lab (RS256)', 'oona'],
      ['SSO Lab (ES256)', 'otis'],
    ]) {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${s.url}/login`);
      const button = page.getByRole('link', { name: `Log in with ${display}` });
      await expect(button).toBeVisible();
      if (who === 'oona') await shot(page, 'sso-login-buttons');
      await button.click();
      // The provider's own login form, then its consent screen.
      await page.fill('input[name=login]', who);
      await page.fill('input[name=password]', 'anything');
      await page.click('button:has-text("Sign-in")');
      await page.click('button:has-text("Continue")');
      await page.waitForURL(`${s.url}/settings/profile`);
      await expect(page.locator('main')).toContainText(`${who}@example.com`);
      await expect(page.locator('main')).toContainText('SSO Lab');
      if (who === 'oona') await shot(page, 'sso-landed');
    }

    // Both were made members of SSO Lab and put in Vision (the claim's Ops does not exist here).
    const groups = await api(olga, 'groups.get_all', {});
    const vision = groups.body.data.groups.find((g: { name: string }) => g.name === 'Vision');
    expect(vision.members.map((m: { email: string }) => m.email).sort()).toEqual(['oona@example.com', 'otis@example.com']);

    // A provider's refusal comes back to the login page in words a person can act on.
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${s.url}/sso/callback?state=forged&code=x`);
    await expect(page.locator('#sso-error')).toContainText('Start it again from the login page');
    await shot(page, 'sso-error');
  } finally {
    provider.kill();
  }
});

test('identity providers page: make an OIDC connection in the editor, test it in a popup, save, switch it off, edit and delete it', async ({ browser }) => {
  test.setTimeout(120_000);
  const s = server();
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = await startProvider(port, [
    { client_id: 'atrium-editor', client_secret: 'editor-secret-0123456789', redirect_uris: [`${s.url}/sso/callback`] },
  ]);
  try {
    const page = await (await browser.newContext({ bypassCSP: true })).newPage();
    await login(page, { login: 'ines@example.com', password: 'ines-password-1' });
    await page.goto(`${s.url}/settings/identity-providers`);
    await hydrated(page);
    await expect(page.locator('#no-connections')).toBeVisible();
    await auditPage(page, 'identity-providers-empty');

    await page.click('#new-connection');
    const dialog = page.getByRole('dialog', { name: 'New connection' });
    await expect(dialog).toBeVisible();
    // A preset asks for what it derives the endpoints from and says where to find the rest.
    await page.selectOption('#provider', 'okta');
    await expect(page.locator('#tenant')).toBeVisible();
    await expect(page.locator('#preset-help')).toContainText('Okta admin console');
    await expect(page.locator('#claim-groups')).toHaveValue('groups');
    await page.selectOption('#provider', 'aws_cognito');
    await expect(page.locator('#claim-groups')).toHaveValue('cognito:groups');
    await page.selectOption('#provider', 'custom');
    await expect(page.locator('#tenant')).toHaveCount(0);
    await expect(page.locator('#callback-url')).toHaveText(`${s.url}/sso/callback`);

    await page.fill('#display-name', 'Editor Login');
    await page.fill('#issuer', issuer);
    await page.click('#discover');
    await expect(page.locator('#token-endpoint')).toHaveValue(`${issuer}/token`);
    await expect(page.locator('#jwks-uri')).toHaveValue(`${issuer}/jwks`);
    await page.fill('#client-id', 'atrium-editor');
    await page.fill('#client-secret', 'editor-secret-0123456789');
    await page.fill('#additional-scopes', 'groups');
    await page.locator('label[for=create-users]').click();
    await auditPage(page, 'identity-providers-editor');

    // Test Provider: a real login in a popup, before anything is saved.
    const popupOpened = page.waitForEvent('popup');
    await page.click('#test-provider');
    const popup = await popupOpened;
    await popup.fill('input[name=login]', 'ida');
    await popup.fill('input[name=password]', 'anything');
    await popup.click('button:has-text("Sign-in")');
    await popup.click('button:has-text("Continue")');
    await expect(popup.locator('#sso-test-result')).toContainText('Test succeeded');
    await expect(page.locator('#test-result')).toContainText('ida@example.com', { timeout: 15_000 });
    await expect(page.locator('#test-result')).toContainText('Creates a new member');
    await expect(page.locator('#test-result')).toContainText('Vision, Ops');
    await shot(page, 'identity-providers-test-result');

    await page.click('#save-connection');
    await expect(dialog).toHaveCount(0);
    const row = page.locator('tr[data-connection="Editor Login"]');
    await expect(row).toBeVisible();
    await expect(row).toContainText('Custom');
    await expect(row).toContainText('OIDC');
    await shot(page, 'identity-providers-table');

    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${s.url}/login`);
    await expect(visitor.getByRole('link', { name: /Log in with Editor Login/ })).toBeVisible();

    // Password login stays on until an administrator can log in through the connection.
    await expect(page.locator('#password-login-toggle')).toBeDisabled();
    await page.goto(`${s.url}/settings/profile`);
    await hydrated(page);
    await page.getByRole('link', { name: 'Link Editor Login' }).click();
    await page.fill('input[name=login]', 'ines-at-idp');
    await page.fill('input[name=password]', 'anything');
    await page.click('button:has-text("Sign-in")');
    await page.click('button:has-text("Continue")');
    await expect(page.locator('#link-done')).toContainText('Editor Login');
    await expect(page.locator('#provider-links')).toContainText('Linked');
    await shot(page, 'identity-providers-linked');
    await page.goto(`${s.url}/settings/identity-providers`);
    await hydrated(page);
    await expect(page.locator('#password-login-toggle')).toBeEnabled();
    await page.locator('#password-login label.toggle').click();
    await expect(page.locator('#password-login-toggle')).not.toBeChecked();
    await expect(page.locator('#password-login')).toContainText('cannot be turned off or deleted');
    // Now the connection is the way in: turning it off is refused until passwords are back.
    await row.locator('label.toggle').click();
    await expect(page.locator('#identity-providers .error-note')).toContainText('last way an administrator');
    await page.locator('#password-login label.toggle').click();
    await expect(page.locator('#password-login-toggle')).toBeChecked();
    // The server has turned passwords back on (the card's text follows its answer, not the click).
    await expect(page.locator('#password-login')).toContainText('People may log in with their passwords');

    // Switched off, its button leaves the login page (once the server has saved it).
    await row.locator('label.toggle').click();
    await expect(row.locator('input[role=switch]')).not.toBeChecked();
    await expect(async () => {
      await visitor.reload();
      await expect(visitor.getByRole('link', { name: /Log in with Editor Login/ })).toHaveCount(0, { timeout: 1000 });
    }).toPass({ timeout: 15_000 });

    // Edit: the secret is kept unless a new one is typed.
    await row.hover();
    await page.getByRole('button', { name: 'Edit Editor Login' }).click();
    await expect(page.locator('#client-secret')).toHaveAttribute('placeholder', /Stored/);
    await page.fill('#display-name', 'Editor Login 2');
    await page.click('#save-connection');
    await expect(page.locator('tr[data-connection="Editor Login 2"]')).toBeVisible();

    // Delete, after confirming.
    await page.locator('tr[data-connection="Editor Login 2"]').hover();
    await page.getByRole('button', { name: 'Delete Editor Login 2' }).click();
    await expect(page.locator('.confirm-message')).toContainText('Editor Login 2');
    await page.click('#confirm-action');
    await expect(page.locator('#no-connections')).toBeVisible();
  } finally {
    provider.kill();
  }
});
