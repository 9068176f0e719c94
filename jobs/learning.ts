import {
  announceInterruptedCertificates,
  issueAllCertificatesDue,
  nameAllHolders,
} from '../server/services/learning/certificates.ts';
import { showAllProgress } from '../server/services/learning/enrolmentProgress.ts';
import { showAllOutlines } from '../server/services/learning/outline.ts';
import type { JobArea } from './types.ts';

/**
 * Learning: the copies a learner's home page reads instead of the modules, her completions and her certificates
 * (each programme's outline, each enrolment's progress) are written again from those every hour and at start.
 * Idempotent and written over the version they were computed at, so they heal a copy left behind by a process that
 * stopped between a change and its copy (services/learning/outline.ts, services/learning/enrolmentProgress.ts).
 * Certificates now due are issued first (issueAllCertificatesDue): one a stopped process left unissued after the
 * change that finished her programme (an archive, her return, her cohort's move) is issued within the hour, and one
 * whose process stopped before what follows its issue (her reminders, invitations, surveys) is announced again. Each
 * certificate issued before its holder's name carried her account's version is named from her account once
 * (services/learning/certificates.ts, nameAllHolders), so one issued before a rename names her as she is called now.
 */
export const learningJobs: JobArea = {
  define(agenda) {
    agenda.define('learning:repair-copies', async () => {
      await showAllOutlines();
      await issueAllCertificatesDue(new Date());
      await announceInterruptedCertificates();
      await showAllProgress();
      await nameAllHolders();
    });
  },
  async schedule(agenda) {
    await agenda.every('1 hour', 'learning:repair-copies', {}, { skipImmediate: false });
  },
};
