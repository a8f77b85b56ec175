// Reads our iCalendar output the way Thunderbird and many web calendars do: with ical.js.
//
// stdin:  {"calendars": [{"ics": "<calendar text>", "probes": {"<TZID>": ["<wall time>", ...]}}]}
// stdout: {"calendars": [{"events": [{uid, summary, isDate, start, end, tzid}],
//                         "offsets": {"<TZID>": [seconds, ...]}}]}
//
// Timed starts and ends are UTC ISO instants, resolved through each calendar's own VTIMEZONE
// blocks (never the machine's zone data); all-day ones are plain dates. "offsets" gives, for
// each probed local wall time ("2031-03-09T01:59:00"), the UTC offset in seconds that the
// calendar's VTIMEZONE gives it.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function moment(time) {
  return time.isDate ? time.toString() : time.toJSDate().toISOString();
}

function read({ ics, probes }) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  ICAL.TimezoneService.reset(); // each calendar is read with its own VTIMEZONEs only
  const zones = {};
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    const zone = new ICAL.Timezone(vtimezone);
    zones[zone.tzid] = zone;
    ICAL.TimezoneService.register(vtimezone);
  }
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      summary: event.summary,
      isDate: event.startDate.isDate,
      start: moment(event.startDate),
      end: moment(event.endDate),
      tzid: event.startDate.isDate ? null : event.startDate.zone.tzid,
    };
  });
  const offsets = {};
  for (const [tzid, walls] of Object.entries(probes || {})) {
    const zone = zones[tzid];
    if (!zone) {
      throw new Error(`No VTIMEZONE for ${tzid}`);
    }
    offsets[tzid] = walls.map((wall) => {
      const time = ICAL.Time.fromDateTimeString(wall);
      time.zone = zone;
      return zone.utcOffset(time);
    });
  }
  return { events, offsets };
}

const input = JSON.parse(readFileSync(0, "utf-8"));
process.stdout.write(JSON.stringify({ calendars: input.calendars.map(read) }));
