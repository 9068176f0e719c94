import type { Router } from 'express';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { navigationGroup } from '../server/navigation.ts';

/** The two hub pages of the navigation: her own settings, and (admins) administration. */
export function registerAccountRoutes(web: Router): void {
  web.get('/account', requireSignIn, (req, res) => {
    res.render('account/index', { title: 'Your account', pages: navigationGroup(req.user!, 'account') });
  });
  web.get('/admin', requireRole('admin'), (req, res) => {
    res.render('admin/index', { title: 'Administration', pages: navigationGroup(req.user!, 'admin') });
  });
}
