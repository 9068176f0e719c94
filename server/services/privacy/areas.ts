import { directoryPersonalData } from '../directory/personalData.ts';
import type { PersonalDataArea } from './personalData.ts';
import { networksPersonalData } from '../networks/personalData.ts';

/** Every area that stores personal data. An area added to Pathways adds its `personalData.ts` here. */
export const personalDataAreas: PersonalDataArea[] = [networksPersonalData, directoryPersonalData];
