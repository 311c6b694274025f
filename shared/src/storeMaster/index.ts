/** The store master: parsing its CSV, its stored versions, and the current version held in memory. */
export * from './current';
export * from './follow';
export * from './parse';
export * from './repository';
export * from './snapshot';
