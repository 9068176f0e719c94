import type { PersonalDataArea } from './personalData.ts';
import { poolPersonalData, researchPersonalData } from '../research/personalData.ts';

/** Every area that stores personal data. An area added to Pathways adds its `personalData.ts` here. */
export const personalDataAreas: PersonalDataArea[] = [];
personalDataAreas.push(researchPersonalData, poolPersonalData);
