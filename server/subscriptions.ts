/**
 * Wires domain-event subscribers (server/events.ts). Imported once by server/app.ts and jobs/index.ts so every
 * process that changes data also runs the reactions. Each area adds one import line.
 */
import './services/boards/subscriptions.ts';
import './services/learning/subscriptions.ts';
import './services/reminders/subscriptions.ts';
import './services/research/subscriptions.ts';

import './services/mentoring/reminders.ts';
import './services/mentoring/subscriptions.ts';

import './services/networks/subscriptions.ts';

import './services/lti/subscriptions.ts';
export {};
