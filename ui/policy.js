// Pair rules and file rules with their hit counters, and the explain tool.
import { api, el, table, showError } from './api.js';

export const title = 'Policy';

async function refresh(box) {
  const [rules, stats] = await Promise.all([api('GET', '/v1/policy/rules'), api('GET', '/v1/policy/stats')]);
  const verdicts = new Map(rules.map((r) => [`policy set rule ${r.id}`, r.verdict]));
  box.replaceChildren(table([
    { title: 'rule', value: (s) => s.name || `#${s.id}` },
    { title: 'from', value: (s) => s.from },
    { title: 'to', value: (s) => s.to },
    { title: 'verdict', value: (s) => s.verdict || s.action || verdicts.get(s.origin) || '', cls: (s) => `verdict-${s.verdict || s.action || verdicts.get(s.origin)}` },
    { title: 'source', value: (s) => s.origin },
    { title: 'packets', value: (s) => s.packets, num: true },
    { title: 'bytes', value: (s) => s.bytes, num: true },
  ], stats, 'no rule: every pair is allowed unless a network says otherwise'));
}

function explainForm() {
  const out = el('div', { id: 'explain-out', 'aria-live': 'polite' });
  const field = (id, label, input) => [el('label', { for: id }, label), input];
  const form = el('form', { class: 'stack', id: 'explain-form' },
    field('ex-from', 'Source (endpoint)', el('input', { id: 'ex-from', required: true, autocomplete: 'off' })),
    field('ex-to', 'Destination (endpoint)', el('input', { id: 'ex-to', required: true, autocomplete: 'off' })),
    field('ex-proto', 'Protocol', el('select', { id: 'ex-proto' },
      ['any', 'tcp', 'udp', 'icmp'].map((p) => el('option', { value: p }, p)))),
    field('ex-port', 'Port', el('input', { id: 'ex-port', type: 'number', min: 1, max: 65535, inputmode: 'numeric' })),
    el('div', { class: 'full' }, el('button', { type: 'submit' }, 'Explain')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (id) => form.querySelector(`#${id}`).value.trim();
    const body = { from: v('ex-from'), to: v('ex-to') };
    if (v('ex-proto') !== 'any') body.proto = v('ex-port') && v('ex-proto') !== 'icmp' ? `${v('ex-proto')}/${v('ex-port')}` : v('ex-proto');
    try {
      const r = await api('POST', '/v1/policy/explain', body);
      out.replaceChildren(el('p', { class: 'answer' }, 'Verdict: ', el('span', { class: `verdict-${r.verdict}`, id: 'explain-verdict' }, r.verdict),
        r.reason ? ` (${r.reason})` : ''),
      el('p', {}, 'Deciding rule: ', r.rule || (r.rule_id ? `#${r.rule_id}` : 'none'), r.origin ? `, from ${r.origin}` : ''));
    } catch (err) {
      showError(out, err);
    }
  });
  return el('section', { class: 'card', 'aria-labelledby': 'ex-h' }, el('h2', { id: 'ex-h' }, 'Explain a verdict'), form, out);
}

export function render(root) {
  const box = el('div', { id: 'rules' });
  const msg = el('div', { 'aria-live': 'polite' });
  root.append(el('h1', {}, 'Policy'), msg, el('div', { class: 'grid' },
    el('section', { class: 'card', 'aria-labelledby': 'rules-h' }, el('h2', { id: 'rules-h' }, 'Rules and hit counters'), box),
    explainForm()));
  const tick = () => refresh(box).then(() => msg.replaceChildren(), (e) => showError(msg, e));
  tick();
  const timer = setInterval(tick, 2000);
  return () => clearInterval(timer);
}
