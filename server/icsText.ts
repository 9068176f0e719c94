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
