/**
 * Sends one alarm to its receivers (README "Monitoring and alerting", channel configuration):
 * WebHookUrl (JSON payload, optional HMAC signature, operator allow-list), DingToken / FeishuToken
 * (robot text messages to operator-configured base URLs), AliyunUid over Mail (operator SMTP).
 * A channel the operator has not configured fails with the reason; nothing is dropped silently.
 */
import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlarmNotice, Delivery, DeliveryResult } from './alarm-notice.ts';
import { checkWebhookUrl, type HostAllowList } from './host-allow-list.ts';
import { postJson } from './http-post.ts';
import { webhookPayload } from './webhook-payload.ts';
import { alarmText, dingTalkMessage, dingTalkUrl, feishuMessage, feishuUrl, robotAccepted } from './robot-messages.ts';

export interface NotifierConfig {
  webhook: { allowedHosts: HostAllowList; secret: string | null; timeoutMs: number; attempts: number; backoffMs?: number };
  dingTalkRobotUrl: string | null;
  feishuRobotUrl: string | null;
  smtp: { url: string; from: string } | null;
  mailRecipients: Record<string, string>;
}

export const SIGNATURE_HEADER = 'x-opendi-signature';

export class Notifier {
  private mail: Transporter | undefined;

  constructor(private readonly cfg: NotifierConfig) {}

  async deliver(n: AlarmNotice, d: Delivery): Promise<DeliveryResult> {
    const post = { timeoutMs: this.cfg.webhook.timeoutMs, attempts: this.cfg.webhook.attempts, backoffMs: this.cfg.webhook.backoffMs };
    switch (d.receiverType) {
      case 'WebHookUrl': {
        const refused = checkWebhookUrl(this.cfg.webhook.allowedHosts, d.value);
        if (refused) return { ok: false, reason: `webhook URL ${refused}` };
        const body = JSON.stringify(webhookPayload(n));
        const headers: Record<string, string> = { 'x-opendi-event-id': String(n.eventId) };
        if (this.cfg.webhook.secret) headers[SIGNATURE_HEADER] = signBody(this.cfg.webhook.secret, body);
        return postJson(d.value, body, { ...post, headers });
      }
      case 'DingToken':
        if (!this.cfg.dingTalkRobotUrl) return { ok: false, reason: 'DingTalk robots are not configured (OPENDI_DINGTALK_ROBOT_URL)' };
        return postJson(dingTalkUrl(this.cfg.dingTalkRobotUrl, d.value), JSON.stringify(dingTalkMessage(n)), { ...post, judge: (b) => robotAccepted('ding', b) });
      case 'FeishuToken':
        if (!this.cfg.feishuRobotUrl) return { ok: false, reason: 'Feishu robots are not configured (OPENDI_FEISHU_ROBOT_URL)' };
        return postJson(feishuUrl(this.cfg.feishuRobotUrl, d.value), JSON.stringify(feishuMessage(n)), { ...post, judge: (b) => robotAccepted('feishu', b) });
      case 'AliyunUid':
        if (d.channel !== 'Mail') return { ok: false, reason: `channel ${d.channel} needs a provider this installation does not have` };
        return this.sendMail(n, d.value);
      default:
        return { ok: false, reason: `receiver type ${d.receiverType} is not supported` };
    }
  }

  async close(): Promise<void> {
    this.mail?.close();
  }

  private async sendMail(n: AlarmNotice, uid: string): Promise<DeliveryResult> {
    if (!this.cfg.smtp) return { ok: false, reason: 'mail is not configured (OPENDI_SMTP_URL)' };
    const to = uid.includes('@') ? uid : this.cfg.mailRecipients[uid];
    if (!to) return { ok: false, reason: `AliyunUid ${uid} has no mail address (OPENDI_ALARM_MAIL_RECIPIENTS)` };
    this.mail ??= nodemailer.createTransport({
      ...smtpOptions(this.cfg.smtp.url),
      connectionTimeout: this.cfg.webhook.timeoutMs, greetingTimeout: this.cfg.webhook.timeoutMs, socketTimeout: this.cfg.webhook.timeoutMs * 2,
    });
    const state = n.state === 'resolved' ? 'RESOLVED ' : '';
    try {
      await this.mail.sendMail({
        from: this.cfg.smtp.from, to,
        subject: `[OpenDI] ${state}${n.severity.toUpperCase()}: ${n.metricType} on ${n.jobName}`,
        text: alarmText(n),
        headers: { 'X-OpenDI-Event-Id': String(n.eventId) },
      });
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `mail to ${to} failed: ${(err as Error).message.slice(0, 300)}` };
    }
  }
}

/** `sha256=<hex HMAC-SHA256(secret, body)>` over the exact body bytes (README "Webhook signature"). */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** smtp://user:password@host:port (STARTTLS when the server offers it) or smtps:// (TLS from the start). */
function smtpOptions(url: string) {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname, port: u.port ? Number(u.port) : secure ? 465 : 587, secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
  };
}
