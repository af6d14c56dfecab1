// The agent's event stream (GET /v1/events, Server-Sent Events), which pushes what the pages
// show instead of their asking again and again. EventSource cannot send headers: the token goes
// in ?access_token=. It reconnects by itself after an error; what changed meanwhile was not
// pushed, so the open handler is the moment to read everything again.
import { api, token } from './api.js';

// Follows the event types (flow, change, log); handlers: one per type, plus lost(n), open(),
// state(text) and error(e). Returns the function that closes the stream.
export function follow(types, handlers) {
  const query = new URLSearchParams({ types: types.join(',') });
  if (token()) query.set('access_token', token());
  const source = new EventSource(`/v1/events?${query}`);
  const state = handlers.state || (() => {});
  source.onopen = () => {
    state('live');
    if (handlers.open) handlers.open();
  };
  for (const type of types) {
    if (handlers[type]) source.addEventListener(type, (m) => handlers[type](JSON.parse(m.data)));
  }
  if (handlers.lost) source.addEventListener('lost', (m) => handlers.lost(JSON.parse(m.data).lost));
  source.onerror = () => {
    state('reconnecting');
    // EventSource hides the status: ask the API why; a 401 there shows the token form.
    api('GET', '/v1/status').catch((e) => {
      if (e.status === 401) {
        source.close();
        state('refused (401)');
      } else if (handlers.error) {
        handlers.error(e);
      }
    });
  };
  return () => source.close();
}

// fn, run at most once at a time: a call while it runs makes one more run after it, so a burst
// of changes costs two reads, and the last read sees the last change.
export function coalesce(fn) {
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await fn();
      } while (again);
    } finally {
      running = false;
    }
  };
  return run;
}
