// Hosts, networks and endpoints as an SVG graph, read again when the agent's event stream says
// the store changed (never on a timer) and redrawn. A deny rule between two endpoints or
// networks is a dashed red edge.
import { api, el, showError } from './api.js';
import { follow, coalesce } from './stream.js';

export const title = 'Topology';
const NS = 'http://www.w3.org/2000/svg';
const COL = 130;

function svgEl(tag, attrs = {}, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}

function rowX(count, i, width) {
  return (width - count * COL) / 2 + COL * (i + 0.5);
}

function epNets(e) {
  return e.interfaces ? e.interfaces.map((i) => i.net) : [e.net];
}

function layout(data) {
  const hosts = [{ id: 'host:local', kind: 'host', label: 'this host', obj: { name: 'this host (the agent serving this page)', networks: data.nets.length, endpoints: data.eps.length } },
    ...data.nodes.filter((n) => !n.local).map((n) => ({ id: `host:${n.name}`, kind: 'host', label: n.name, obj: n }))];
  const nets = data.nets.map((n) => ({ id: `net:${n.name}`, kind: 'net', label: n.name, sub: n.model, obj: n }));
  const eps = [];
  for (const n of data.nets) for (const e of data.eps) if (epNets(e)[0] === n.name) eps.push({ id: `ep:${e.name}`, kind: 'ep', label: e.name, sub: e.ip, obj: e });
  const width = Math.max(900, COL * Math.max(hosts.length, nets.length, eps.length) + 40);
  hosts.forEach((h, i) => { h.x = rowX(hosts.length, i, width); h.y = 60; });
  nets.forEach((n, i) => { n.x = rowX(nets.length, i, width); n.y = 230; });
  eps.forEach((e, i) => { e.x = rowX(eps.length, i, width); e.y = 390; });
  const byId = new Map([...hosts, ...nets, ...eps].map((o) => [o.id, o]));
  const edges = [];
  for (const n of nets) {
    edges.push({ a: 'host:local', b: n.id });
    // An overlay network spans every node.
    if (n.obj.model === 'overlay') for (const h of hosts.slice(1)) edges.push({ a: h.id, b: n.id });
  }
  for (const e of eps) for (const net of epNets(e.obj)) edges.push({ a: `net:${net}`, b: e.id });
  for (const r of data.rules) {
    if (r.verdict !== 'deny' || !byId.has(r.from) || !byId.has(r.to)) continue;
    edges.push({ a: r.from, b: r.to, denied: true, rule: r });
  }
  return { width, nodes: [...hosts, ...nets, ...eps], byId, edges };
}

function draw(svg, g, select, selected) {
  svg.setAttribute('viewBox', `0 0 ${g.width} 540`);
  const edgeLayer = svgEl('g');
  const nodeLayer = svgEl('g');
  for (const e of g.edges) {
    const a = g.byId.get(e.a);
    const b = g.byId.get(e.b);
    if (!a || !b) continue;
    if (e.denied) {
      const mx = (a.x + b.x) / 2;
      const my = Math.max(a.y, b.y) + 110 + Math.abs(a.x - b.x) * 0.05;
      // The curve's middle (t = 0.5), under the labels of both ends.
      const ly = 0.25 * a.y + 0.5 * my + 0.25 * b.y;
      const path = svgEl('path', { d: `M${a.x},${a.y} Q${mx},${my} ${b.x},${b.y}`, class: 'edge denied', 'data-from': e.a, 'data-to': e.b });
      path.append(svgEl('title', {}, `denied by rule ${e.rule.ref}: ${e.rule.from} → ${e.rule.to}`));
      edgeLayer.append(path, svgEl('text', { x: mx, y: ly + 14, 'text-anchor': 'middle', class: 'edge-label' }, 'denied'));
    } else {
      edgeLayer.append(svgEl('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'edge' }));
    }
  }
  for (const n of g.nodes) {
    const node = svgEl('g', { class: `node ${n.kind}${n.id === selected ? ' selected' : ''}`, tabindex: 0, role: 'button', 'data-id': n.id,
      'aria-label': `${n.kind === 'ep' ? 'endpoint' : n.kind === 'net' ? 'network' : 'host'} ${n.label}` });
    if (n.kind === 'ep') node.append(svgEl('circle', { cx: n.x, cy: n.y, r: 20 }));
    else node.append(svgEl('rect', { x: n.x - 55, y: n.y - 22, width: 110, height: 44, rx: 6 }));
    node.append(svgEl('text', { x: n.x, y: n.kind === 'ep' ? n.y + 36 : n.y - 3, 'text-anchor': 'middle' }, n.label));
    if (n.sub) node.append(svgEl('text', { x: n.x, y: n.kind === 'ep' ? n.y + 50 : n.y + 13, 'text-anchor': 'middle', class: 'muted' }, n.sub));
    node.addEventListener('click', () => select(n));
    node.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(n); }
    });
    nodeLayer.append(node);
  }
  svg.replaceChildren(edgeLayer, nodeLayer);
}

function details(box, n, g) {
  const dl = el('dl', { class: 'details' });
  for (const [k, v] of Object.entries(n.obj)) if (v !== null && v !== undefined) dl.append(el('dt', {}, k), el('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v)));
  const denied = g.edges.filter((e) => e.denied && (e.a === n.id || e.b === n.id));
  box.replaceChildren(el('h2', { id: 'topo-details-title' }, `${n.kind === 'ep' ? 'Endpoint' : n.kind === 'net' ? 'Network' : 'Host'} ${n.label}`), dl,
    ...(denied.length ? [el('p', {}, el('span', { class: 'deny' }, 'Denied: '), denied.map((e) => `${e.rule.from} → ${e.rule.to} (rule ${e.rule.ref})`).join('; '))] : []));
}

export function render(root) {
  const svg = svgEl('svg', { class: 'graph', id: 'topo', role: 'group', 'aria-label': 'Topology: hosts, networks and endpoints' });
  const side = el('aside', { class: 'card', id: 'topo-details', 'aria-live': 'polite' }, el('p', { class: 'muted' }, 'Select a host, network or endpoint (click, or Tab and Enter) to see its details.'));
  const msg = el('div');
  root.append(el('h1', {}, 'Topology'), msg, el('div', { class: 'topo' }, svg, side),
    el('p', { class: 'muted' }, 'Grey: host to network and network to endpoint. Red dashed: a pair that policy denies.'));
  let last = '';
  let graph = null;
  let selected = null;
  const select = (n) => {
    selected = n.id;
    details(side, n, graph);
    svg.querySelectorAll('.node').forEach((x) => x.classList.toggle('selected', x.dataset.id === n.id));
  };
  const read = coalesce(async () => {
    try {
      const [nodes, nets, eps, rules] = await Promise.all([
        api('GET', '/v1/nodes'), api('GET', '/v1/networks'), api('GET', '/v1/endpoints'), api('GET', '/v1/policy/rules')]);
      msg.replaceChildren();
      const key = JSON.stringify([nodes, nets, eps, rules]);
      if (key === last) return;
      last = key;
      graph = layout({ nodes, nets, eps, rules });
      draw(svg, graph, select, selected);
      const sel = selected && graph.byId.get(selected);
      if (sel) details(side, sel, graph);
    } catch (e) {
      showError(msg, e);
    }
  });
  svg.dataset.stream = 'connecting';
  // Opening (and reopening) the stream reads everything; after that only changes do.
  return follow(['change'], {
    open: read,
    change: read,
    state: (s) => { svg.dataset.stream = s; },
    error: (e) => showError(msg, e),
  });
}
