// Times as the bureau reads them: in the node's time zone (ONEMAP_TIME_ZONE, served by /api/webapp/config;
// default Asia/Shanghai), never the browser's — a colleague abroad or a kiosk set to UTC sees the same clock
// as the reports and the CLI. The API keeps exchanging UTC instants (ISO 8601).
import { api } from './api.js';

let zone = 'Asia/Shanghai';
let zoneLabel = '北京时间';
let formatter = null;
let config = null;

function parts(date) {
  formatter ||= new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric',
    month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return Object.fromEntries(formatter.formatToParts(date).map((p) => [p.type, p.value]));
}

/** The app's configuration (/api/webapp/config), read once; it names the node's zone. */
export function webappConfig() {
  config ||= api('/api/webapp/config').then((answer) => {
    if (answer?.time_zone) setZone(answer.time_zone, answer.time_zone_label);
    return answer;
  }).catch(() => ({ tianditu: null }));
  return config;
}

export function setZone(name, label) {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: name });
  } catch {
    return; // a zone this browser does not know: keep the default
  }
  zone = name;
  zoneLabel = label || name;
  formatter = null;
}

export const timeZone = () => zone;
export const timeZoneLabel = () => zoneLabel;

/** A column heading that names the zone its times are in: 时间(北京时间). */
export const zoned = (heading) => `${heading}(${zoneLabel})`;

const asDate = (iso) => {
  if (!iso) return null;
  // an ISO time without an offset is UTC, as the server stores it
  const text = typeof iso === 'string' && /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso) ? `${iso}Z` : iso;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** An ISO instant as 2026-12-07 18:30:05 in the node's zone ('' for none). */
export function when(iso) {
  const d = asDate(iso);
  if (!d) return iso ? String(iso) : '';
  const p = parts(d);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** Minutes only: 2026-12-07 18:30. */
export const whenMinutes = (iso) => when(iso).slice(0, 16);

/** The node's calendar day of an instant (2026-12-08 for 17:30 UTC); a plain date (2026-12-07) stays. */
export function day(text) {
  if (!text) return '';
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : when(text).slice(0, 10);
}

/** A datetime-local value, read as the node's local time, as an ISO instant for the API (undefined if empty). */
export function instant(value) {
  if (!value) return undefined;
  const [date, time = '00:00:00'] = value.split('T');
  const [y, mo, d] = date.split('-').map(Number);
  const [hh, mm, ss = 0] = time.split(':').map(Number);
  const wanted = Date.UTC(y, mo - 1, d, hh, mm, ss);
  let guess = wanted;
  for (let i = 0; i < 2; i += 1) { // the zone's offset at that moment (twice: across a DST change)
    const p = parts(new Date(guess));
    const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    guess += wanted - shown;
  }
  return new Date(guess).toISOString();
}
