import type { Board } from '../../../models/Board.ts';
import type { RecruitmentRound } from '../../../models/RecruitmentRound.ts';
import { formatDate, formatDateTime } from '../../time.ts';
import { toCsv } from '../../csv.ts';
import { createPdf } from '../../pdf.ts';

/**
 * The readiness record of a closed round, for the governance file: panel, each member's status and deciding
 * certificate (code, issue and expiry dates) and the interview date. Built from the snapshot taken at closing, so
 * it reads the same however often it is downloaded.
 */
const statusLabels: Record<string, string> = {
  valid: 'Valid on the interview day',
  'expires-before-interview': 'Expires before the interview',
  'in-progress': 'In progress',
  'not-started': 'Not started',
};
export const statusLabel = (status: string): string => statusLabels[status] ?? status;
/** A member not ready on the day who holds a certificate gained after it (her status on the day stays in the data). */
const trainedAfterLabel = 'Trained after the interview day';

type Record_ = NonNullable<RecruitmentRound['readinessRecord']>;

/** The board as it was named at closing; a record closed before the snapshot kept it names the board as it is now. */
const boardOf = (record: Record_, board: Board) => ({
  name: record.boardName ?? board.name,
  organisation: record.organisation ?? board.organisation,
});

/**
 * `zone` is the reader's: a certificate's issue and expiry and the renewal deadline are instants, shown in her zone
 * with the zone named (as on the round's page), so a lapse at 23:30 in London is not a day apart from its "renew by".
 */
function rows(record: Record_, zone: string) {
  return (record.members ?? []).map((m) => ({
    name: m.name,
    role: m.boardRole ?? 'external',
    status: m.certificateAfterInterview ? trainedAfterLabel : statusLabel(m.status),
    percent: m.percent,
    code: m.certificateCode ?? '',
    afterInterview: !!m.certificateAfterInterview,
    issued: m.certificateIssuedAt ? formatDateTime(m.certificateIssuedAt, zone) : '',
    expires: m.certificateExpiresAt ? formatDateTime(m.certificateExpiresAt, zone) : '',
    renewBy: m.renewBy ? formatDateTime(m.renewBy, zone) : '',
  }));
}

export function readinessRecordCsv(props: { round: RecruitmentRound; board: Board; zone: string }): string {
  const record = props.round.readinessRecord!;
  const header = [
    'Board',
    'Round',
    // A day on the board's calendar, the one readiness was judged for.
    `Interview date (${record.timezone ?? props.board.timezone})`,
    'Panel ready',
    'Panel member',
    'Board role',
    'Status',
    'Progress (%)',
    'Certificate code',
    'Certificate issued',
    'Certificate expires',
    'Renew by',
  ];
  const board = boardOf(record, props.board);
  const lines = rows(record, props.zone).map((r) => [
    board.name,
    props.round.title,
    record.interviewDate ?? '',
    record.ready ? 'yes' : 'no',
    r.name,
    r.role,
    r.status,
    r.percent,
    r.code,
    r.issued,
    r.expires,
    r.renewBy,
  ]);
  return toCsv({ header, rows: lines });
}

/** `zone` is the reader's: the instants (closing, certificates, renewal deadlines) are shown in her zone with the zone named. */
export async function readinessRecordPdf(props: {
  round: RecruitmentRound;
  board: Board;
  zone: string;
}): Promise<Buffer> {
  const record = props.round.readinessRecord!;
  const { doc, line, finish } = await createPdf({
    size: 'A4',
    margin: 50,
    info: { Title: `Readiness record: ${props.round.title}`, Author: 'Pathways' },
  });
  const zone = record.timezone ?? props.board.timezone;
  doc.fontSize(18);
  line('Interview panel readiness record', { role: 'H1' });
  doc.moveDown(0.5).fontSize(11);
  const board = boardOf(record, props.board);
  line(`Board: ${board.name} (${board.organisation})`);
  line(`Round: ${props.round.title}`);
  line(`Interview date: ${record.interviewDate ? formatDate(record.interviewDate, zone) : ''} (${zone})`);
  line(`Panel ready: ${record.ready ? 'Yes, every member held valid training for the interview day' : 'No'}`);
  if (props.round.closedAt) line(`Closed: ${formatDateTime(props.round.closedAt, props.zone)}`);
  doc.moveDown();
  for (const r of rows(record, props.zone)) {
    doc.fontSize(12);
    line(`${r.name} (${r.role})`, { underline: true, role: 'H2' });
    doc.fontSize(10);
    line(`Status: ${r.status}${r.status === 'In progress' ? ` (${r.percent}%)` : ''}`);
    if (r.code)
      line(
        `Certificate ${r.code}, issued ${r.issued}${r.afterInterview ? ', after the interview day' : ''}${r.expires ? `, expires ${r.expires}` : ', no expiry'}`,
      );
    else line('No unconscious-bias training certificate');
    if (r.renewBy) line(`Renew by ${r.renewBy}`);
    doc.moveDown(0.5);
  }
  doc.moveDown().fontSize(9).fillColor('#444');
  line(
    'Unconscious-bias training: the Pathways programme marked as the interview panels’ training. Certificates can be checked with their code on Pathways.',
  );
  return finish();
}
