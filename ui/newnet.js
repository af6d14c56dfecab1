// The requirement form: four weights 1..10 and the hard constraints go to the classifier
// (POST /v1/model/decide, which records the decision); its answer is then created as is
// (and confirmed) or overridden to the other model (and labelled so). History below.
import { api, el, table, showError } from './api.js';

export const title = 'New network';
const WEIGHTS = [
  ['security', 'Security'], ['scale', 'Scale'], ['efficiency', 'Efficiency'], ['extensibility', 'Extensibility'],
];

function input(id, label, attrs = {}) {
  return [el('label', { for: id }, label), el('input', { id, name: id, autocomplete: 'off', 'aria-describedby': `${id}-err`, ...attrs }),
    el('span', { id: `${id}-err`, class: 'error full', 'aria-live': 'polite' })];
}

function select(id, label, options) {
  return [el('label', { for: id }, label), el('select', { id, name: id }, options.map((o) => el('option', { value: o }, o)))];
}

// Returns the first invalid field's message, marking every invalid field.
function validate(form) {
  let first = null;
  const fail = (id, message) => {
    const f = form.querySelector(`#${id}`);
    f.setAttribute('aria-invalid', 'true');
    form.querySelector(`#${id}-err`).textContent = message;
    if (!first) first = { f, message };
  };
  form.querySelectorAll('[aria-invalid]').forEach((f) => f.removeAttribute('aria-invalid'));
  form.querySelectorAll('span.error').forEach((s) => { s.textContent = ''; });
  const name = form.querySelector('#nn-name').value.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(name)) fail('nn-name', 'Name: letters, digits, _ . -, 1 to 15 characters, not starting with - or .');
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(form.querySelector('#nn-subnet').value.trim())) fail('nn-subnet', 'Subnet: an IPv4 prefix such as 10.20.0.0/24');
  for (const [key, label] of WEIGHTS) {
    const text = form.querySelector(`#nn-${key}`).value.trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 10) fail(`nn-${key}`, `${label} must be a whole number from 1 to 10 (got '${text}')`);
  }
  const vlan = form.querySelector('#nn-vlan').value.trim();
  if (vlan && !(/^\d+$/.test(vlan) && +vlan >= 1 && +vlan <= 4094)) fail('nn-vlan', 'VLAN: 1 to 4094, or empty');
  if (first) first.f.focus();
  return first && first.message;
}

function explanation(d) {
  if (!d.explanation) return el('p', { class: 'muted' }, 'No classifier explanation: ', d.reason);
  const items = Object.entries(d.explanation);
  const max = Math.max(1, ...items.map(([, v]) => Math.abs(v)));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 420 ${items.length * 22 + 6}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Contribution of each requirement to the log-odds of macvlan');
  svg.setAttribute('width', '420');
  items.forEach(([k, v], i) => {
    const y = i * 22 + 4;
    const w = (Math.abs(v) / max) * 120;
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', 0); t.setAttribute('y', y + 13); t.textContent = k;
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', v >= 0 ? 290 : 290 - w); r.setAttribute('y', y); r.setAttribute('width', w); r.setAttribute('height', 16);
    r.setAttribute('class', v >= 0 ? 'bar-pos' : 'bar-neg');
    const n = document.createElementNS(ns, 'text');
    n.setAttribute('x', 110); n.setAttribute('y', y + 13); n.textContent = v.toFixed(2);
    svg.append(t, r, n);
  });
  return el('figure', {}, svg, el('figcaption', { class: 'muted' }, 'log-odds toward macvlan: right for macvlan, left for overlay'));
}

async function history(box) {
  try {
    const recs = await api('GET', '/v1/model/history');
    recs.reverse();
    box.replaceChildren(table([
      { title: '#', value: (r) => r.decision, num: true },
      { title: 'network', value: (r) => r.network },
      { title: 'sec, scale, eff, ext', value: (r) => Object.values(r.requirements).join(', ') },
      { title: 'answer', value: (r) => r.choice },
      { title: 'P(answer)', value: (r) => (r.choice === 'macvlan' ? r.beta : r.alpha).toFixed(3), num: true },
      { title: 'source', value: (r) => r.source },
      { title: 'operator', value: (r) => (r.label ? (r.label === r.choice ? `confirmed ${r.label}` : `overridden to ${r.label}`) : '-') },
      { title: 'time (UTC)', value: (r) => r.created_at },
    ], recs, 'no decision yet'));
  } catch (e) {
    showError(box, e);
  }
}

