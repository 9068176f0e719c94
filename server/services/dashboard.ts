import type { Role } from '../../models/User.ts';

/**
 * The home page is made of panels, one per area and role (a participant's programmes, a facilitator's
 * cohorts, a chair's recruitment rounds...). Each area adds its panel to `dashboardPanels` below; a panel's
 * view lives in views/dashboard/panels/<name>.ejs and receives what `load` returns.
 */
export type DashboardPanel = {
  name: string;
  roles: Role[];
  load: (user: Express.User) => Promise<Record<string, unknown>>;
};

export const dashboardPanels: DashboardPanel[] = [];

export function addDashboardPanel(panel: DashboardPanel): void {
  if (!dashboardPanels.some((p) => p.name === panel.name)) dashboardPanels.push(panel);
}

/** Panels for this user's roles (admins see the admin panels plus every role's they hold), loaded in parallel. */
export async function loadDashboard(user: Express.User) {
  const panels = dashboardPanels.filter((p) => p.roles.some((r) => user.roles.includes(r)));
  return Promise.all(panels.map(async (p) => ({ name: p.name, data: await p.load(user) })));
}
