/**
 * The port the storage guard traces through: storage/ owns it, telemetry/ implements it (telemetry/storage.ts).
 * Wraps one storage method in a `fin.storage.<method>` span; the identity when not tracing.
 */
export type StorageTracer = <F extends (...args: never[]) => Promise<unknown>>(method: string, fn: F) => F
