import { foldLines } from 'ical-generator';
import { mailFromParts } from './settings.ts';

/**
 * A calendar's name as iCalendar TEXT (RFC 5545 3.3.11: backslash, semicolon, comma and line breaks escaped).
 * ical-generator escapes every event property but writes the calendar's NAME and X-WR-CALNAME as given, so an event
 * title with a line break (an API client can send one) wrote lines of its own into the file: an alarm, an organizer,
 * another event.
 */
export function calendarName(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/**
 * A person's name as a quoted parameter value (an ATTENDEE's or the ORGANIZER's CN): RFC 5545 (3.1, QSAFE-CHAR)
 * allows there any character but a control and the double quote, so a name with quotes ("O'Brien \"Bee\"") wrote a
 * line calendar apps drop, and with it the ATTENDEE a cancellation names. Her double quotes become single ones (RFC
 * 6868's ^' escape is not read by every app), controls and line breaks a space; anything else she typed stays, a
 * backslash too (`icsFile` undoes ical-generator's escaping of it).
 */
export function parameterValue(name: string): string {
  return name.replace(/"/g, "'").replace(/[\r\n\p{Cc}]+/gu, ' ');
}

/** A CN quoted as ical-generator writes it on an ATTENDEE or ORGANIZER line, once the file is unfolded. */
const quotedName = /^((?:ATTENDEE|ORGANIZER)(?:;[^:;"]*)*;CN=")([^"]*)"/gm;

/**
 * A calendar as a file: ical-generator's text ends at END:VCALENDAR with no line break, where RFC 5545 (3.4) ends the
 * object with CRLF; strict readers drop the last line without it.
 * ical-generator also backslash-escapes a backslash inside a quoted parameter value, where RFC 5545 has no escaping
 * at all, so calendar apps showed a name typed "x\y" as "x\\y". Its quoted names are written back as given: the file
 * is unfolded (its folds are exactly CRLF and a space), each doubled backslash in a CN made one again (parameterValue
 * left no quote for it to escape), and folded again by ical-generator's own folding.
 */
export function icsFile(calendar: { toString(): string }): string {
  const unfolded = calendar.toString().replace(/\r\n /g, '');
  const asGiven = unfolded.replace(
    quotedName,
    (_, start: string, name: string) => `${start}${name.replace(/\\\\/g, '\\')}"`,
  );
  return `${foldLines(asGiven)}\r\n`;
}

/**
 * The ORGANIZER of an event Pathways sends: the address every email comes from (its name as a parameter value, since
 * MAIL_FROM may carry quotes). RFC 5546 requires one in a CANCEL, and calendar apps match a cancellation to its event
 * by it.
 */
export function calendarOrganizer(): { name: string; email: string } {
  const from = mailFromParts();
  return { ...from, name: parameterValue(from.name) };
}
