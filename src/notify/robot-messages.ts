/**
 * Text messages for chat robots reached by a token: DingTalk custom robots
 * (`POST <base>?access_token=<token>`, body `{"msgtype":"text","text":{"content":...}}`, answer
 * `{"errcode":0}`) and Feishu custom bots (`POST <base>/<token>`, body
 * `{"msg_type":"text","content":{"text":...}}`, answer `{"code":0}` or `{"StatusCode":0}`).
 * The base URLs are operator settings (OPENDI_DINGTALK_ROBOT_URL, OPENDI_FEISHU_ROBOT_URL).
 */
import type { AlarmNotice } from './alarm-notice.ts';

export function alarmText(n: AlarmNotice): string {
  const head = n.state === 'resolved' ? `[OpenDI] RESOLVED ${n.severity.toUpperCase()}` : `[OpenDI] ${n.severity.toUpperCase()}`;
  return `${head}: ${n.metricType} on ${n.jobName} (workspace ${n.workspace}, job ${n.jobId})\n${n.detail}\n`
    + `rule: ${n.ruleName} (${n.ruleId}); status: ${n.jobStatus}; time: ${new Date(n.at).toISOString()}; event: ${n.eventId}`;
}

export function dingTalkMessage(n: AlarmNotice): Record<string, unknown> {
  return { msgtype: 'text', text: { content: alarmText(n) } };
}

export function feishuMessage(n: AlarmNotice): Record<string, unknown> {
  return { msg_type: 'text', content: { text: alarmText(n) } };
}

export function dingTalkUrl(base: string, token: string): string {
  return `${base}${base.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}

export function feishuUrl(base: string, token: string): string {
  return `${base}/${encodeURIComponent(token)}`;
}

/** The robot's own verdict in a 2xx answer body (both answer 200 with an error code on failure). */
export function robotAccepted(kind: 'ding' | 'feishu', body: string): DeliveryVerdict {
  let json: Record<string, unknown>;
  try { json = JSON.parse(body); } catch { return { ok: false, reason: 'the robot answered with a body that is not JSON' }; }
  const code = kind === 'ding' ? json.errcode : (json.code ?? json.StatusCode);
  if (code === 0) return { ok: true };
  const msg = kind === 'ding' ? json.errmsg : (json.msg ?? json.StatusMessage);
  return { ok: false, reason: `the robot refused the message: code ${String(code)}${msg ? ` (${String(msg).slice(0, 200)})` : ''}` };
}

interface DeliveryVerdict { ok: boolean; reason?: string }
