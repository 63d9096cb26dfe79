/**
 * Which receivers of a rule an alarm of one severity goes to (README "Alarm rules"). Each
 * receiver type has its channel: WebHookUrl -> Webhook, DingToken -> Ding, FeishuToken -> Feishu,
 * AliyunUid -> Mail (and Sms / Phone). When the rule lists Channels for the severity, exactly
 * those channels are used, each with the receivers of its type; a listed channel without a
 * receiver is a problem reported with the alarm. Without a Channels entry for the severity, every
 * receiver is reached on its own channel.
 */
import type { Delivery } from './alarm-notice.ts';

export interface NotificationTargets {
  channels: { severity: string; channels: string[] }[];
  receivers: { type: string; values: string[] }[];
}

const CHANNEL_OF: Record<string, string> = { WebHookUrl: 'Webhook', DingToken: 'Ding', FeishuToken: 'Feishu', AliyunUid: 'Mail' };
const RECEIVER_OF: Record<string, string> = { Webhook: 'WebHookUrl', Ding: 'DingToken', Feishu: 'FeishuToken', Mail: 'AliyunUid', Sms: 'AliyunUid', Phone: 'AliyunUid' };

export function routeDeliveries(t: NotificationTargets, severity: string): { deliveries: Delivery[]; problems: string[]; channels: string[] } {
  const listed = t.channels.find((c) => c.severity.toLowerCase() === severity.toLowerCase());
  const deliveries: Delivery[] = [];
  const problems: string[] = [];
  if (!listed) {
    for (const r of t.receivers) for (const value of r.values) deliveries.push({ channel: CHANNEL_OF[r.type] ?? r.type, receiverType: r.type, value });
  } else {
    for (const channel of listed.channels) {
      const type = RECEIVER_OF[channel];
      const values = t.receivers.filter((r) => r.type === type).flatMap((r) => r.values);
      if (values.length === 0) problems.push(`channel ${channel} has no ${type ?? 'matching'} receiver`);
      for (const value of values) deliveries.push({ channel, receiverType: type, value });
    }
  }
  if (deliveries.length === 0 && problems.length === 0) problems.push('the rule has no receiver to notify');
  const channels = [...new Set([...deliveries.map((d) => d.channel), ...(listed?.channels ?? [])])];
  return { deliveries, problems, channels };
}
