import { test, expect } from '@playwright/test';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { server, login, shot } from './helpers';

/** A hostile page on another origin (localhost vs 127.0.0.1 are different sites). */
async function hostile(html: string): Promise<{ url: string; close: () => void }> {
  const srv: Server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  return { url: `http://localhost:${port}/`, close: () => srv.close() };
}

test('a page on another site cannot change anything with the admin\'s cookie', async ({ browser }) => {
  const s = server();
  const page = await (await browser.newContext()).newPage();
  await login(page, { login: 'xena@example.com', password: 'xena-password-1' });
  const roleOfXavi = async () => {
    const res = await page.request.get(`${s.url}/users.get_all`);
    expect(res.status()).toBe(200);
    const users: { email: string; id: string; role: string }[] = (await res.json()).data.users;
    return users.find((u) => u.email === 'xavi@example.com')!;
  };
  const xavi = await roleOfXavi();
  expect(xavi.role).toBe('member');
  const target = `${s.url}/users.set_role?user=${xavi.id}&role=admin`;

  // A top-level navigation: the browser sends the SameSite=Lax cookie along with the GET.
  const nav = await hostile(`<!doctype html><title>prize</title><script>location.href = ${JSON.stringify(target)};</script>`);
  await page.goto(nav.url);
  await expect(page).toHaveURL(/users\.set_role/);
  const body = await page.locator('body').textContent();
  expect(JSON.parse(body!).meta.result_code).toBe(403);
  await shot(page, 'cross-site-get-refused');
  nav.close();

  // A form POST from that site.
  const form = await hostile(`<!doctype html><title>prize</title>
    <form id="f" method="POST" action="${s.url}/users.set_role?user=${xavi.id}&role=admin"><input name="x" value="1"></form>
    <script>document.getElementById('f').submit();</script>`);
  await page.goto(form.url);
  await expect(page).toHaveURL(/users\.set_role/);
  form.close();

  expect((await roleOfXavi()).role).toBe('member');
});
