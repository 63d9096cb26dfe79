/** The task's alarm rules (ListDIAlarmRules): what each watches, its thresholds and who is told. */
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';
import { ErrorNote, InfoNote } from '../ui/notes.tsx';

interface Rule {
  Id: number; Name: string; Description?: string; Enabled: boolean; MetricType: string;
  TriggerConditions?: { Severity: string; Duration?: number; Threshold?: number; DdlTypes?: string[] }[];
  NotificationSettings?: { MuteInterval?: number; NotificationChannels?: { Severity: string; Channels: string[] }[]; NotificationReceivers?: { ReceiverType: string; ReceiverValues: string[] }[] };
}

export function AlarmRules({ taskId }: { taskId: number }) {
  const client = useClient();
  const rules = usePoll((signal) => client.call('ListDIAlarmRules', { JobId: taskId, PageSize: 100 }, signal), 60_000, [client, taskId]);
  const list: Rule[] = rules.data?.PagingInfo?.DIJobAlarmRules ?? [];
  return (
    <section aria-labelledby="rules-heading">
      <h2 id="rules-heading">Alarm rules</h2>
      {rules.error ? <ErrorNote>Alarm rules: {rules.error}</ErrorNote> : null}
      {rules.loads > 0 && list.length === 0 && !rules.error ? <InfoNote>No alarm rule. Add one with <code>CreateDIAlarmRule</code> (Delay, FailoverCount, Heartbeat, DdlReport).</InfoNote> : null}
      {list.length > 0 ? (
        <div class="table-wrap">
          <table class="list">
            <caption class="visually-hidden">Alarm rules</caption>
            <thead><tr><th scope="col">Rule</th><th scope="col">Watches</th><th scope="col">Enabled</th><th scope="col">Fires when</th><th scope="col">Notifies</th></tr></thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.Id}>
                  <th scope="row">{r.Name}{r.Description ? <div class="muted">{r.Description}</div> : null}</th>
                  <td>{r.MetricType}</td>
                  <td>{r.Enabled ? 'Yes' : 'No'}</td>
                  <td class="wrap">{(r.TriggerConditions ?? []).map((c) => conditionWords(r.MetricType, c)).join('; ')}</td>
                  <td class="wrap">{notifyWords(r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function conditionWords(metric: string, c: NonNullable<Rule['TriggerConditions']>[number]): string {
  const within = c.Duration ? ` for ${c.Duration} min` : '';
  switch (metric) {
    case 'Delay': return `${c.Severity}: delay ≥ ${c.Threshold} s${within}`;
    case 'FailoverCount': return `${c.Severity}: ≥ ${c.Threshold} failovers in ${c.Duration ?? '?'} min`;
    case 'Heartbeat': return `${c.Severity}: not running${within}`;
    case 'DdlReport': return `${c.Severity}: DDL ${c.DdlTypes?.length ? c.DdlTypes.join(', ') : '(any)'}`;
    default: return `${c.Severity}: ${c.Threshold ?? ''}${within}`;
  }
}

function notifyWords(r: Rule): string {
  const n = r.NotificationSettings;
  if (!n) return '';
  const channels = (n.NotificationChannels ?? []).map((c) => `${c.Severity}: ${c.Channels.join(', ')}`).join('; ');
  const receivers = (n.NotificationReceivers ?? []).map((x) => `${x.ReceiverType} ×${x.ReceiverValues.length}`).join(', ');
  return [channels, receivers, n.MuteInterval ? `muted ${n.MuteInterval} min after each` : ''].filter(Boolean).join(' · ');
}
