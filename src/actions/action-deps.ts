/** What every action handler may use; built once at service start and passed down explicitly. */
import type { Logger } from '../logger.ts';
import type { CatalogStore } from '../store/catalog-store.ts';
import type { TaskLifecycle } from '../runtime/task-lifecycle.ts';
import type { ConfigProcessor } from '../runtime/config-processor.ts';
import type { HostAllowList } from '../config/host-allow-list.ts';
import type { TaskMonitor } from '../runtime/monitoring/task-monitor.ts';

export interface ActionDeps {
  store: CatalogStore;
  lifecycle: TaskLifecycle;
  configProcessor: ConfigProcessor;
  logger: Logger;
  /** The operator's allow-list of data source hosts; undefined: any host. */
  allowedHosts?: HostAllowList;
  /** Monitoring and alerting: settings (webhook allow-list, resource group) and the alarm engine. */
  monitor: TaskMonitor;
}
