import type { Db } from 'mongodb';
import type { StoreVisitsBody, VisitsResponse } from '@retail-pulse/shared/contracts/api';
import { badRequest } from '@retail-pulse/shared/http';
import { findAreaVisits, findStoreVisits, type StoreVisits } from '@retail-pulse/shared/readModels';
import type { StoreMaster, StoreMasterSnapshot } from '@retail-pulse/shared/storeMaster';
import type { ActiveReadModels } from '../readModels';
import type { VisitsParams } from './params';

/** A store's visits named as the current master names the store. */
export type NamedStoreVisits = StoreVisits & { areaCode: string; storeName: string };

/** One store of the SPEC's visits answer: the API's own names, shaped here at the edge. */
export function visitsResultOf(store: NamedStoreVisits): StoreVisitsBody {
  return {
    store_id: store.storeId,
    area: store.areaCode,
    store_name: store.storeName,
    data: store.days.map((day) => ({ date: day.date, perimeter: day.perimeters })),
  };
}

/**
 * The visits of the stores the current master holds, in the area and under the name it gives
 * them now: a store the master no longer holds is not listed, a store it moved is listed in its
 * new area. Pure.
 */
export function underCurrentMaster(
  found: StoreVisits[],
  master: StoreMasterSnapshot,
  area?: string,
): NamedStoreVisits[] {
  return found.flatMap((visits) => {
    const store = master.store(visits.storeId);
    if (!store || (area !== undefined && store.areaCode !== area)) return [];
    return [{ ...visits, areaCode: store.areaCode, storeName: store.storeName }];
  });
}

export class VisitsQuery {
  constructor(
    private readonly db: Db,
    private readonly readModels: ActiveReadModels,
    /** The current store master, in memory: store and area checks read no database. */
    private readonly storeMaster: Pick<StoreMaster, 'snapshot'>,
  ) {}

  /** Visits of one area and/or store within a date range; unknown areas and stores are a 400. */
  async find(params: VisitsParams, generation?: string): Promise<VisitsResponse> {
    const master = this.storeMaster.snapshot;
    if (params.storeId !== undefined) {
      const store = master.store(params.storeId);
      if (!store) throw badRequest(`unknown store_id: ${params.storeId}`);
      if (params.area !== undefined && store.areaCode !== params.area) {
        throw badRequest(`store ${params.storeId} is not in area ${params.area}`);
      }
    } else if (params.area !== undefined && !master.hasArea(params.area)) {
      throw badRequest(`unknown area: ${params.area}`);
    }
    const names = await this.readModels.resolve(generation);
    // The read model files visits under the area a store had when they were measured: an area's
    // query finds the stores moved into it since by the other areas' directories.
    const area = params.area;
    const found =
      area !== undefined && params.storeId === undefined
        ? await findAreaVisits(this.db, names.visits, {
            areaCode: area,
            isInArea: (storeId) => master.store(storeId)?.areaCode === area,
            from: params.from,
            until: params.until,
          })
        : await findStoreVisits(this.db, names.visits, {
            storeId: params.storeId,
            from: params.from,
            until: params.until,
          });
    return { results: underCurrentMaster(found, master, params.area).map(visitsResultOf) };
  }
}
