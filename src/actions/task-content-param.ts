/** TaskContent of CreateDISyncTask / UpdateDISyncTask: a real-time script, validated at the edge. */
import { paramInvalid } from '../protocol/errors.ts';
import { TaskContentError, parseRealtimeTask, renderRealtimeTask } from '../domain/task-content.ts';

export function validateTaskContent(text: string): string {
  try {
    return renderRealtimeTask(parseRealtimeTask(text));
  } catch (err) {
    if (err instanceof TaskContentError) throw paramInvalid('TaskContent', err.message);
    throw err;
  }
}

const FILE_NAME = /^[A-Za-z0-9_\u4e00-\u9fa5][A-Za-z0-9_.\-\u4e00-\u9fa5]{0,127}$/;

export function validateTaskName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw paramInvalid('TaskName', 'is mandatory for a DI_REALTIME task');
  if (!FILE_NAME.test(name)) throw paramInvalid('TaskName', 'must be 1-128 letters, digits, _ . or -');
  return name;
}
