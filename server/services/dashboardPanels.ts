import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { addDashboardPanel } from './dashboard.ts';

/**
 * The list of dashboard panels, in the order they appear. Each area registers its own here
 * (one import line per area keeps the order visible in one place).
 */
addDashboardPanel({
  name: 'admin-overview',
  roles: ['admin'],
  load: async () => ({
    users: await UserModel.estimatedDocumentCount(),
    outbox: await OutboxMessageModel.estimatedDocumentCount(),
  }),
});

// Cohorts area: a facilitator's cohorts, a participant's next sessions.
import './cohorts/panels.ts';

// Learning area: a learner's programmes and progress, a facilitator's cohort progress.
import './learningPanels.ts';

// Governing boards (issue 6): a governor's boards, open rounds and her own training.
import './boards/panels.ts';
