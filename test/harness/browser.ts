/**
 * A real Chromium for console tests (Debian's `chromium`, driven by playwright-core): headless, no
 * sandbox (tests run as root), no background networking, a fresh profile directory removed
 * afterwards. Every uncaught page error and every console error is recorded; console errors for
 * API answers a test expects (a refused sign-in is a 4xx the browser logs) are let through only
 * while `expectHttpErrors` is in force.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.OPENDI_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export class ConsoleBrowser {
  readonly problems: string[] = [];
  private allowedStatuses = new Set<number>();

  private constructor(readonly context: BrowserContext, readonly page: Page, private readonly profile: string) {}

  static async launch(viewport = { width: 1280, height: 900 }): Promise<ConsoleBrowser> {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport, timeout: 60_000,
    });
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(30_000);
    const b = new ConsoleBrowser(context, page, profile);
    page.on('pageerror', (err) => b.problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const status = /status of (\d{3})/.exec(msg.text());
      if (status && b.allowedStatuses.has(Number(status[1]))) return;
      b.problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    });
    return b;
  }

  /** Runs `fn` while HTTP errors of these statuses are expected (the browser logs them). */
  async expectHttpErrors<T>(statuses: number[], fn: () => Promise<T>): Promise<T> {
    this.allowedStatuses = new Set(statuses);
    try { return await fn(); } finally { this.allowedStatuses = new Set(); }
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}
