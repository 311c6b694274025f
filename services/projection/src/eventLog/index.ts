/** The event log: the system of record, in pages, written by the projection alone. */
export * from './eventLog';
export * from './legacy';
export * from './pages';
