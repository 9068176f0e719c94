/**
 * Cohorts: people taking a programme together, their places and waitlist, live sessions, registers, self check-in,
 * attendance reports and calendars. The dashboard panels (panels.ts) register themselves when imported.
 */
export {
  presentCohort,
  createCohort,
  loadCohort,
  loadVisibleCohort,
  loadRunCohort,
  cohortsFor,
  cohortsRunBy,
  namesOf,
  cohortFormChoices,
  type CohortInput,
} from './cohorts.ts';
export { updateCohort } from './settings.ts';
export {
  enrolParticipant,
  fillFromWaitlist,
  withdrawParticipant,
  rosterOf,
  activeAmong,
  isActivelyEnrolled,
  enrolledCohortIds,
  listEnrolments,
  enrolByEmail,
  importEnrolments,
  type Actor,
  type EnrolmentResult,
  type RosterMember,
  type ImportRow,
} from './enrolment.ts';
export {
  checkInOpensBeforeMs,
  sessionEnd,
  checkInWindow,
  checkInIsOpen,
  resolveStart,
  presentSession,
  scheduleSession,
  loadSession,
  loadVisibleSession,
  loadRunSession,
  rescheduleSession,
  cancelSession,
  sessionsOf,
  upcomingSessions,
  checkInCodeFor,
  cohortById,
  type SessionInput,
} from './sessions.ts';
export {
  checkInFailureLimit,
  checkInFailureWindowMs,
  getRegister,
  presentRegister,
  recordAttendance,
  countsOf,
  checkIn,
  cohortAttendanceReport,
  flagLabels,
  attendanceCsv,
  presentReportRow,
  myAttendance,
  purgeCheckInFailures,
  type RegisterRow,
  type RecordInput,
  type ParticipantReport,
} from './attendance.ts';
export { attendanceChart, chartStatuses } from './attendanceChart.ts';
export { sessionUid, sessionIcs, calendarFeed, calendarFeedUrl, rotateCalendarToken } from './calendar.ts';
