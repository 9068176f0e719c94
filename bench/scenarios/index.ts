import type { BenchData } from '../seed.ts';
import { cohortScenarios } from './cohorts.ts';
import { directoryScenarios } from './directory.ts';
import { foundationScenarios } from './foundation.ts';
import { learningScenarios } from './learning.ts';
import { mentoringScenarios } from './mentoring.ts';

import { networkScenarios } from './networks.ts';
import { pledgeScenarios } from './pledge.ts';
import { researchScenarios } from './research.ts';

/**
 * The registry of HTTP scenarios. Each area keeps its scenarios in bench/scenarios/<area>.ts and lists them here.
 * A scenario names a request; the runner signs in as `as`, checks the request once (it must answer 2xx, or the
 * scenario is reported as skipped with the status, e.g. while the page is not built yet), then measures it.
 */
export type Actor = 'anonymous' | 'participant' | 'facilitator' | 'admin';

export type BenchTarget = {
  /** Path and query; several candidates are tried in order and the first that answers 2xx is measured. */
  path: string | string[];
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  as: Actor;
  /** 'cookie' (default) signs in through the login form; 'token' uses a personal API token (Bearer). */
  via?: 'cookie' | 'token';
  /** JSON body (sent with content-type application/json). */
  body?: unknown;
  /**
   * Further JSON bodies: the load sends `body` and these in turn, one request after another, so that a write is a
   * real change each time rather than the same request repeated (which a save that writes only what changed answers
   * without writing).
   */
  moreBodies?: unknown[];
  /** Extra check of the first response's body, e.g. that the page shows the 30 rows it should. */
  expect?: (body: string) => string | undefined;
};

export type Scenario = {
  name: string;
  /** The area (issue) that owns the page. */
  area:
    | 'foundation'
    | 'learning'
    | 'cohorts'
    | 'pledge'
    | 'boards'
    | 'reminders'
    | 'research'
    | 'mentoring'
    | 'networks'
    | 'directory';
  /** Page scenarios are held to the targets: >= 20% of /healthz rps, p50 growing <= 1.3x when the data grows 10x. */
  page: boolean;
  description: string;
  /** Concurrent connections, when not the run's default (e.g. a register is saved by one or two people at once). */
  connections?: number;
  target: (data: BenchData) => BenchTarget;
};

export const scenarios: Scenario[] = [
  ...foundationScenarios,
  ...learningScenarios,
  ...cohortScenarios,
  ...pledgeScenarios,
  ...researchScenarios,

  ...mentoringScenarios,

  ...networkScenarios,
  ...directoryScenarios,
];

/** Names of the scenarios with the same-run targets (for the growth mode). */
export const pageScenarioNames = () => scenarios.filter((s) => s.page).map((s) => s.name);
