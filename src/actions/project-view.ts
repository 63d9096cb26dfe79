/** The wire shape of a workspace, shared by GetProject and ListProjects. */
import type { ProjectRecord } from '../store/catalog-store.ts';
import { gmtString } from './access.ts';

export function projectView(p: ProjectRecord) {
  return {
    ProjectId: p.id,
    ProjectIdentifier: p.identifier,
    ProjectName: p.name,
    ProjectDescription: p.description,
    ProjectOwnerBaseId: p.ownerPrincipalId,
    ProjectStatus: 0,
    ProjectStatusCode: 'AVAILABLE',
    Status: 0,
    ProjectMode: p.projectMode,
    DisableDevelopment: p.disableDevelopment,
    IsAllowDownload: p.isAllowDownload,
    IsDefault: 0,
    ResourceManagerResourceGroupId: p.resourceGroupId,
    Tags: p.tags,
    // Real DataWorks project data shows ["DEV","PRD"] in standard mode (README, "What is served");
    // basic mode has the production environment only.
    EnvTypes: p.projectMode === 3 ? ['DEV', 'PRD'] : ['PRD'],
    GmtCreate: gmtString(p.createdAt),
    GmtModified: gmtString(p.modifiedAt),
  };
}
