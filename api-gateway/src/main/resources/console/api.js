// What both consoles share: calls to the public API with the credential kept in this tab's
// sessionStorage, the API's error detail, and a small DOM builder (text only: nothing from an answer is
// ever parsed as HTML). docs/console.md.

/** An answer that was not 2xx: the API's {"detail", "code"} body, with the status. */
export class ApiError extends Error {
  constructor(status, detail, code, retryAfter) {
    super(detail);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * A client for one credential kind. `storageKey` names the sessionStorage entry (the key or token never
 * leaves it except in the Authorization header); `onRateLimit(remaining, quota, resetSeconds)` hears the
 * RateLimit headers of every answer that carries them (docs/api.md "Rate limits").
 */
export function createClient(storageKey, onRateLimit) {
  return {
    credential() {
      return sessionStorage.getItem(storageKey);
    },
    signIn(credential) {
      sessionStorage.setItem(storageKey, credential);
    },
    signOut() {
      sessionStorage.removeItem(storageKey);
    },
    /** `method path` with an optional JSON body; resolves to the parsed answer, rejects with ApiError. */
    async call(method, path, body, extraHeaders) {
      const headers = { Accept: 'application/json', Authorization: 'Bearer ' + this.credential(), ...(extraHeaders || {}) };
      const init = { method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      let response;
      try {
        response = await fetch(path, init);
      } catch (e) {
        throw new ApiError(0, 'The API could not be reached: ' + e.message, 'network_error');
      }
      reportRateLimit(response, onRateLimit);
      const text = await response.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch (e) {
        json = null;
      }
      if (!response.ok) {
        const detail = json && typeof json.detail === 'string' ? json.detail : 'HTTP ' + response.status;
        throw new ApiError(response.status, detail, json && json.code, response.headers.get('Retry-After'));
      }
      return json;
    },
  };
}

/** Parses `RateLimit: "default";r=57;t=41` and `RateLimit-Policy: "default";q=60;w=60`. */
function reportRateLimit(response, onRateLimit) {
  const limit = response.headers.get('RateLimit');
  if (!limit || !onRateLimit) {
    return;
  }
  const policy = response.headers.get('RateLimit-Policy') || '';
  const param = (header, name) => {
    const match = new RegExp(';\\s*' + name + '=(\\d+)').exec(header);
    return match ? Number(match[1]) : null;
  };
  onRateLimit(param(limit, 'r'), param(policy, 'q'), param(limit, 't'));
}

/**
 * `el('button', {type: 'button', onclick: f}, 'Text', child)`: attributes (functions for `on*` become
 * listeners, `false`/`null` are left out) and children (strings become text nodes, never HTML).
 */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.substring(2), value);
    } else if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(node, child);
    } else {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
}

/** Replaces the children of `node`. */
export function show(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** An alert box with the error's detail (the API's own sentence) and, for a 429, when to retry. */
export function errorBox(error) {
  let text = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  if (error instanceof ApiError && error.retryAfter) {
    text += ' (retry in ' + error.retryAfter + ' s)';
  }
  return el('p', { class: 'error', role: 'alert' }, text);
}

/** A status line read out by screen readers when it changes. */
export function notice(text) {
  return el('p', { class: 'notice', role: 'status' }, text);
}

/**
 * Runs `action` for a form or button: disables `control` meanwhile and puts the error's detail into
 * `errors` (cleared first). Resolves to the action's result, or undefined after an error.
 */
export async function guarded(control, errors, action) {
  if (errors) {
    errors.replaceChildren();
  }
  if (control) {
    control.disabled = true;
  }
  try {
    return await action();
  } catch (error) {
    if (errors) {
      errors.replaceChildren(errorBox(error));
    }
    return undefined;
  } finally {
    if (control) {
      control.disabled = false;
    }
  }
}

/** A table with a caption, header cells and one row per item (`row(item)` returns the cells). */
export function table(caption, headings, items, row) {
  return el('div', { class: 'table-wrap' },
    el('table', {},
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, headings.map((heading) => el('th', { scope: 'col' }, heading)))),
      el('tbody', {}, items.map((item) => {
        const cells = row(item);
        return el('tr', cells.dataset ? { dataset: cells.dataset } : {},
          (cells.cells || cells).map((cell) => el('td', {}, cell)));
      }))));
}

