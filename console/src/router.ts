/**
 * Hash routes: the server serves one page (/console/), so every view has a bookmarkable address
 * without the server knowing the views.
 *   #/                                  workspaces
 *   #/workspaces/{ProjectId}            a workspace: its tasks and data sources
 *   #/workspaces/{ProjectId}/tasks/{Id} a task (FileId = DI job Id)
 *   #/workspaces/{ProjectId}/new-job    the job wizard
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'workspaces' }
  | { page: 'workspace'; projectId: number }
  | { page: 'task'; projectId: number; taskId: number }
  | { page: 'new-job'; projectId: number }
  | { page: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/') return { page: 'workspaces' };
  let m = /^\/workspaces\/(\d{1,15})$/.exec(path);
  if (m) return { page: 'workspace', projectId: Number(m[1]) };
  m = /^\/workspaces\/(\d{1,15})\/tasks\/(\d{1,15})$/.exec(path);
  if (m) return { page: 'task', projectId: Number(m[1]), taskId: Number(m[2]) };
  m = /^\/workspaces\/(\d{1,15})\/new-job$/.exec(path);
  if (m) return { page: 'new-job', projectId: Number(m[1]) };
  return { page: 'not-found', path };
}

export const hrefOf = {
  workspaces: () => '#/',
  workspace: (projectId: number) => `#/workspaces/${projectId}`,
  task: (projectId: number, taskId: number) => `#/workspaces/${projectId}/tasks/${taskId}`,
  newJob: (projectId: number) => `#/workspaces/${projectId}/new-job`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(href: string): void {
  location.hash = href.replace(/^#/, '');
}
