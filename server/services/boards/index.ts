/**
 * Governing boards: members, recruitment rounds and their panels, readiness for the interview day (with its
 * escalating reminders and the closed round's record), fairness figures, external certificates and the Pledge link.
 * The dashboard panel (panels.ts) and the event subscribers (subscriptions.ts) register themselves when imported.
 */
export {
  presentBoard,
  findBoardFor,
  findManagedBoard,
  listBoardsFor,
  pageBoardsFor,
  createBoard,
  updateBoard,
  setBoardMember,
  setBoardMemberByEmail,
  removeBoardMember,
  memberRemovalToConfirm,
  findOrInvitePanelMember,
  trainingRecordAccess,
  trainingRecordsAccess,
  confirmBoardMembership,
  type BoardView,
  type TrainingRecordAccess,
} from './boards.ts';
export { peopleById } from './people.ts';
export {
  panelWarningMessages,
  presentRound,
  createRound,
  findRoundFor,
  updateRound,
  mergeInterviewDates,
  changeRound,
  setPanel,
  addToPanel,
  addAdviserToPanel,
  removeFromPanel,
  panelRemovalToConfirm,
  roundReadiness,
  saferRecruitmentHolders,
  panelWarnings,
  roundOverview,
  findOrOpenPanelCohort,
  enrolPanelLackingTraining,
  recordGenderFigures,
  closeRound,
  roundToClose,
  roundsOfBoard,
  openRoundsReadiness,
  type PanelWarning,
  type RoundInput,
  type RoundChange,
} from './rounds.ts';
export {
  readinessStatuses,
  endOfInterviewDay,
  daysUntil,
  memberReadiness,
  renewalDeadline,
  loadPanelFacts,
  loadReadiness,
  readinessFromFacts,
  firstInterviewDate,
  interviewDays,
  type ReadinessStatus,
  type MemberReadiness,
  type PanelReadiness,
} from './readiness.ts';
export {
  memberOffsetsDays,
  chairOffsetsDays,
  wantedRoundReminders,
  planRoundReminders,
  replanOpenRounds,
  replanRoundsOf,
  replanRoundsOfBoard,
} from './roundReminders.ts';
export { statusLabel, readinessRecordCsv, readinessRecordPdf } from './roundRecord.ts';
export {
  suppressionThreshold,
  suppressSmallNumbers,
  addUpFigures,
  suppressTotals,
  fairnessAcrossBoards,
  recentRoundReadiness,
} from './fairness.ts';
export {
  allowedFileTypes,
  defaultValidityYears,
  presentExternalCertificate,
  recordExternalCertificate,
  listExternalCertificates,
  mayReadExternalCertificate,
  externalCertificateFile,
  type UploadedFile,
} from './externalCertificates.ts';
export { pledgeLinkState, linkBoardToPledge } from './pledge.ts';
