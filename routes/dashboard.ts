import type { Router } from 'express';
import { loadDashboard } from '../server/services/dashboard.ts';
import '../server/services/dashboardPanels.ts';

export function registerDashboardRoutes(web: Router): void {
  web.get('/', async (req, res) => {
    if (!req.user) return res.render('home', { title: 'Leading Women to Headship' });
    res.render('dashboard/index', { title: 'Your dashboard', panels: await loadDashboard(req.user) });
  });
}
