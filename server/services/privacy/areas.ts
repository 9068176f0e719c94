import { accountsPersonalData } from '../accounts/personalData.ts';
import { boardsPersonalData } from '../boards/personalData.ts';
import { cohortsPersonalData } from '../cohorts/personalData.ts';
import { learningPersonalData } from '../learning/personalData.ts';
import { pledgePersonalData } from '../pledge/personalData.ts';
import { remindersPersonalData } from '../reminders/personalData.ts';
import { mentoringPersonalData } from '../mentoring/personalData.ts';
import { directoryPersonalData } from '../directory/personalData.ts';
import { networksPersonalData } from '../networks/personalData.ts';
import { ltiPersonalData } from '../lti/personalData.ts';
import type { PersonalDataArea } from './personalData.ts';
import { poolPersonalData, researchPersonalData } from '../research/personalData.ts';

/**
 * Every area that stores personal data. An area added to Pathways adds its `personalData.ts` here, before
 * `accountsPersonalData`: the account's erasure replaces her email, and areas such as the Pledge find her by it.
 */
export const personalDataAreas: PersonalDataArea[] = [
  learningPersonalData,
  cohortsPersonalData,
  remindersPersonalData,
  boardsPersonalData,
  pledgePersonalData,
  researchPersonalData,
  poolPersonalData,
  mentoringPersonalData,
  networksPersonalData,
  ltiPersonalData,
  directoryPersonalData,
  accountsPersonalData,
];
