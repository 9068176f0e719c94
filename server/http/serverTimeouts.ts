import type { Server } from 'node:http';

/**
 * Behind a load balancer the balancer, not Node, must be the one to end an idle kept-alive connection: when Node
 * closes first (its default is 5 s, balancers keep 60 s), the balancer may send the next request down the socket Node
 * is closing, and that visitor gets a 502. Node's docs advise headersTimeout above keepAliveTimeout, so a connection
 * is never cut for slow headers while it may still legitimately be idle; requestTimeout (300 s by default) is raised
 * with it, as Node requires it not to be below headersTimeout.
 */
export function applyKeepAlive(server: Server, keepAliveTimeoutMs: number): void {
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.headersTimeout = keepAliveTimeoutMs + 5_000;
  server.requestTimeout = Math.max(server.requestTimeout, server.headersTimeout);
}
