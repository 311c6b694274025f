import type Router from '@koa/router';
import type { PipelineSampler } from '../pipeline/sampler';
import type { ReadModelsStatus } from './readModels';
import type { StoreMasterStatus } from './storeMaster';

/** What the status API tells an operator (`/api/ops/…`), each from the data it owns. */
export interface OpsStatus {
  pipeline: PipelineSampler;
  storeMaster: StoreMasterStatus;
  readModels: ReadModelsStatus;
}

export function mountOpsRoutes(router: Router, ops: OpsStatus): void {
  router.get(['/api/ops/pipeline', '/api/ops/pipeline/'], (ctx) => {
    ctx.body = ops.pipeline.body();
  });
  router.get(['/api/ops/store-master', '/api/ops/store-master/'], async (ctx) => {
    ctx.body = await ops.storeMaster.body();
  });
  router.get(['/api/ops/read-models', '/api/ops/read-models/'], async (ctx) => {
    ctx.body = await ops.readModels.body();
  });
}
