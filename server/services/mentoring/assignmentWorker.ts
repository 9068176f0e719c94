import { parentPort, workerData } from 'node:worker_threads';
import { scoreAndAssign, type AssignmentInput } from './assignmentScoring.ts';

/** The assignment's arithmetic on a worker thread (./assignmentScoring.ts, scoreAndAssignOnWorker). */
parentPort!.postMessage(scoreAndAssign(workerData as AssignmentInput));
