// Requests to the agent. The token is asked for once and kept for the tab (sessionStorage);
// a 401 shows the token form again with the agent's answer.
const KEY = 'cbpfnet-token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(KEY) || '';
}

const listeners = [];
export function onToken(fn) {
  listeners.push(fn);
}

export function askToken(message) {
  const box = document.getElementById('auth');
  document.getElementById('auth-message').textContent = message;
  box.hidden = false;
  document.getElementById('auth-token').focus();
}

export function setupAuth() {
  document.getElementById('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, document.getElementById('auth-token').value.trim());
    document.getElementById('auth-token').value = '';
    document.getElementById('auth').hidden = true;
    listeners.forEach((fn) => fn());
  });
}

export async function api(method, path, body) {
  const headers = {};
  if (token()) headers.Authorization = `Bearer ${token()}`;
  // The agent takes a change over TCP only as JSON (no cross-site form can send that).
  if (method !== 'GET') headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'unreachable', `the agent did not answer (${e.message})`);
  }
  const doc = await res.json().catch(() => null);
  if (res.status === 401) {
    askToken(token()
      ? 'The agent refused this token (401 Unauthorized). Enter the right token.'
      : 'The agent needs a token (401 Unauthorized). Enter it to continue.');
    throw new ApiError(401, 'unauthorized', 'the agent answered 401 Unauthorized: wrong or missing token');
  }
  if (!res.ok) {
    const err = doc && doc.error ? doc.error : { code: 'http', message: `HTTP ${res.status}` };
    throw new ApiError(res.status, err.code, err.message);
  }
  return doc;
}

// Small DOM helpers shared by the pages.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function table(columns, rows, empty = 'none') {
  const head = el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : null }, c.title)));
  const body = rows.length
    ? rows.map((r) => el('tr', {}, columns.map((c) => {
      const v = c.value(r);
      return el('td', { class: [c.num ? 'num' : '', c.cls ? c.cls(r) : ''].join(' ').trim() || null }, v ?? '');
    })))
    : [el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, empty))];
  return el('table', {}, el('thead', {}, head), el('tbody', {}, body));
}

export function showError(box, e) {
  box.replaceChildren(el('p', { class: 'error', role: 'alert' }, e.message));
}
