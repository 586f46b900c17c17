import { expect, test, Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ServerState } from '../global-setup';

export function server(): ServerState {
  return JSON.parse(readFileSync('.state/server.json', 'utf8'));
}

/** Waits until the browser bundle has hydrated the page (a marker only a browser-side effect sets). */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export async function login(page: Page, who: { login: string; password: string }, opts: { js?: boolean } = {}) {
  const s = server();
  await page.goto(`${s.url}/login`);
  if (opts.js !== false) await hydrated(page);
  await page.fill('#login', who.login);
  await page.fill('#password', who.password);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/settings\/profile/);
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

export const SDK_PYTHON = process.env.ATRIUM_SDK_PYTHON || join(homedir(), '.cache/atrium/venv/bin/python');

/** Runs the real clearml SDK harness; returns its JSON lines. */
export function sdk(args: string[]): { step: string; ok: boolean; detail: unknown }[] {
  let out: string;
  try {
    out = execFileSync('python3', ['sdk/check_sdk.py', '--python', SDK_PYTHON, ...args], { encoding: 'utf8', timeout: 120_000 });
  } catch (e: any) {
    throw new Error(`SDK harness failed:\n${e.stdout}\n${e.stderr}`);
  }
  return out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

/** Runs the real clearml SDK and clearml-agent against the catalog (sdk/check_catalog.py); returns its one step. */
export function catalog(args: string[]): Promise<{ step: string; ok: boolean; detail: any }> {
  return harness('sdk/check_catalog.py', args, 300_000);
}

/** Runs a step of end2end/sdk/check_resources.py (resource configuration with the SDK and clearml-agent). */
export function resources(args: string[]): Promise<{ step: string; ok: boolean; detail: any }> {
  return harness('sdk/check_resources.py', args, 540_000);
}

/**
 * Runs one step of an SDK harness script; its JSON line. Asynchronous, so that the test's own time
 * limit and the browser pages keep running while the SDK works.
 */
async function harness(script: string, args: string[], timeout: number): Promise<{ step: string; ok: boolean; detail: any }> {
  let out: string;
  try {
    out = (await promisify(execFile)('python3', [script, '--python', SDK_PYTHON, ...args], { encoding: 'utf8', timeout, maxBuffer: 64 << 20 })).stdout;
  } catch (e: any) {
    // A failed step exits 1 and still prints its JSON line.
    out = `${e.stdout ?? ''}`;
    if (!out.includes('{')) throw new Error(`${script} failed:\n${e.stdout}\n${e.stderr}`);
  }
  return JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
}

const AXE = require.resolve('axe-core/axe.min.js');
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core on the page as it is now (WCAG 2.0 and 2.1, levels A and AA), saves a full-page
 * screenshot in the test's output folder, and fails with every violation listed.
 */
export async function auditPage(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations: { id: string; help: string; nodes: { target: string[]; failureSummary: string }[] }[] =
    await page.evaluate(async (tags) => {
      const result = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: tags } });
      return result.violations.map((v: any) => ({
        id: v.id,
        help: v.help,
        nodes: v.nodes.map((n: any) => ({ target: n.target, failureSummary: n.failureSummary })),
      }));
    }, WCAG_AA);
  const report = violations
    .map((v) => `${v.id}: ${v.help}\n` + v.nodes.map((n) => `  ${n.target.join(' ')}\n    ${n.failureSummary.replace(/\n/g, '\n    ')}`).join('\n'))
    .join('\n');
  expect.soft(violations.length, `${name} (${page.url()}):\n${report}`).toBe(0);
}
