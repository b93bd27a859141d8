export { openDatabase, applyMigrations, LATEST_SCHEMA_VERSION, type Db } from './database.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { Journal, type JournalRecord } from './journal.js';
export { defaultDataDir, layoutOf, prepareDataDir, errnoOf, type DataDirLayout } from './data-dir.js';
