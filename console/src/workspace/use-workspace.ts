/** A workspace's name for headings and breadcrumbs (GetProject), fetched once per view. */
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';

export interface Workspace { ProjectId: number; ProjectName: string; ProjectIdentifier: string }

export function useWorkspace(projectId: number): { workspace?: Workspace; error?: string } {
  const client = useClient();
  const got = usePoll((signal) => client.call('GetProject', { ProjectId: projectId }, signal), null, [client, projectId]);
  return { workspace: got.data?.Data, error: got.error };
}
