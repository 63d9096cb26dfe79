/**
 * The 2020 face of a 2024 job (README, "The 2024-05-18 DI Job API"): the real-time TaskContent that
 * GetDISyncTask, GetFile and ListFiles show for it, naming the tables its rules selected when it
 * was last created or updated. The job itself evaluates its rules again at every start.
 */
import { parseRealtimeTask, renderRealtimeTask } from '../task-content.ts';
import type { JobDocument } from './job-document.ts';
import type { JobPlan } from './job-plan.ts';

export function taskContentOfJob(doc: JobDocument, plan: JobPlan, tables: { schema: string; table: string }[]): string {
  const raw = {
    type: 'job', version: '2.0',
    extend: { mode: 'di_job', name: doc.Name, jobType: doc.JobType, migrationType: doc.MigrationType },
    setting: { initialLoad: plan.initialLoad },
    steps: [
      {
        stepType: plan.sourceProtocol, category: 'reader', name: 'Reader',
        parameter: { connection: [{ datasourceType: plan.sourceProtocol, datasource: plan.sourceDataSource, table: tables.map((t) => `${t.schema}.${t.table}`) }] },
      },
      { stepType: plan.destinationProtocol, category: 'writer', name: 'Writer', parameter: { datasource: plan.destinationDataSource } },
    ],
  };
  return renderRealtimeTask(parseRealtimeTask(JSON.stringify(raw)), { resolved: tables });
}
