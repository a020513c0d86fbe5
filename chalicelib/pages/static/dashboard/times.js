/* Wall-clock times in an event's own IANA zone, whatever the organiser's laptop is set to: a
   `datetime-local` input shows the event's local time, and is sent as ISO 8601 with that zone's offset
   at that moment (so a summer-time change inside the event is right). */

function parts(date, timeZone) {
  const format = new Intl.DateTimeFormat("en-GB", {timeZone, hourCycle: "h23", year: "numeric", month: "2-digit",
                                                   day: "2-digit", hour: "2-digit", minute: "2-digit"});
  return Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
}

/* The zone's offset from UTC at `date`, in minutes. */
function offsetMinutes(date, timeZone) {
  const name = new Intl.DateTimeFormat("en-US", {timeZone, timeZoneName: "longOffset"}).formatToParts(date)
    .find((part) => part.type === "timeZoneName").value;
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  return match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] || 0)) : 0;
}

export function validZone(timeZone) {
  try {
    new Intl.DateTimeFormat("en", {timeZone});
    return true;
  } catch (notAZone) {
    return false;
  }
}

/* "2027-05-19T10:00" for the instant `iso`, as a clock in `timeZone` shows it. */
export function toLocalInput(iso, timeZone) {
  if (!iso) {
    return "";
  }
  const p = parts(new Date(iso), timeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/* "2027-05-19T10:00:00+03:00" for a `datetime-local` value read as a clock in `timeZone`. */
export function fromLocalInput(value, timeZone) {
  if (!value) {
    return null;
  }
  const [date, time] = value.split("T");
  const [year, month, day] = date.split("-").map(Number);
  const [hour, minute] = time.split(":").map(Number);
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  let offset = offsetMinutes(new Date(asUtc), timeZone);
  const corrected = offsetMinutes(new Date(asUtc - offset * 60000), timeZone);
  if (corrected !== offset) {
    offset = corrected;
  }
  const sign = offset < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offset) % 60).padStart(2, "0");
  return `${date}T${time.slice(0, 5)}:00${sign}${hours}:${minutes}`;
}
