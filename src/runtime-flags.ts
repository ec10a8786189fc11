/**
 * Node flags the service runs with (`npm start`, the Dockerfile, the benchmark's service process:
 * keep them in step). The service's live heap is small; without a cap V8 lets the old space grow
 * under load long before collecting, so RSS drifts past what a 256 MB container allows.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-old-space-size=128'];
