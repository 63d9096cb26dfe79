/**
 * Every status change of a task goes through `CatalogStore.mutateTaskRuntime` (lifecycle and
 * runner alike), so the task event log hears of each one by watching that method: the returned
 * store behaves exactly like the given one, and calls `onChange` after each committed change of
 * `status`.
 */
import type { CatalogStore, TaskRuntimeRecord } from '../../store/catalog-store.ts';

export function observeTaskStatus(store: CatalogStore, onChange: (before: TaskRuntimeRecord, after: TaskRuntimeRecord) => void): CatalogStore {
  const mutateTaskRuntime: CatalogStore['mutateTaskRuntime'] = async (fileId, fn) => {
    let before: TaskRuntimeRecord | undefined;
    const after = await store.mutateTaskRuntime(fileId, (r) => { before = r; return fn(r); });
    if (before && before.status !== after.status) onChange(before, after);
    return after;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'mutateTaskRuntime') return mutateTaskRuntime;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
