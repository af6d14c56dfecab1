// The pages, one module each, chosen by the URL's fragment (#overview, ...). A page's render
// returns a function that stops its timers and streams when another page is shown.
import { setupAuth, onToken } from './api.js';
import * as overview from './overview.js';
import * as topology from './topology.js';
import * as newnet from './newnet.js';
import * as policy from './policy.js';
import * as events from './events.js';

const pages = { overview, topology, new: newnet, policy, events };
let stop = null;

function show() {
  const name = location.hash.slice(1) || 'overview';
  const page = pages[name] || overview;
  if (stop) stop();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const main = document.getElementById('page');
  main.replaceChildren();
  stop = page.render(main) || null;
  document.title = `cbpfnet: ${page.title}`;
}

setupAuth();
onToken(show);
window.addEventListener('hashchange', () => {
  show();
  document.getElementById('page').focus();
});
show();
