/**
 * The Node flags the server runs with: `npm start` and the Dockerfile's CMD spell them out (a test
 * keeps them in step), `sesam serve`, the benchmark and the start-time script take them from here.
 *
 * `--max-semi-space-size=4` (MiB): V8 lets its young generation grow to 64 MiB, which the start
 * fills once and keeps resident for good although a request's garbage needs a fraction of it;
 * 4 MiB takes about 50 MB off the resident memory of an idle server, at no CPU cost the benchmark
 * can see (scavenges of short-lived request garbage stay cheap).
 */
export const SERVER_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=4']);
