// Nodes, networks, endpoints and drop counters, read again when the agent's event stream says
// the store changed or a packet was dropped (the counters at most once a second), never on a
// timer of their own.
import { api, el, table, showError } from './api.js';
import { follow, coalesce } from './stream.js';

const DROPS_EVERY_MS = 1000;

export const title = 'Overview';

function card(id, heading) {
  return el('section', { class: 'card', 'aria-labelledby': `${id}-h` }, el('h2', { id: `${id}-h` }, heading), el('div', { id }));
}

function drawDrops(root, status) {
  const drops = Object.entries(status.drops || {}).map(([reason, c]) => ({ reason, ...c }));
  drops.sort((a, b) => b.packets - a.packets || a.reason.localeCompare(b.reason));
  root.querySelector('#ov-drops').replaceChildren(table([
    { title: 'reason', value: (d) => d.reason },
    { title: 'packets', value: (d) => d.packets, num: true, cls: (d) => (d.packets ? 'nonzero' : '') },
    { title: 'bytes', value: (d) => d.bytes, num: true },
  ], drops));
}

async function refreshDrops(root) {
  drawDrops(root, await api('GET', '/v1/status'));
}

async function refresh(root) {
  const [status, nodes, nets, eps] = await Promise.all([
    api('GET', '/v1/status'), api('GET', '/v1/nodes'), api('GET', '/v1/networks'), api('GET', '/v1/endpoints'),
  ]);
  const read = new Date().toLocaleTimeString();
  document.getElementById('agent-state').textContent =
    `agent up: ${nets.length} networks, ${eps.length} endpoints, updated ${read}`;
  root.querySelector('#ov-nodes').replaceChildren(table([
    { title: 'node', value: (n) => n.name },
    { title: 'underlay', value: (n) => n.underlay },
    { title: 'state', value: (n) => n.state || (n.local ? 'this host' : 'known') },
    // The age as the agent answered it: no event marks a heartbeat, so the time of the read goes with it.
    { title: 'last heartbeat', value: (n) => (n.heartbeat_age_s === undefined ? '-' : `${n.heartbeat_age_s.toFixed(1)} s before ${read}`) },
  ], nodes, 'this host only (no other node known)'));
  root.querySelector('#ov-nets').replaceChildren(table([
    { title: 'network', value: (n) => n.name },
    { title: 'model', value: (n) => n.model },
    { title: 'VNI', value: (n) => n.vni || '-', num: true },
    { title: 'VLAN', value: (n) => n.vlan || '-', num: true },
    { title: 'subnet', value: (n) => n.subnet },
    { title: 'endpoints', value: (n) => eps.filter((e) => e.net === n.name).length, num: true },
  ], nets, 'no network yet'));
  root.querySelector('#ov-eps').replaceChildren(table([
    { title: 'endpoint', value: (e) => e.name },
    { title: 'network', value: (e) => e.net },
    { title: 'address', value: (e) => e.ip },
    { title: 'namespace', value: (e) => e.netns || (e.remote ? 'remote' : '-') },
  ], eps, 'no endpoint yet'));
  drawDrops(root, status);
}

export function render(root) {
  const msg = el('div', { 'aria-live': 'polite' });
  root.append(el('h1', {}, 'Overview'), msg, el('div', { class: 'grid' },
    card('ov-nodes', 'Nodes'), card('ov-nets', 'Networks'), card('ov-eps', 'Endpoints'), card('ov-drops', 'Drops by reason')));
  const shown = (p) => p.then(() => msg.replaceChildren(), (e) => showError(msg, e));
  const read = coalesce(() => shown(refresh(root)));
  const readDrops = coalesce(() => shown(refreshDrops(root)));
  let last = 0;
  let later = 0;
  // A flood of drops reads the counters (only they change) once a second, the last drop's included.
  const dropped = (ev) => {
    if (ev.kind !== 'drop' || later) return;
    const wait = Math.max(0, last + DROPS_EVERY_MS - Date.now());
    later = setTimeout(() => {
      later = 0;
      last = Date.now();
      readDrops();
    }, wait);
  };
  const close = follow(['change', 'flow'], { open: read, change: read, flow: dropped, error: (e) => showError(msg, e) });
  return () => {
    close();
    clearTimeout(later);
    const read = new Date().toLocaleTimeString();
  document.getElementById('agent-state').textContent = '';
  };
}
