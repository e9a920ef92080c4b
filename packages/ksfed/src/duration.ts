import { UsageError } from './errors';

/** A duration for messages: `0.5s`, `12s`, `5m`, `1h5m`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${Math.max(0, ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  const minutes = Math.round(ms / 60_000);
  return minutes < 60 ? `${minutes}m` : `${Math.floor(minutes / 60)}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
}

const UNITS: { [unit: string]: number } = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `90s`, `5m`, `1h30m`, `500ms` or a plain number of seconds into milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const t = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map(p => p[0]).join('') !== t) {
    throw new UsageError(`${what} "${text}" is not a duration; write it like 90s, 5m or 1h30m`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]], 0);
  if (ms <= 0) throw new UsageError(`${what} "${text}" must be more than zero`);
  return Math.round(ms);
}
