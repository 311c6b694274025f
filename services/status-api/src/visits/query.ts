import type { Db, Filter } from 'mongodb';
import { badRequest } from '@retail-pulse/shared/http';
import type { ImageRecordDocument } from '@retail-pulse/shared/mongo';
import type { StoreMaster } from '@retail-pulse/shared/storeMaster';
import type { ActiveReadModels } from '../readModels';
import { groupVisits, type VisitsResult } from './group';
import type { VisitsParams } from './params';

export class VisitsQuery {
  constructor(
    private readonly db: Db,
    private readonly readModels: ActiveReadModels,
    private readonly storeMaster: StoreMaster,
  ) {}

  /** Visits of one area and/or store within a date range; unknown areas and stores are a 400. */
  async find(params: VisitsParams, generation?: string): Promise<{ results: VisitsResult[] }> {
    if (params.storeId !== undefined) {
      const store = await this.storeMaster.findById(params.storeId);
      if (!store) throw badRequest(`unknown store_id: ${params.storeId}`);
      if (params.area !== undefined && store.areaCode !== params.area) {
        throw badRequest(`store ${params.storeId} is not in area ${params.area}`);
      }
    } else if (params.area !== undefined && !(await this.storeMaster.areaExists(params.area))) {
      throw badRequest(`unknown area: ${params.area}`);
    }
    const filter: Filter<ImageRecordDocument> = { status: 'processed' };
    if (params.area !== undefined) filter.areaCode = params.area;
    if (params.storeId !== undefined) filter.storeId = params.storeId;
    if (params.from || params.until) {
      filter.visitTime = {
        ...(params.from ? { $gte: params.from } : {}),
        ...(params.until ? { $lt: params.until } : {}),
      };
    }
    const names = await this.readModels.resolve(generation);
    const images = await this.db
      .collection<ImageRecordDocument>(names.images)
      .find(filter, {
        projection: {
          storeId: 1,
          areaCode: 1,
          storeName: 1,
          date: 1,
          perimeter: 1,
          visitTime: 1,
          jobId: 1,
          visitIndex: 1,
          imageIndex: 1,
        },
      })
      .toArray();
    return { results: groupVisits(images) };
  }
}