export function render(root) {
  const answer = el('div', { id: 'nn-answer', 'aria-live': 'polite' });
  const hist = el('div', { id: 'nn-history' });
  const form = el('form', { class: 'stack', id: 'nn-form', novalidate: true },
    input('nn-name', 'Network name', { required: true }),
    input('nn-subnet', 'Subnet', { required: true, placeholder: '10.20.0.0/24' }),
    el('fieldset', { class: 'full' }, el('legend', {}, 'Requirements, 1 (unimportant) to 10 (essential)'),
      el('div', { class: 'stack' }, WEIGHTS.map(([k, l]) => input(`nn-${k}`, l, { type: 'number', min: 1, max: 10, step: 1, required: true, inputmode: 'numeric' })))),
    el('fieldset', { class: 'full' }, el('legend', {}, 'Hard constraints'),
      el('div', { class: 'stack' },
        select('nn-same-l2', 'Endpoints must share one L2 segment', ['unknown', 'yes', 'no']),
        select('nn-parent-free', 'A free uplink (parent) is available', ['unknown', 'yes', 'no']),
        el('label', { for: 'nn-passthru' }, 'Passthru (one endpoint owns the uplink)'), el('input', { id: 'nn-passthru', type: 'checkbox' }))),
    el('fieldset', { class: 'full' }, el('legend', {}, 'For a macvlan network'),
      el('div', { class: 'stack' },
        input('nn-parent', 'Parent interface', { placeholder: 'ul0' }),
        select('nn-mode', 'macvlan mode', ['bridge', 'private', 'vepa', 'passthru']),
        input('nn-vlan', 'VLAN (optional)', { type: 'number', min: 1, max: 4094 }))),
    el('div', { class: 'full' }, el('button', { type: 'submit', id: 'nn-ask' }, 'Ask the classifier')));
  root.append(el('h1', {}, 'New network'), el('div', { class: 'grid' },
    el('section', { class: 'card', 'aria-labelledby': 'nn-h' }, el('h2', { id: 'nn-h' }, 'Requirements'), form),
    el('section', { class: 'card', 'aria-labelledby': 'nn-a' }, el('h2', { id: 'nn-a' }, 'Answer'), answer)),
  el('section', { class: 'card', 'aria-labelledby': 'nn-hh' }, el('h2', { id: 'nn-hh' }, 'Decision history'), hist));

  const v = (id) => form.querySelector(`#${id}`).value.trim();
  const create = async (d, model) => {
    const name = v('nn-name');
    const body = { name, subnet: v('nn-subnet'), model };
    if (model === 'macvlan') {
      if (v('nn-parent')) body.parent = v('nn-parent');
      body.mode = v('nn-mode');
      if (v('nn-vlan')) body.vlan = Number(v('nn-vlan'));
    }
    try {
      const net = await api('POST', '/v1/networks', body);
      if (d.source !== 'constraint') {
        if (model === d.choice) await api('POST', '/v1/model/confirm', { network: name });
        else await api('POST', '/v1/model/override', { network: name, model });
      }
      answer.append(el('p', { id: 'nn-created', role: 'status' }, `Network ${net.name} created: ${net.model}`,
        net.vni ? `, VNI ${net.vni}` : '', net.vlan ? `, VLAN ${net.vlan}` : '', `, subnet ${net.subnet}.`));
      answer.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    } catch (e) {
      answer.append(el('p', { class: 'error', role: 'alert' }, `Creating ${name} failed: ${e.message}`));
    }
    history(hist);
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const bad = validate(form);
    if (bad) {
      answer.replaceChildren(el('p', { class: 'error', role: 'alert', id: 'nn-refused' }, `Not sent: ${bad}`));
      return;
    }
    const body = { network: v('nn-name') };
    for (const [k] of WEIGHTS) body[k] = Number(v(`nn-${k}`));
    if (v('nn-same-l2') !== 'unknown') body.same_l2 = v('nn-same-l2');
    if (v('nn-parent-free') !== 'unknown') body.parent_free = v('nn-parent-free');
    if (form.querySelector('#nn-passthru').checked) body.passthru = true;
    try {
      const d = await api('POST', '/v1/model/decide', body);
      const other = d.choice === 'overlay' ? 'macvlan' : 'overlay';
      const p = d.choice === 'macvlan' ? d.beta : d.alpha;
      answer.replaceChildren(
        el('p', { class: 'answer' }, 'The classifier says ', el('strong', { id: 'nn-choice' }, d.choice),
          ' with probability ', el('strong', { id: 'nn-prob' }, p.toFixed(3)), d.cached ? ' (from the history cache)' : ''),
        el('p', {}, d.reason), explanation(d),
        el('div', { class: 'row' },
          el('button', { type: 'button', id: 'nn-create', onclick: () => create(d, d.choice) }, `Create ${body.network} as ${d.choice}`),
          d.source === 'constraint' ? null
            : el('button', { type: 'button', class: 'secondary', id: 'nn-override', onclick: () => create(d, other) }, `Override: create as ${other}`)));
      answer.querySelector('#nn-create').focus();
    } catch (err) {
      showError(answer, err);
    }
    history(hist);
  });
  history(hist);
  return null;
}
