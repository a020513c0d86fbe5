/* Arrivals per hour as a plain SVG bar chart, with the same numbers in the table beside it (the chart
   is an image to assistive technology; the table is what a screen reader reads). No library: bars,
   hour labels and values are a few rectangles and texts, sized by a viewBox so the chart scales. */
import {t} from "../shared/texts.js";
import {el, eventTime, number} from "./draw.js";

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 200;
const BAR = 36;
const GAP = 12;
const TOP = 24;
const BOTTOM = 28;

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, String(value));
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function hourLabel(iso, timeZone) {
  return eventTime(iso, timeZone, {hour: "2-digit", minute: "2-digit"});
}

/* Redraw the chart in `container` and the rows of `table` for `arrivals` ([{hour, entries}]). */
export function drawArrivals(container, table, arrivals, timeZone) {
  const total = arrivals.reduce((sum, slot) => sum + slot.entries, 0);
  const description = arrivals.length === 0 ? t("dashboard.arrivals.none")
    : t("dashboard.arrivals.summary", {total: number(total), hours: number(arrivals.length)});
  const width = Math.max(arrivals.length, 1) * (BAR + GAP) + GAP;
  const chart = svg("svg", {role: "img", viewBox: `0 0 ${width} ${HEIGHT}`, class: "bars",
                            "aria-label": `${t("dashboard.arrivals.chart_label")}: ${description}`,
                            "data-bars": arrivals.length});
  chart.append(svg("title", {}, `${t("dashboard.arrivals.chart_label")}: ${description}`));
  const highest = Math.max(1, ...arrivals.map((slot) => slot.entries));
  const room = HEIGHT - TOP - BOTTOM;
  chart.append(svg("line", {x1: 0, x2: width, y1: HEIGHT - BOTTOM, y2: HEIGHT - BOTTOM, class: "axis"}));
  arrivals.forEach((slot, index) => {
    const x = GAP + index * (BAR + GAP);
    const height = Math.max(slot.entries > 0 ? 2 : 0, Math.round((slot.entries / highest) * room));
    const y = HEIGHT - BOTTOM - height;
    chart.append(svg("rect", {x, y, width: BAR, height, class: "bar", "data-hour": slot.hour}));
    chart.append(svg("text", {x: x + BAR / 2, y: y - 6, class: "value", "text-anchor": "middle"}, number(slot.entries)));
    chart.append(svg("text", {x: x + BAR / 2, y: HEIGHT - 8, class: "label", "text-anchor": "middle"},
                     hourLabel(slot.hour, timeZone)));
  });
  container.replaceChildren(chart);
  const rows = arrivals.map((slot) => el("tr", {},
    el("th", {scope: "row"}, eventTime(slot.hour, timeZone, {dateStyle: "short", timeStyle: "short"})),
    el("td", {}, number(slot.entries))));
  if (rows.length === 0) {
    rows.push(el("tr", {}, el("td", {colspan: 2}, t("dashboard.arrivals.none"))));
  }
  table.tBodies[0].replaceChildren(...rows);
}
