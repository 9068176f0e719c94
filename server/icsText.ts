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
 * A person's name as a quoted parameter value (an ATTENDEE's CN): RFC 5545 allows no double quote inside one, nor a
 * line break, and ical-generator escapes neither, so a name with quotes ("O'Brien \"Bee\"") wrote a line calendar
 * apps drop, and with it the ATTENDEE a cancellation names. Her double quotes become single ones (RFC 6868's ^'
 * escape is not read by every app); anything else she typed stays.
 */
export function parameterValue(name: string): string {
  return name.replace(/"/g, "'").replace(/[\r\n\p{Cc}]+/gu, ' ');
}

/**
 * A calendar as a file: ical-generator's text ends at END:VCALENDAR with no line break, where RFC 5545 (3.4) ends the
 * object with CRLF; strict readers drop the last line without it.
 */
export function icsFile(calendar: { toString(): string }): string {
  return `${calendar.toString()}\r\n`;
}
