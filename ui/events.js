// Live drop and flow events, and the agent's log lines, from the agent's event stream. Rows are
// added once per frame, the newest 300 of each kept, so a thousand events a second leave the
// page responsive. The agent sends its latest log lines first, so the log starts filled.
import { api, el, showError } from './api.js';
import { follow } from './stream.js';

export const title = 'Events';
const KEPT = 300;
const LEVELS = ['error', 'warn', 'info', 'debug'];

function ruleNames() {
  return api('GET', '/v1/policy/stats').then(
    (stats) => new Map(stats.map((s) => [s.id, s.name || s.origin])),
    () => new Map());
}

function flowRow(ev, rules) {
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

function flowMatches(ev, kind, text) {
  if (kind !== 'all' && ev.kind !== kind) return false;
  if (!text) return true;
  return [ev.src, ev.dst, ev.src_ip, ev.dst_ip, ev.proto, ev.reason, String(ev.dport)]
    .some((f) => f && String(f).toLowerCase().includes(text));
}

function logRow(line) {
  return el('tr', { class: `log-${line.level}` },
    el('td', {}, (line.time || '').replace('T', ' ').replace('Z', '')),
    el('td', { class: `level level-${line.level}` }, line.level),
    el('td', {}, line.message));
}

// A log line passes at the chosen level or a more severe one, and when it holds the text.
function logMatches(line, level, text) {
  if (LEVELS.indexOf(line.level) > LEVELS.indexOf(level)) return false;
  return !text || line.message.toLowerCase().includes(text);
}

// The newest KEPT items, whatever the filter (so a new filter applies to them), drawn newest
// first into tbody; push() queues, and the rows come once per frame. matcher() reads the
// filter's fields once per frame and returns the test of an item.
function liveTable(tbody, matcher, row, drawn) {
  const all = [];
  let queue = [];
  let frame = 0;
  const flush = () => {
    frame = 0;
    const batch = queue;
    queue = [];
    all.push(...batch);
    if (all.length > KEPT) all.splice(0, all.length - KEPT);
    tbody.prepend(...batch.filter(matcher()).slice(-KEPT).reverse().map(row));
    while (tbody.childElementCount > KEPT) tbody.lastElementChild.remove();
    drawn();
  };
  return {
    push(item) {
      queue.push(item);
      if (!frame) frame = requestAnimationFrame(flush);
    },
    touch() {
      if (!frame) frame = requestAnimationFrame(flush);
    },
    redraw() {
      const rows = [];
      const matches = matcher();
      for (let i = all.length - 1; i >= 0 && rows.length < KEPT; i--) if (matches(all[i])) rows.push(row(all[i]));
      tbody.replaceChildren(...rows);
    },
    clear() {
      all.length = 0;
      tbody.replaceChildren();
    },
    stop() {
      if (frame) cancelAnimationFrame(frame);
    },
  };
}

export function render(root) {
  const received = el('output', { id: 'ev-received' }, '0');
  const lostOut = el('output', { id: 'ev-lost' }, '0');
  const state = el('span', { id: 'ev-state', 'aria-live': 'polite' }, 'connecting');
  const filter = el('input', { id: 'ev-filter', type: 'search', placeholder: 'endpoint, address, reason, port' });
  const kindSel = el('select', { id: 'ev-kind' }, ['all', 'drop', 'flow'].map((k) => el('option', { value: k }, k)));
  const tbody = el('tbody', { id: 'ev-rows' });
  const logFilter = el('input', { id: 'log-filter', type: 'search', placeholder: 'text in the message' });
  const levelSel = el('select', { id: 'log-level' }, LEVELS.map((l) => el('option', { value: l, selected: l === 'debug' }, l === 'debug' ? 'all (debug)' : `${l} and worse`)));
  const logBody = el('tbody', { id: 'log-rows' });
  const msg = el('div');
  let rules = new Map();
  let count = 0;
  let lost = 0;
  const text = (input) => input.value.trim().toLowerCase();
  const flowMatcher = () => {
    const [kind, t] = [kindSel.value, text(filter)];
    return (ev) => flowMatches(ev, kind, t);
  };
  const logMatcher = () => {
    const [level, t] = [levelSel.value, text(logFilter)];
    return (line) => logMatches(line, level, t);
  };
  const flows = liveTable(tbody, flowMatcher, (ev) => flowRow(ev, rules), () => {
    received.textContent = String(count);
    lostOut.textContent = String(lost);
  });
  const logs = liveTable(logBody, logMatcher, logRow, () => {});

  root.append(el('h1', {}, 'Events'), msg,
    el('div', { class: 'row card' },
      el('label', { for: 'ev-filter' }, 'Filter'), filter,
      el('label', { for: 'ev-kind' }, 'Kind'), kindSel,
      el('span', {}, 'stream: ', state), el('span', {}, 'received: ', received), el('span', {}, 'lost: ', lostOut),
      el('button', { type: 'button', class: 'secondary', onclick: () => flows.clear() }, 'Clear')),
    el('div', { class: 'card events-table' }, el('table', {},
      el('thead', {}, el('tr', {}, ['time (UTC)', 'kind', 'source', 'destination', 'protocol', 'reason', 'rule'].map((h) => el('th', { scope: 'col' }, h)))),
      tbody)),
    el('h2', { id: 'log-h', class: 'section' }, 'Agent log'),
    el('div', { class: 'row card', role: 'group', 'aria-labelledby': 'log-h' },
      el('label', { for: 'log-level' }, 'Level'), levelSel,
      el('label', { for: 'log-filter' }, 'Filter'), logFilter,
      el('button', { type: 'button', class: 'secondary', onclick: () => logs.clear() }, 'Clear')),
    el('div', { class: 'card events-table log-table' }, el('table', { 'aria-labelledby': 'log-h' },
      el('thead', {}, el('tr', {}, ['time (UTC)', 'level', 'message'].map((h) => el('th', { scope: 'col' }, h)))),
      logBody)));

  ruleNames().then((m) => { rules = m; });
  filter.addEventListener('input', () => flows.redraw());
  kindSel.addEventListener('change', () => flows.redraw());
  logFilter.addEventListener('input', () => logs.redraw());
  levelSel.addEventListener('change', () => logs.redraw());

  let opened = false;
  const close = follow(['flow', 'log'], {
    // A reconnection sends the kept log lines again: the old ones go first.
    open: () => {
      if (opened) logs.clear();
      opened = true;
    },
    flow: (ev) => {
      count++;
      flows.push(ev);
    },
    log: (line) => logs.push(line),
    lost: (n) => {
      lost += n;
      flows.touch();
    },
    state: (s) => { state.textContent = s; },
    error: (e) => showError(msg, e),
  });
  return () => {
    close();
    flows.stop();
    logs.stop();
  };
}
