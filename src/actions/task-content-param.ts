/** TaskContent and TaskName of CreateDISyncTask / UpdateDISyncTask: validated at the edge. */
import { paramInvalid } from '../protocol/errors.ts';
import { TaskContentError, parseRealtimeTask, renderRealtimeTask, type RealtimeTaskDefinition } from '../domain/task-content.ts';

export function parseTaskContent(text: string): RealtimeTaskDefinition {
  try {
    return parseRealtimeTask(text);
  } catch (err) {
    if (err instanceof TaskContentError) throw paramInvalid('TaskContent', err.message);
    throw err;
  }
}

/** What is stored: the cloud's TaskContent shape, its extend.name the task's (file's) name. */
export function storedTaskContent(def: RealtimeTaskDefinition, taskName: string): string {
  return renderRealtimeTask(def, { name: taskName });
}

const FILE_NAME = /^[A-Za-z0-9_\u4e00-\u9fa5][A-Za-z0-9_.\-\u4e00-\u9fa5]{0,127}$/;

/**
 * TaskName is optional (spec/dataworks-openapi.json): without it the task takes the script's own
 * name (extend.name, else setting.name); a task with neither is refused.
 */
export function validateTaskName(name: unknown, def: RealtimeTaskDefinition): string {
  const given = name !== undefined && name !== '';
  const chosen = given ? name : def.name;
  if (chosen === null) throw paramInvalid('TaskName', 'is required when TaskContent names no task (extend.name or setting.name)');
  if (typeof chosen !== 'string' || !FILE_NAME.test(chosen)) {
    throw paramInvalid('TaskName', `${given ? '' : `(taken from TaskContent: ${JSON.stringify(chosen).slice(0, 140)}) `}must be 1-128 letters, digits, _ . or -`);
  }
  return chosen;
}
