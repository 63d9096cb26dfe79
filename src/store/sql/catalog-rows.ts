/** Catalog rows (snake_case columns, integer booleans) to the port's records (catalog-store.ts). */
import type { AccessKeyInfo, DIJobRecord, PrincipalRecord, ProjectRecord, TaskFileRecord, TaskRuntimeRecord } from '../catalog-store.ts';
import type { TaskStatus } from '../../domain/task-status.ts';
import type { Row } from './sql-driver.ts';

export function mapKeyInfo(r: Row): AccessKeyInfo {
  return { accessKeyId: r.access_key_id, principalId: r.principal_id, origin: r.origin, createdAt: r.created_at ?? null, revokedAt: r.revoked_at ?? null };
}

export function mapPrincipal(r: Row | undefined): PrincipalRecord | undefined {
  return r && { id: r.id, name: r.name, isAdmin: r.is_admin === 1, disabled: r.disabled === 1, createdAt: r.created_at };
}

export function mapProject(r: Row | undefined): ProjectRecord | undefined {
  return r && {
    id: r.id, identifier: r.identifier, name: r.name, description: r.description, ownerPrincipalId: r.owner_principal_id,
    tags: JSON.parse(r.tags), disableDevelopment: r.disable_development === 1, isAllowDownload: r.is_allow_download,
    projectMode: r.project_mode, resourceGroupId: r.resource_group_id, createdAt: r.created_at, modifiedAt: r.modified_at,
  };
}

export function mapTaskFile(r: Row | undefined): TaskFileRecord | undefined {
  return r && {
    id: r.id, projectId: r.project_id, name: r.name, fileType: r.file_type, taskType: r.task_type, folderPath: r.folder_path,
    content: r.content, version: r.version, deployedContent: r.deployed_content, deployedVersion: r.deployed_version,
    ownerPrincipalId: r.owner_principal_id, lastEditPrincipalId: r.last_edit_principal_id, createdAt: r.created_at, modifiedAt: r.modified_at,
  };
}

export function mapDIJob(r: Row | undefined): DIJobRecord | undefined {
  return r && {
    fileId: r.file_id, document: r.document, fileSpec: r.file_spec, fileVersion: r.file_version,
    runInstanceId: r.run_instance_id, runDocument: r.run_document, rerunInstanceId: r.rerun_instance_id,
  };
}

export function mapRuntime(r: Row | undefined): TaskRuntimeRecord | undefined {
  return r && {
    fileId: r.file_id, status: r.status as TaskStatus, message: r.message, desired: r.desired, startParam: r.start_param,
    fence: r.fence, resourcesCreated: r.resources_created === 1, progress: r.progress ? JSON.parse(r.progress) : null,
    instanceId: r.instance_id, updatedAt: r.updated_at,
  };
}

/** LIKE operands are escaped with backslash (`ESCAPE '\'`), so `%` and `_` in a filter are literal. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
