import type { Request } from 'express';

/** One-time messages shown on the next page ("Register saved."), kept in the session. */
export function flash(req: Request, kind: 'success' | 'error' | 'info', message: string): void {
  req.session.flash = [...(req.session.flash ?? []), { kind, message }];
}

export function takeFlash(req: Request) {
  const messages = req.session?.flash ?? [];
  if (req.session?.flash) delete req.session.flash;
  return messages;
}
