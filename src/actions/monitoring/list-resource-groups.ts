/**
 * ListResourceGroups (2020-05-18, spec/di-api-audit.md section 5): a self-hosted OpenDI runs every
 * task on one engine pool, the configured resource group (OPENDI_RESOURCE_GROUP, default
 * "default", the identifier clients commonly send as TaskParam.ResourceGroup). It is an exclusive
 * Data Integration group, listed for ResourceGroupType 4 (Data Integration) and 1 (scheduling,
 * the default type); the filters apply to it as to any group.
 */
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { gmtString } from '../access.ts';

const SERVED_TYPES = [1, 4];

export const listResourceGroups: Action<'2020-05-18', 'ListResourceGroups'> = async (deps, ctx) => {
  const p = ctx.params;
  const type = p.ResourceGroupType ?? 1;
  const identifier = deps.monitor.config.resourceGroup;
  const keyword = p.Keyword?.toLowerCase();
  const tags = p.Tags ?? [];
  const matches = SERVED_TYPES.includes(type)
    && (p.BizExtKey === undefined || p.BizExtKey === 'single')
    && (keyword === undefined || identifier.toLowerCase().includes(keyword))
    && (p.ResourceManagerResourceGroupId === undefined || p.ResourceManagerResourceGroupId === '')
    && tags.length === 0;
  if (!matches) return { Success: true, HttpStatusCode: 200, Data: [] };
  const created = gmtString(await deps.store.monitoring.createdAt());
  return {
    Success: true, HttpStatusCode: 200,
    Data: [{
      Id: 1, Identifier: identifier, Name: identifier, Mode: 'ISOLATE', BizExtKey: 'single', ResourceGroupType: String(type),
      Status: 0, IsDefault: true, Sequence: 1, Specs: {}, Cluster: 'opendi', EnableKp: false,
      CreateTime: created, UpdateTime: created, TenantId: 1, ResourceManagerResourceGroupId: '', Tags: [],
    }],
  };
};
