/** What count.mjs finds in one file's TAP. */
export interface TapCounts {
  passed: number
  failed: number
  skipped: number
  assertions: number
  failedAssertions: number
  /** tap's time for the file, ms. */
  ms: number
  /** The names of the failed tests. */
  failures: string[]
}
export function countTap (text: string): TapCounts
