/**
 * The worked example: call history as a collection. Records are validated CallRecords, sorted
 * by when the call started, and kept 120 days by default (the four months iCloud keeps them).
 */
import { validateCallRecord, type CallDirection, type CallRecord, type CallService } from '../core/callRecord.js';
import type { Collection, CollectionOptions, Entry, ListFilter } from './collection.js';

/** Default retention of call history: 120 days. */
export const CALL_RETENTION_DAYS = 120;

/** The collection options for call history. */
export function callLogOptions(overrides: Partial<CollectionOptions<CallRecord>> = {}): CollectionOptions<CallRecord> {
  return {
    validate: validateCallRecord,
    sortTime: (call) => call.startedAt,
    retentionDays: CALL_RETENTION_DAYS,
    ...overrides,
  };
}

/** Filters for call history. All are optional and combine with AND. */
export interface CallFilter {
  /** Calls that started at or after this time (ms). */
  from?: number;
  /** Calls that started before this time (ms). */
  to?: number;
  /** Only calls with this E.164 number. */
  peer?: string;
  direction?: CallDirection;
  service?: CallService;
  /** true: only missed (unanswered incoming) calls; false: only answered ones. */
  missed?: boolean;
  order?: 'asc' | 'desc';
  limit?: number;
}

/** Turns a {@link CallFilter} into a collection filter. */
export function callFilter(filter: CallFilter): ListFilter<CallRecord> {
  const { peer, direction, service, missed } = filter;
  const where =
    peer === undefined && direction === undefined && service === undefined && missed === undefined
      ? undefined
      : (c: CallRecord) =>
          (peer === undefined || c.peer === peer) &&
          (direction === undefined || c.direction === direction) &&
          (service === undefined || c.service === service) &&
          (missed === undefined || isMissed(c) === missed);
  return {
    ...(filter.from === undefined ? {} : { from: filter.from }),
    ...(filter.to === undefined ? {} : { to: filter.to }),
    ...(filter.order === undefined ? {} : { order: filter.order }),
    ...(filter.limit === undefined ? {} : { limit: filter.limit }),
    ...(where === undefined ? {} : { where }),
  };
}

/** A missed call: incoming and not answered. */
export function isMissed(call: CallRecord): boolean {
  return call.direction === 'incoming' && !call.answered;
}

/** Lists calls matching `filter`, newest first by default. */
export function listCalls(calls: Collection<CallRecord>, filter: CallFilter = {}): Promise<Entry<CallRecord>[]> {
  return calls.list(callFilter(filter));
}
