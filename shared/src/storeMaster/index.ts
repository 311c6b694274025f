/** The store master: parsing its CSV and storing it. */
export * from './parse';
export * from './repository';
