// A clock-less picker's "2027-05-19T10:00" read in the event's time zone, with its offset
// ("2027-05-19T10:00:00+03:00"), as the server reads the same field posted without JavaScript.

function offsetMinutes(instant, timeZone) {
  const name = new Intl.DateTimeFormat("en-US", {timeZone, timeZoneName: "longOffset"})
    .formatToParts(new Date(instant)).find((part) => part.type === "timeZoneName").value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);  // plain "GMT" is +00:00
  return match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

export function withOffset(local, timeZone) {
  const asUtc = Date.parse(`${local}:00Z`);
  if (!timeZone || Number.isNaN(asUtc)) {
    return local;
  }
  // The offset at the wall-clock time itself: look again from the first guess (DST changes).
  const first = offsetMinutes(asUtc, timeZone);
  const offset = offsetMinutes(asUtc - first * 60000, timeZone);
  const sign = offset < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offset) % 60).padStart(2, "0");
  return `${local}:00${sign}${hours}:${minutes}`;
}
