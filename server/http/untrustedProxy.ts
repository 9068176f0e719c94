import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { logger } from '../logger.ts';

/**
 * Behind a TLS proxy on another host that TRUST_PROXY does not name, nothing fails loudly: the proxy says
 * `X-Forwarded-Proto: https`, the app does not believe it, and in production the Secure session cookie is never set,
 * so every sign-in seems to work and leads back to the sign-in page (and all visitors share the proxy's rate-limit
 * bucket). The first such request is said once in the log, naming the sender, for the operator to set TRUST_PROXY.
 * Only logged: a client talking to the app directly may send the header too, and is refused nothing.
 */
export function untrustedProxyWarning(): RequestHandler {
  let warned = false;
  return (req: Request, _res: Response, next: NextFunction) => {
    // The header is looked at first: a request without it (one that reaches the app directly, such as a load
    // balancer's health check) has nothing to say, and need not have its sender's address parsed against TRUST_PROXY
    // by `req.protocol`. A request through the proxy carries it, so its protocol is still worked out.
    const claimed = warned
      ? ''
      : String(req.headers['x-forwarded-proto'] ?? '')
          .split(',')[0]!
          .trim()
          .toLowerCase();
    if (claimed === 'https' && req.protocol === 'http') {
      warned = true;
      logger.warn(
        { sender: req.socket.remoteAddress },
        `${req.socket.remoteAddress} sends X-Forwarded-Proto: https, but TRUST_PROXY does not name it: if it is your proxy or load balancer, set TRUST_PROXY (1 for the one proxy in front, or its address); until then the Secure session cookie is not set and sign-ins do not hold`,
      );
    }
    next();
  };
}
