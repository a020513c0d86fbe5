// A clock-less picker's "2027-05-19T10:00" read in the event's time zone, with its offset
// ("2027-05-19T10:00:00+03:00"), exactly as the server reads the same field posted without
// JavaScript (Python's zoneinfo with fold=0): a wall time that happens twice, when the clocks go
// back, is the first one; one that never happens, when they go forward, keeps the offset before.

const DAY = 24 * 3600 * 1000;

function offsetMinutes(instant, timeZone) {
  const name = new Intl.DateTimeFormat("en-US", {timeZone, timeZoneName: "longOffset"})
    .formatToParts(new Date(instant)).find((part) => part.type === "timeZoneName").value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);  // plain "GMT" is +00:00
  return match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

export function withOffset(local, timeZone) {
  const wall = Date.parse(`${local}:00Z`);  // the wall time's digits, as if they were UTC
  if (!timeZone || Number.isNaN(wall)) {
    return local;
  }
  const before = offsetMinutes(wall - DAY, timeZone);
  const after = offsetMinutes(wall + DAY, timeZone);
  const fits = [before, after].filter((offset) => offsetMinutes(wall - offset * 60000, timeZone) === offset);
  const offset = fits.length ? Math.max(...fits) : before;
  const sign = offset < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offset) % 60).padStart(2, "0");
  return `${local}:00${sign}${hours}:${minutes}`;
}
