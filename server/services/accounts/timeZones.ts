import { DateTime, IANAZone } from 'luxon';

/**
 * The time zones a person may choose for herself: the runtime's IANA zone database (`Intl.supportedValuesOf`), grouped
 * by region for a `<select>` with `<optgroup>`s, each named by its place, its offset today and its IANA name, so the
 * chooser works without JavaScript and reads well to a screen reader ("Toronto, UTC−05:00 (America/Toronto)").
 */
export type ZoneOption = { value: string; label: string };
export type ZoneGroup = { label: string; options: ZoneOption[] };

const messages = {
  unknown: (value: string) => `${value} (not a time zone we know)`,
  enteredGroup: 'What you entered',
};

/** The first part of an IANA name, as the chooser's groups name it. */
const regionNames: Record<string, string> = {
  Africa: 'Africa',
  America: 'Americas',
  Antarctica: 'Antarctica',
  Arctic: 'Arctic',
  Asia: 'Asia',
  Atlantic: 'Atlantic Ocean',
  Australia: 'Australia',
  Europe: 'Europe',
  Indian: 'Indian Ocean',
  Pacific: 'Pacific Ocean',
};
const otherRegion = 'Other';
const regionOrder = [...Object.values(regionNames), otherRegion];

/**
 * The runtime lists zones by their CLDR ids, some of them names the IANA database replaced years ago (Node 20 lists
 * Europe/Kiev, Asia/Calcutta). The chooser offers the current name wherever the runtime accepts it: the same rules,
 * under the name people in Kyiv and Kolkata use.
 */
const currentNames: Record<string, string> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

const currentName = (zone: string): string => {
  const renamed = currentNames[zone];
  return renamed && IANAZone.isValidZone(renamed) ? renamed : zone;
};

function supportedZones(): string[] {
  // Node's ICU lists no bare "UTC": it is added, for people who keep their calendars in UTC.
  return [...new Set([...Intl.supportedValuesOf('timeZone').map(currentName), 'UTC'])];
}

/** The supported zones by lower-case name, to spell a zone typed in another case as the database does. */
let spellings: Map<string, string> | undefined;

/**
 * The zone an input names, under the current name the chooser offers for it ("europe/london" → "Europe/London",
 * "US/Eastern" → "America/New_York", "Asia/Calcutta" → "Asia/Kolkata"), or undefined when it names none. Only
 * region/place names and "UTC" count as input: the runtime also accepts abbreviations ("EST") and legacy names
 * ("EST5EDT") that mean different things to different people. Why canonical: a name stored as typed is a zone the
 * chooser does not list, and two spellings of one zone would count as two zones wherever people are grouped by zone.
 */
export function timeZoneNamed(input: string): string | undefined {
  const zone = input.trim();
  if (!zone || zone.length > 64 || !(zone.includes('/') || zone.toUpperCase() === 'UTC')) return undefined;
  if (!IANAZone.isValidZone(zone)) return undefined;
  spellings ??= new Map(supportedZones().map((z) => [z.toLowerCase(), z]));
  const listed = spellings.get(zone.toLowerCase());
  if (listed) return listed;
  // A link (US/Eastern) or a name the runtime lists under another (Asia/Kolkata, listed as Asia/Calcutta): the
  // runtime's id for it, then its current name. Etc/UTC and its kin are UTC.
  const resolved = currentName(new Intl.DateTimeFormat('en-GB', { timeZone: zone }).resolvedOptions().timeZone);
  const spelled =
    spellings.get(resolved.toLowerCase()) ?? (/^Etc\/(UTC|UCT|Universal|Zulu)$/i.test(resolved) ? 'UTC' : resolved);
  return spelled.includes('/') || spelled === 'UTC' ? spelled : undefined;
}

/** "UTC+05:30", "UTC−05:00" (a minus sign, read as "minus"), "UTC+00:00". */
function offsetLabel(zone: string, now: Date): string {
  const minutes = DateTime.fromJSDate(now, { zone }).offset;
  const abs = Math.abs(minutes);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `UTC${minutes < 0 ? '−' : '+'}${hhmm}`;
}

/** "America/Argentina/Buenos_Aires" → "Buenos Aires, Argentina"; "UTC" → "UTC". */
function placeOf(zone: string): string {
  const parts = zone.split('/').slice(1).reverse();
  return parts.length ? parts.join(', ').replaceAll('_', ' ') : zone;
}

const regionOf = (zone: string): string => regionNames[zone.split('/')[0]!] ?? otherRegion;

const optionFor = (zone: string, now: Date): ZoneOption => ({
  value: zone,
  label: zone === 'UTC' ? 'UTC, Coordinated Universal Time' : `${placeOf(zone)}, ${offsetLabel(zone, now)} (${zone})`,
});

function groupsOf(zones: string[], now: Date): ZoneGroup[] {
  const byRegion = new Map<string, ZoneOption[]>();
  for (const zone of zones) {
    const region = regionOf(zone);
    byRegion.set(region, [...(byRegion.get(region) ?? []), optionFor(zone, now)]);
  }
  return regionOrder
    .filter((region) => byRegion.has(region))
    .map((region) => ({
      label: region,
      options: byRegion.get(region)!.sort((a, b) => a.label.localeCompare(b.label, 'en')),
    }));
}

/** The offsets shown change twice a year: the list is built again each hour, not for every page. */
let cached: { hour: number; groups: ZoneGroup[] } | undefined;

/**
 * Every zone she may choose, grouped by region. `selected` is always among them: her stored zone even when this
 * runtime lists it under another name (Asia/Kolkata, listed as Asia/Calcutta), and a value she sent that names no
 * zone, in a group of its own, so the form she sent comes back as she sent it.
 */
export function timeZoneGroups(props: { selected?: string; now?: Date } = {}): ZoneGroup[] {
  const now = props.now ?? new Date();
  const hour = Math.floor(now.getTime() / 3_600_000);
  if (!cached || cached.hour !== hour || props.now) cached = { hour, groups: groupsOf(supportedZones(), now) };
  const selected = props.selected?.trim();
  if (!selected || cached.groups.some((g) => g.options.some((o) => o.value === selected))) return cached.groups;
  // A zone stored before names were made current (US/Eastern, Asia/Calcutta) still names a zone: offered as it is,
  // so her form shows it selected and saving it unchanged stores its current name, never the first zone of the list.
  if (!timeZoneNamed(selected))
    return [
      { label: messages.enteredGroup, options: [{ value: selected, label: messages.unknown(selected) }] },
      ...cached.groups,
    ];
  const region = regionOf(selected);
  return cached.groups.map((group) =>
    group.label === region
      ? {
          ...group,
          options: [...group.options, optionFor(selected, now)].sort((a, b) => a.label.localeCompare(b.label, 'en')),
        }
      : group,
  );
}
