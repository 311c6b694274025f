import type { Db } from 'mongodb';
import type { StoreVisitsBody, VisitsResponse } from '@retail-pulse/shared/contracts/api';
import { badRequest } from '@retail-pulse/shared/http';
import { findStoreVisits, type StoreVisits } from '@retail-pulse/shared/readModels';
import type { StoreMaster } from '@retail-pulse/shared/storeMaster';
import type { ActiveReadModels } from '../readModels';
import type { VisitsParams } from './params';

/** One store of the SPEC's visits answer: the API's own names, shaped here at the edge. */
export function visitsResultOf(store: StoreVisits): StoreVisitsBody {
  return {
    store_id: store.storeId,
    area: store.areaCode,
    store_name: store.storeName,
    data: store.days.map((day) => ({ date: day.date, perimeter: day.perimeters })),
  };
}

export class VisitsQuery {
  constructor(
    private readonly db: Db,
    private readonly readModels: ActiveReadModels,
    private readonly storeMaster: StoreMaster,
  ) {}

  /** Visits of one area and/or store within a date range; unknown areas and stores are a 400. */
  async find(params: VisitsParams, generation?: string): Promise<VisitsResponse> {
    if (params.storeId !== undefined) {
      const store = await this.storeMaster.findById(params.storeId);
      if (!store) throw badRequest(`unknown store_id: ${params.storeId}`);
      if (params.area !== undefined && store.areaCode !== params.area) {
        throw badRequest(`store ${params.storeId} is not in area ${params.area}`);
      }
    } else if (params.area !== undefined && !(await this.storeMaster.areaExists(params.area))) {
      throw badRequest(`unknown area: ${params.area}`);
    }
    const names = await this.readModels.resolve(generation);
    const found = await findStoreVisits(this.db, names.visits, {
      areaCode: params.area,
      storeId: params.storeId,
      from: params.from,
      until: params.until,
    });
    return { results: found.map(visitsResultOf) };
  }
}