/** A labelled form control: `field('Amount', input)` (the input needs an id). */
export function field(label, control, hint) {
  return el('div', { class: 'field' },
    el('label', { for: control.id }, label), control, hint ? el('small', {}, hint) : null);
}

/** Copies `text` to the clipboard; the button says whether it worked. */
export function copyButton(label, text, what) {
  const button = el('button', { type: 'button', class: 'copy', 'aria-label': 'Copy ' + what, dataset: { copy: text } }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch (e) {
      button.textContent = 'Copy failed: select the text';
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return button;
}

/** "2026-05-25T12:00:00" (UTC, as the API writes it) → a Date. */
export function utc(timestamp) {
  return timestamp ? new Date(timestamp + 'Z') : null;
}

/** "1 h 02 min", "3 d 4 h", "expired" until `timestamp`. */
export function countdown(timestamp) {
  const seconds = Math.floor((utc(timestamp) - Date.now()) / 1000);
  if (!(seconds > 0)) {
    return 'expired';
  }
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) {
    return days + ' d ' + hours + ' h';
  }
  if (hours > 0) {
    return hours + ' h ' + String(minutes).padStart(2, '0') + ' min';
  }
  return minutes + ' min ' + String(seconds % 60).padStart(2, '0') + ' s';
}

/** 1536 → "1.5 KiB". */
export function bytes(count) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(count || 0);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return (unit === 0 ? value : value.toFixed(1)) + ' ' + units[unit];
}

/** A fresh Idempotency-Key for one logical create (docs/api.md "Idempotency-Key"). */
export function idempotencyKey() {
  const random = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
  return Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The frame both consoles share: the sign-in form (`#sign-in-form` with the credential input
 * `inputId`), `#sign-out`, and the page named by the address' `#fragment` (`pages[name](root)`, `home`
 * when none). `check()` is the call that proves a credential at sign-in; a 401 on any page signs out with
 * the API's detail. `beforeRender()` runs before each page is built (stop the last page's timers),
 * `afterSignOut()` after the credential is forgotten. `what` names the credential in messages.
 */
export function startConsole({ client, pages, home, inputId, check, what, beforeRender, afterSignOut }) {
  const signInSection = document.getElementById('sign-in');
  const page = document.getElementById('page');
  const nav = document.getElementById('nav');
  const signOutButton = document.getElementById('sign-out');
  const errors = document.getElementById('sign-in-errors');
  const input = document.getElementById(inputId);

  const signedIn = (signed) => {
    signInSection.hidden = signed;
    page.hidden = !signed;
    nav.hidden = !signed;
    signOutButton.hidden = !signed;
  };
  const signOut = () => {
    client.signOut();
    signedIn(false);
    if (beforeRender) {
      beforeRender();
    }
    page.replaceChildren();
    if (afterSignOut) {
      afterSignOut();
    }
  };

  async function render() {
    if (!client.credential()) {
      signedIn(false);
      return;
    }
    signedIn(true);
    if (beforeRender) {
      beforeRender();
    }
    // own properties only: `#constructor` or `#__proto__` named Object's, not a page (hostile review, stop 35)
    const wanted = location.hash.substring(1);
    const name = Object.hasOwn(pages, wanted) ? wanted : home;
    for (const link of nav.querySelectorAll('a')) {
      if (link.getAttribute('href') === '#' + name) {
        link.setAttribute('aria-current', 'page');
      } else {
        link.removeAttribute('aria-current');
      }
    }
    show(page, el('p', { class: 'muted', role: 'status' }, 'Loading…'));
    try {
      await pages[name](page);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        signOut();
        show(errors, errorBox(error));
      } else {
        show(page, errorBox(error));
      }
    }
  }

  document.getElementById('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    client.signIn(input.value.trim());
    try {
      await check();
    } catch (error) {
      client.signOut();
      show(errors, errorBox(error));
      return;
    }
    input.value = '';
    render();
  });
  signOutButton.addEventListener('click', () => {
    signOut();
    show(errors, notice(`Signed out: ${what} is forgotten in this tab.`));
    input.focus();
  });
  window.addEventListener('hashchange', render);
  render();
}
