/**
 * Real receivers for alarm notifications: an HTTP server that records every POST (path, headers,
 * JSON body) and can be told to hang instead of answering, and an SMTP server (smtp-server) that
 * records every mail.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedPost { path: string; headers: http.IncomingHttpHeaders; raw: string; body: any }

export class WebhookReceiver {
  readonly posts: ReceivedPost[] = [];
  private readonly server: http.Server;

  private constructor(private readonly hang: boolean) {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => { raw += d; });
      req.on('end', () => {
        let body: unknown = null;
        try { body = JSON.parse(raw); } catch { /* recorded as raw */ }
        this.posts.push({ path: req.url ?? '/', headers: req.headers, raw, body });
        if (!this.hang) res.end('{"ok":true}');
      });
    });
  }

  static async start(opts: { hang?: boolean } = {}): Promise<WebhookReceiver> {
    const r = new WebhookReceiver(opts.hang ?? false);
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Posts whose JSON body has the given ruleId. */
  forRule(ruleId: number): ReceivedPost[] {
    return this.posts.filter((p) => p.body?.ruleId === ruleId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export interface ReceivedMail { from: string; to: string[]; data: string }

export class SmtpReceiver {
  readonly mails: ReceivedMail[] = [];
  private readonly server: SMTPServer;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
      onData: (stream, session, callback) => {
        let data = '';
        stream.on('data', (d: Buffer) => { data += d.toString('utf8'); });
        stream.on('end', () => {
          this.mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
          callback();
        });
      },
    });
  }

  static async start(): Promise<SmtpReceiver> {
    const r = new SmtpReceiver();
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  get url(): string {
    return `smtp://127.0.0.1:${((this.server as unknown as { server: http.Server }).server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
