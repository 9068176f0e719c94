/**
 * The research consent text, in one place. Changing the words means a new `version`: every consent record keeps the
 * version she saw, so a researcher can tell which text a person agreed to.
 */
export const consentText = {
  version: '2026-12-01',
  title: 'Use of my records for research',
  paragraphs: [
    'The Leading Women to Headship alliance, with its university partner, studies whether programmes, panel training and mentoring help women into headship.',
    'If you agree, your enrolments, completions, attendance, survey answers (not what you write in free text) and the career steps you record may be counted in research figures and in anonymised data sets. You are never named: researchers see totals, and anonymised rows carry a random number instead of your name, email or school.',
    'You can change your mind at any time with one click. Figures count you only while you agree, and only what you record from the moment you agree.',
  ],
} as const;
