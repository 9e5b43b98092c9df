/** History: every reconciliation's counts per component, kept capped and served by GET /api/v1/history. */
export { CAPPED_STREAM_DEFAULTS, CappedStream } from './capped-stream';
export type { CappedStreamOptions, StreamEntry } from './capped-stream';
export { createHistoryStore } from './create-history-store';
export { historyEntryOf, pointsOf } from './history-point';
export type { ComponentCounts, HistoryEntry, HistoryPoint } from './history-point';
export { parseHistoryQuery, parseTimeParameter, singleParameter } from './history-query';
export type { HistoryQueryOptions, ParsedQuery, QueryProblem } from './history-query';
export { recordHistory } from './history-recorder';
export type { LeaderGate, ReportFeed } from './history-recorder';
export { HISTORY_DEFAULTS } from './history-store';
export type { HistoryQuery, HistoryStore } from './history-store';
export { MemoryHistoryStore, newestPoints } from './memory-history-store';
export { openJournalClient } from './journal-client';
export { RedisHistoryStore } from './redis-history-store';
export type { RedisHistoryStoreOptions } from './redis-history-store';
export { RingBuffer } from './ring-buffer';
export { historyHandler } from './routes';
export type { HistoryRouteDeps } from './routes';
