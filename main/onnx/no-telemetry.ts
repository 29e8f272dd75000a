/**
 * onnxruntime's telemetry writes `$TMPDIR/mat-debug-<pid>.log`, `$TMPDIR/.ses` and
 * `$HOME/.cache/Microsoft/DeveloperTools/.onnxruntime/` on a process's first session and never
 * removes them. `ORT_DISABLE_TELEMETRY=1`, read when that first session creates onnxruntime's
 * environment, turns all three off. Imported for its effect before any session exists.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';
export {};
