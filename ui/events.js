// Live drop and flow events from the agent's stream (EventSource cannot send headers: the
// token goes in ?access_token=). Rows are added once per frame, the newest 300 kept, so a
// thousand events a second leave the page responsive.
import { api, el, token, askToken, showError } from './api.js';

export const title = 'Events';
const KEPT = 300;

function ruleNames() {
  return api('GET', '/v1/policy/stats').then(
    (stats) => new Map(stats.map((s) => [s.id, s.name || s.origin])),
    () => new Map());
}

function row(ev, rules) {
  const ports = ev.proto === 'icmp' ? '' : `:${ev.dport}`;
  return el('tr', { class: ev.kind === 'drop' ? 'drop' : null },
    el('td', {}, (ev.time || '').replace('T', ' ').replace('Z', '')),
    el('td', { class: ev.kind === 'drop' ? 'deny' : 'allow' }, ev.kind),
    el('td', {}, `${ev.src || '?'} (${ev.src_ip || ''})`),
    el('td', {}, `${ev.dst || '?'} (${ev.dst_ip || ''}${ports})`),
    el('td', {}, ev.proto),
    el('td', {}, ev.reason || ''),
    el('td', {}, ev.rule_id ? rules.get(ev.rule_id) || `#${ev.rule_id}` : ''));
}

function matches(ev, kind, text) {
  if (kind !== 'all' && ev.kind !== kind) return false;
  if (!text) return true;
  return [ev.src, ev.dst, ev.src_ip, ev.dst_ip, ev.proto, ev.reason, String(ev.dport)]
    .some((f) => f && String(f).toLowerCase().includes(text));
}

export function render(root) {
  const received = el('output', { id: 'ev-received' }, '0');
  const lostOut = el('output', { id: 'ev-lost' }, '0');
  const state = el('span', { id: 'ev-state', 'aria-live': 'polite' }, 'connecting');
  const filter = el('input', { id: 'ev-filter', type: 'search', placeholder: 'endpoint, address, reason, port' });
  const kindSel = el('select', { id: 'ev-kind' }, ['all', 'drop', 'flow'].map((k) => el('option', { value: k }, k)));
  const tbody = el('tbody', { id: 'ev-rows' });
  const msg = el('div');
  root.append(el('h1', {}, 'Events'), msg,
    el('div', { class: 'row card' },
      el('label', { for: 'ev-filter' }, 'Filter'), filter,
      el('label', { for: 'ev-kind' }, 'Kind'), kindSel,
      el('span', {}, 'stream: ', state), el('span', {}, 'received: ', received), el('span', {}, 'lost: ', lostOut),
      el('button', { type: 'button', class: 'secondary', onclick: () => { all.length = 0; tbody.replaceChildren(); } }, 'Clear')),
    el('div', { class: 'card events-table' }, el('table', {},
      el('thead', {}, el('tr', {}, ['time (UTC)', 'kind', 'source', 'destination', 'protocol', 'reason', 'rule'].map((h) => el('th', { scope: 'col' }, h)))),
      tbody)));

  let rules = new Map();
  ruleNames().then((m) => { rules = m; });
  const all = []; // the newest KEPT events, whatever the filter, so a new filter applies to them
  let queue = [];
  let count = 0;
  let lost = 0;
  let frame = 0;

  const redraw = () => {
    const text = filter.value.trim().toLowerCase();
    const rows = [];
    for (let i = all.length - 1; i >= 0 && rows.length < KEPT; i--) if (matches(all[i], kindSel.value, text)) rows.push(row(all[i], rules));
    tbody.replaceChildren(...rows);
  };
  const flush = () => {
    frame = 0;
    const text = filter.value.trim().toLowerCase();
    const batch = queue;
    queue = [];
    all.push(...batch);
    if (all.length > KEPT) all.splice(0, all.length - KEPT);
    const rows = batch.filter((ev) => matches(ev, kindSel.value, text)).slice(-KEPT).reverse().map((ev) => row(ev, rules));
    tbody.prepend(...rows);
    while (tbody.childElementCount > KEPT) tbody.lastElementChild.remove();
    received.textContent = String(count);
    lostOut.textContent = String(lost);
  };
  filter.addEventListener('input', redraw);
  kindSel.addEventListener('change', redraw);

  const url = token() ? `/v1/events?access_token=${encodeURIComponent(token())}` : '/v1/events';
  const source = new EventSource(url);
  source.onopen = () => { state.textContent = 'live'; };
  source.addEventListener('flow', (m) => {
    count++;
    queue.push(JSON.parse(m.data));
    if (!frame) frame = requestAnimationFrame(flush);
  });
  source.addEventListener('lost', (m) => {
    lost += JSON.parse(m.data).lost;
    if (!frame) frame = requestAnimationFrame(flush);
  });
  source.onerror = () => {
    state.textContent = 'reconnecting';
    // EventSource hides the status: ask the API why, so a 401 shows the token form.
    api('GET', '/v1/status').catch((e) => {
      if (e.status === 401) {
        source.close();
        state.textContent = 'refused (401)';
        askToken('The agent refused the token for the event stream (401 Unauthorized).');
      } else {
        showError(msg, e);
      }
    });
  };
  return () => {
    source.close();
    if (frame) cancelAnimationFrame(frame);
  };
}
