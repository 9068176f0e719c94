import type { Role } from '../../models/User.ts';

/**
 * The home page is made of panels, one per area and role (a participant's programmes, a facilitator's
 * cohorts, a chair's recruitment rounds...). Each area adds its panel to `dashboardPanels` below; a panel's
 * view lives in views/dashboard/panels/<name>.ejs and receives what `load` returns.
 */
export type DashboardPanel = {
  name: string;
  roles: Role[];
  load: (user: Express.User, shared: DashboardShared) => Promise<Record<string, unknown>>;
};

/**
 * What the panels of ONE page load share: `once(key, load)` runs `load` the first time a key is asked for on this
 * page and hands every panel the same promise (her active enrolments serve her sessions and her programmes: one
 * read, not one per panel). A new one per page, so nothing outlives the request.
 */
export type DashboardShared = { once: <T>(key: string, load: () => Promise<T>) => Promise<T> };

function sharedForOnePage(): DashboardShared {
  const loads = new Map<string, Promise<unknown>>();
  return {
    once: <T>(key: string, load: () => Promise<T>) => {
      if (!loads.has(key)) loads.set(key, load());
      return loads.get(key) as Promise<T>;
    },
  };
}

export const dashboardPanels: DashboardPanel[] = [];

export function addDashboardPanel(panel: DashboardPanel): void {
  if (!dashboardPanels.some((p) => p.name === panel.name)) dashboardPanels.push(panel);
}

/** Panels for this user's roles (admins see the admin panels plus every role's they hold), loaded in parallel. */
export async function loadDashboard(user: Express.User) {
  const panels = dashboardPanels.filter((p) => p.roles.some((r) => user.roles.includes(r)));
  const shared = sharedForOnePage();
  return Promise.all(panels.map(async (p) => ({ name: p.name, data: await p.load(user, shared) })));
}
