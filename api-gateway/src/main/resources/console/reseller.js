// The reseller console: every page is one or a few calls of the public API (/v1/reseller/...) with the
// rv_ key from this tab's sessionStorage. Which page makes which call: docs/console.md.
import {
  ApiError, bytes, copyButton, countdown, createClient, el, errorBox, field, guarded, idempotencyKey, notice, show,
  startConsole, table, utc,
} from './api.js';

const API = '/v1/reseller';
const PAGE_SIZE = 20;
const ORDER_STATUSES = ['pending_payment', 'paid', 'provisioning', 'active', 'expired', 'failed', 'cancelled'];
const WEBHOOK_EVENTS = ['order.paid', 'order.failed', 'order.cancelled', 'proxy.provisioned', 'proxy.expiring',
  'proxy.renewed', 'proxy.expired', 'proxy.ip_rotated', 'proxy.rotation_failed', 'proxy.offline', 'proxy.online'];
/** Polling an order after pay: every 2 s for at most 90 s, i.e. at most 45 of the key's 60 requests a minute. */
const POLL_MILLIS = 2000;
const POLL_LIMIT_MILLIS = 90000;

const rateLimit = document.getElementById('rate-limit');
const api = createClient('proxyvault.reseller.key', (remaining, quota, reset) => {
  rateLimit.textContent = remaining === null ? '' : 'API requests left: ' + remaining + (quota ? ' of ' + quota : '')
    + (remaining === 0 && reset ? ' (more in ' + reset + ' s)' : '');
});

/** Timers of the page on screen (countdowns); stopped when another page is shown. */
let timers = [];

startConsole({
  client: api,
  pages: {
    balance: balancePage,
    buy: buyPage,
    orders: ordersPage,
    proxies: proxiesPage,
    keys: keysPage,
    webhooks: webhooksPage,
  },
  home: 'balance',
  inputId: 'api-key',
  check: () => api.call('GET', API + '/balance'),
  what: 'the key',
  beforeRender: () => {
    timers.forEach((timer) => clearInterval(timer));
    timers = [];
  },
  afterSignOut: () => {
    rateLimit.textContent = '';
  },
});

// ---------------------------------------------------------------- balance and ledger

async function balancePage(root, offset = 0) {
  const [balance, ledger] = await Promise.all([
    api.call('GET', API + '/balance'),
    api.call('GET', API + '/balance/transactions?limit=' + PAGE_SIZE + '&offset=' + offset),
  ]);
  const errors = el('div');
  show(root,
    el('h1', {}, 'Balance'),
    el('p', { class: 'big', id: 'balance' }, balance.balance + ' ' + balance.currency),
    el('p', { class: 'muted' }, 'Top-ups are made by ProxyVault (the operator console); charges, refunds and adjustments are listed below.'),
    el('h2', {}, 'Balance over time'),
    balanceChart(ledger.transactions),
    table('Ledger entries, newest first', ['#', 'When (UTC)', 'Type', 'Amount', 'Balance after', 'Order', 'Reference'],
      ledger.transactions, (t) => ({
        dataset: { transaction: t.id },
        cells: [t.id, t.created_at, t.type, t.amount, t.balance_after, t.order_id ?? '', t.reference],
      })),
    pager(offset, ledger.total, (next) => guarded(null, errors, () => balancePage(root, next))),
    errors);
}

/** An inline SVG line of balance_after over time (oldest left), for the entries of this page. */
function balanceChart(transactions) {
  const points = transactions.slice().reverse().map((t) => ({ at: utc(t.created_at).getTime(), value: Number(t.balance_after) }));
  if (points.length < 2) {
    return el('p', { class: 'muted' }, 'The chart needs at least two ledger entries.');
  }
  const width = 600;
  const height = 160;
  const pad = 24;
  const times = points.map((p) => p.at);
  const values = points.map((p) => p.value);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const [v0, v1] = [Math.min(0, ...values), Math.max(...values)];
  const x = (t) => pad + (t1 === t0 ? 0 : ((t - t0) / (t1 - t0)) * (width - 2 * pad));
  const y = (v) => height - pad - (v1 === v0 ? 0 : ((v - v0) / (v1 - v0)) * (height - 2 * pad));
  const svg = (tag, attributes) => {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.entries(attributes).forEach(([k, v]) => node.setAttribute(k, String(v)));
    return node;
  };
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img',
    'aria-label': `Balance from ${values[0].toFixed(2)} to ${values[values.length - 1].toFixed(2)} USD over ${points.length} entries`,
  });
  chart.append(svg('line', { x1: pad, y1: y(v0), x2: width - pad, y2: y(v0), class: 'axis' }));
  // A step line: the balance holds its value until the next entry.
  let d = `M ${x(points[0].at)} ${y(points[0].value)}`;
  for (let i = 1; i < points.length; i++) {
    d += ` H ${x(points[i].at)} V ${y(points[i].value)}`;
  }
  chart.append(svg('path', { d, class: 'line' }));
  points.forEach((p) => chart.append(svg('circle', { cx: x(p.at), cy: y(p.value), r: 3, class: 'dot' })));
  const label = (text, lx, ly, anchor) => {
    const node = svg('text', { x: lx, y: ly, 'text-anchor': anchor, class: 'label' });
    node.textContent = text;
    chart.append(node);
  };
  label(v1.toFixed(2), pad, pad - 8, 'start');
  label(v0.toFixed(2), pad, height - 6, 'start');
  return chart;
}

/** "1–20 of 45" with Previous / Next buttons; `go(offset)` shows another page. */
function pager(offset, total, go) {
  const last = Math.min(offset + PAGE_SIZE, total);
  return el('nav', { class: 'pager', 'aria-label': 'Pages' },
    el('button', { type: 'button', disabled: offset === 0, onclick: () => go(Math.max(0, offset - PAGE_SIZE)) }, 'Previous'),
    el('span', {}, total === 0 ? 'none' : `${offset + 1}–${last} of ${total}`),
    el('button', { type: 'button', disabled: last >= total, onclick: () => go(offset + PAGE_SIZE) }, 'Next'));
}

// ---------------------------------------------------------------- catalog → order → pay

async function buyPage(root) {
  const { products } = await api.call('GET', API + '/products');
  const progress = el('div', { id: 'purchase', 'aria-live': 'polite' });
  show(root,
    el('h1', {}, 'Buy a proxy'),
    products.map((product) => {
      const errors = el('div');
      const choice = el('fieldset', {},
        el('legend', {}, 'Period and price'),
        product.pricing.map((pricing, i) => el('label', { class: 'choice' },
          el('input', { type: 'radio', name: 'pricing-' + product.id, value: pricing.id, checked: i === 0 }),
          ` ${pricing.label} — ${pricing.price} USD`)));
      const form = el('form', { class: 'card', dataset: { product: product.id } },
        el('h2', {}, product.name),
        el('p', {}, product.description),
        choice,
        el('button', { type: 'submit' }, 'Order'),
        errors);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const pricingId = Number(form.querySelector('input[type=radio]:checked').value);
        guarded(form.querySelector('button[type=submit]'), errors, async () => {
          const order = await api.call('POST', API + '/orders', { product_id: product.id, pricing_id: pricingId },
            { 'Idempotency-Key': idempotencyKey() });
          showOrderToPay(progress, order);
        });
      });
      return form;
    }),
    progress);
}

/** An order waiting for payment: its price, a Pay button, then its status until it is settled. */
function showOrderToPay(root, order) {
  const errors = el('div');
  const status = el('strong', { id: 'order-status' }, order.status);
  const payKey = idempotencyKey(); // one logical payment: a double click pays once
  const pay = el('button', { type: 'button', id: 'pay' }, `Pay ${order.amount_usd} USD from the balance`);
  pay.addEventListener('click', () => guarded(pay, errors, async () => {
    const paid = await api.call('POST', `${API}/orders/${order.id}/pay`, undefined, { 'Idempotency-Key': payKey });
    pay.hidden = true;
    status.textContent = paid.status;
    root.append(notice(`Paid. New balance: ${paid.new_balance} USD.`));
    await followOrder(order.id, status, root);
  }));
  show(root,
    el('section', { class: 'card', 'aria-labelledby': 'order-title' },
      el('h2', { id: 'order-title' }, `Order #${order.id}: ${order.product_name}, ${order.pricing_label}`),
      el('p', {}, 'Status: ', status),
      pay,
      errors));
  pay.focus();
}

/** Polls the order until active, failed or cancelled, showing each status (role=status reads it out). */
async function followOrder(orderId, status, root) {
  const started = Date.now();
  status.setAttribute('role', 'status');
  let wait = POLL_MILLIS;
  while (Date.now() - started < POLL_LIMIT_MILLIS) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    let order;
    try {
      order = await api.call('GET', `${API}/orders/${orderId}`);
      wait = POLL_MILLIS;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 429)) {
        throw error;
      }
      wait = 1000 * Number(error.retryAfter || 5); // the key's minute is used up: wait as told, then go on
      continue;
    }
    status.textContent = order.status;
    if (order.status === 'active') {
      root.append(el('p', {}, 'Your proxy is ready: ', el('a', { href: '#proxies', id: 'to-proxies' }, 'see its credentials')));
      return;
    }
    if (order.status === 'failed' || order.status === 'cancelled') {
      root.append(errorBox(`Order ${order.status}; a paid amount is refunded to the balance.`));
      return;
    }
  }
  root.append(notice('Still not active; see the Orders page later.'));
}

/**
 * The outcome of a reset that answered 202: GET the proxy every POLL_MILLIS until its `rotation` is no longer
 * `rotating` (at most 4 minutes: a hard reset's own limit is 150 s). A failed rotation throws its detail.
 */
async function rotationOutcome(proxyId) {
  const started = Date.now();
  let wait = POLL_MILLIS;
  while (Date.now() - started < 240000) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    let proxy;
    try {
      proxy = await api.call('GET', `${API}/proxies/${proxyId}`);
      wait = POLL_MILLIS;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 429)) {
        throw error;
      }
      wait = 1000 * Number(error.retryAfter || 5);
      continue;
    }
    const rotation = proxy.rotation;
    if (rotation && rotation.status === 'rotated') {
      return { ...rotation, exit_ip: rotation.new_ip };
    }
    if (rotation && rotation.status === 'failed') {
      throw new Error(`The reset failed: ${rotation.detail}`);
    }
  }
  throw new Error('The reset is still running; reload the page later to see the new exit IP.');
}

// ---------------------------------------------------------------- orders

async function ordersPage(root, filter = '', offset = 0) {
  const query = `?limit=${PAGE_SIZE}&offset=${offset}` + (filter ? '&status=' + filter : '');
  const { orders, total } = await api.call('GET', API + '/orders' + query);
  const errors = el('div');
  const select = el('select', { id: 'order-filter' },
    el('option', { value: '' }, 'all'),
    ORDER_STATUSES.map((s) => el('option', { value: s, selected: s === filter }, s)));
  select.addEventListener('change', () => guarded(select, errors, () => ordersPage(root, select.value, 0)));
  const progress = el('div', { 'aria-live': 'polite' });
  show(root,
    el('h1', {}, 'Orders'),
    field('Status', select),
    errors,
    table('Your orders, newest first', ['#', 'Created (UTC)', 'Product', 'Period', 'Amount', 'Kind', 'Status', 'Proxy', ''],
      orders, (o) => ({
        dataset: { order: o.id },
        cells: [o.id, o.created_at, o.product_name, o.pricing_label, o.amount_usd, o.kind ?? '', o.status, o.proxy_id ?? '',
          o.status === 'pending_payment'
            ? el('button', { type: 'button', onclick: () => showOrderToPay(progress, o) }, 'Pay…') : ''],
      })),
    pager(offset, total, (next) => guarded(null, errors, () => ordersPage(root, filter, next))),
    progress);
}

// ---------------------------------------------------------------- proxies

async function proxiesPage(root) {
  const { proxies } = await api.call('GET', API + '/proxies');
  show(root,
    el('h1', {}, 'Proxies'),
    proxies.length === 0 ? el('p', {}, 'No active proxy. ', el('a', { href: '#buy' }, 'Buy one.')) : null,
    proxies.map((proxy) => proxyCard(root, proxy)));
  const expiries = [...root.querySelectorAll('[data-expires]')];
  const tick = () => expiries.forEach((node) => { node.textContent = countdown(node.dataset.expires); });
  tick();
  timers.push(setInterval(tick, 1000));
}

function proxyCard(root, proxy) {
  const errors = el('div');
  const result = el('div', { class: 'result', 'aria-live': 'polite' });
  // A disconnected proxy has no port (docs/fleet.md "What a reseller sees after disconnect and connect"): no
  // endpoint and no curl lines to copy until it is connected again.
  const serving = proxy.port != null;
  const endpoint = serving ? `${proxy.ip}:${proxy.port}` : null;
  const credentials = `${proxy.username}:${proxy.password}`;
  const httpLine = `curl -x http://${credentials}@${endpoint} https://api.ipify.org`;
  // --socks5-hostname: the proxy resolves the name, as it would for the customer (no DNS leak from the client)
  const socksLine = `curl --socks5-hostname ${endpoint} --proxy-user ${credentials} https://api.ipify.org`;
  const id = proxy.id;
  const control = (label, action, attributes) => {
    const button = el('button', { type: 'button', ...(attributes || {}) }, label);
    button.addEventListener('click', () => guarded(button, errors, () => action(button)));
    return button;
  };

  const autoRenew = el('input', { type: 'checkbox', role: 'switch', id: `auto-renew-${id}`, checked: !!proxy.auto_renew });
  autoRenew.addEventListener('change', () => guarded(autoRenew, errors, async () => {
    try {
      const updated = await api.call('PATCH', `${API}/proxies/${id}`, { auto_renew: autoRenew.checked });
      autoRenew.checked = !!updated.auto_renew;
      show(result, notice(`Auto-renew ${updated.auto_renew ? 'on' : 'off'}.`));
    } catch (error) {
      autoRenew.checked = !autoRenew.checked;
      throw error;
    }
  }));

  const mode = el('select', { id: `reset-mode-${id}` }, el('option', { value: 'fast' }, 'fast (keeps sessions)'),
    el('option', { value: 'hard' }, 'hard (full reset)'));
  const reset = control('Reset IP', async () => {
    let answer = await api.call('POST', `${API}/proxies/${id}/reset`, { mode: mode.value });
    if (answer.status === 'rotating') {
      // 202: the modem takes longer than the API waits (docs/fleet.md "Long resets: 202"); follow it on the proxy
      show(result, notice(`Resetting (${answer.mode}) from ${answer.old_ip ?? '?'}; a hard reset can take minutes.`));
      answer = await rotationOutcome(id);
    }
    show(result, el('p', { class: 'reset-result', role: 'status' },
      `IP changed: ${answer.old_ip ?? proxy.exit_ip ?? '?'} → ${answer.new_ip ?? answer.exit_ip}`
      + (answer.applied_mode && answer.applied_mode !== answer.mode ? ` (escalated to ${answer.applied_mode})` : '')));
    card.querySelector('.exit-ip').textContent = answer.new_ip ?? answer.exit_ip;
  }, { class: 'reset' });

  const fingerprint = el('select', { id: `fingerprint-${id}` },
    ['none', 'linux', 'macos', 'windows'].map((f) => el('option', { value: f }, f)));
  const applyFingerprint = control('Apply fingerprint', async () => {
    const answer = await api.call('POST', `${API}/proxies/${id}/fingerprint`, { fingerprint: fingerprint.value });
    show(result, el('p', { class: 'notice fingerprint-result', role: 'status' }, `Fingerprint: ${answer.fingerprint}.`));
  }, { class: 'fingerprint' });

  const locations = el('div', { class: 'locations' });
  const chooseLocation = control('Change location…', async () => {
    const answer = await api.call('GET', `${API}/proxies/${id}/locations`);
    const select = el('select', { id: `location-${id}` }, answer.locations.map((l) => el('option', {
      value: l.id, selected: l.id === proxy.location_id, disabled: l.available === 0 && l.id !== proxy.location_id,
    }, `${l.name} (${l.id})${l.is_5g ? ', 5G' : ''}${l.available === undefined ? '' : `, ${l.available} free`}`)));
    show(locations, field('Location', select),
      control('Connect', async () => {
        const moved = await api.call('POST', `${API}/proxies/${id}/connect`, { location_id: select.value });
        await proxiesPage(root);
        root.prepend(notice(`Connected to ${moved.location_id}: new endpoint ${moved.ip}:${moved.port}, new credentials.`));
      }, { class: 'connect' }));
  }, { class: 'change-location' });
  const disconnect = control('Disconnect', async () => {
    if (!confirm(`Disconnect proxy ${proxy.name}? Its customers lose the connection.`)) {
      return;
    }
    const answer = await api.call('POST', `${API}/proxies/${id}/disconnect`);
    await proxiesPage(root);
    root.prepend(notice(answer.detail));
  }, { class: 'disconnect' });
  const renew = control('Renew…', async () => {
    const { products } = await api.call('GET', API + '/products');
    const select = el('select', { id: `renew-pricing-${id}` }, products.flatMap((p) => p.pricing.map((pricing) =>
      el('option', { value: pricing.id }, `${p.name}: ${pricing.label} — ${pricing.price} USD`))));
    const pay = control('Order and pay the renewal', async () => {
      const order = await api.call('POST', `${API}/orders`, { proxy_id: id, pricing_id: Number(select.value) },
        { 'Idempotency-Key': idempotencyKey() });
      const paid = await api.call('POST', `${API}/orders/${order.id}/pay`, undefined, { 'Idempotency-Key': idempotencyKey() });
      show(result, notice(`Renewal order #${order.id} paid; new balance ${paid.new_balance} USD. The expiry moves once it is active.`));
    });
    show(locations, field('Renew for', select), pay);
  });

  const card = el('article', { class: 'card proxy', dataset: { proxy: id }, 'aria-labelledby': `proxy-${id}-title` },
    el('h2', { id: `proxy-${id}-title` }, `${proxy.name} `, el('span', { class: 'badge' }, proxy.status)),
    el('dl', { class: 'facts' },
      el('dt', {}, 'Endpoint'), serving
        ? el('dd', {}, el('code', { class: 'endpoint' }, endpoint), ' ', copyButton('Copy', endpoint, 'endpoint'))
        : el('dd', { class: 'endpoint-none' }, 'none while disconnected: connect it to a location'),
      el('dt', {}, 'Username'), el('dd', {}, el('code', { class: 'username' }, proxy.username), ' ', copyButton('Copy', proxy.username, 'username')),
      el('dt', {}, 'Password'), el('dd', {}, el('code', { class: 'password' }, proxy.password), ' ', copyButton('Copy', proxy.password, 'password')),
      el('dt', {}, 'Location'), el('dd', {}, proxy.location_id),
      el('dt', {}, 'Exit IP'), el('dd', { class: 'exit-ip' }, proxy.exit_ip ?? 'unknown'),
      el('dt', {}, 'Traffic'), el('dd', {}, `${bytes(proxy.bytes_in)} in, ${bytes(proxy.bytes_out)} out`),
      el('dt', {}, 'Expires'), el('dd', {}, el('span', { dataset: { expires: proxy.expires_at } }), ` (${proxy.expires_at} UTC)`)),
    serving ? el('div', { class: 'curl' },
      el('p', {}, el('code', { class: 'curl-http' }, httpLine), ' ', copyButton('Copy', httpLine, 'HTTP curl command')),
      el('p', {}, el('code', { class: 'curl-socks' }, socksLine), ' ', copyButton('Copy', socksLine, 'SOCKS5 curl command'))) : null,
    el('div', { class: 'controls' },
      el('label', { class: 'switch', for: autoRenew.id }, autoRenew, ' Auto-renew'),
      el('span', { class: 'group' }, el('label', { for: mode.id }, 'Reset mode'), mode, reset),
      el('span', { class: 'group' }, el('label', { for: fingerprint.id }, 'Fingerprint'), fingerprint, applyFingerprint),
      chooseLocation, renew, proxy.status === 'active' || proxy.status === 'offline' ? disconnect : null),
    locations, result, errors);
  return card;
}

// ---------------------------------------------------------------- API keys

async function keysPage(root, created) {
  const { keys } = await api.call('GET', API + '/keys');
  const errors = el('div');
  const name = el('input', { id: 'key-name', required: true, maxlength: 100, autocomplete: 'off' });
  const form = el('form', { class: 'card', id: 'create-key' }, el('h2', {}, 'Create a key'), field('Name', name),
    el('button', { type: 'submit' }, 'Create key'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    guarded(form.querySelector('button'), errors, async () => {
      const key = await api.call('POST', API + '/keys', { name: name.value.trim() }, { 'Idempotency-Key': idempotencyKey() });
      await keysPage(root, key);
    });
  });
  show(root,
    el('h1', {}, 'API keys'),
    created ? el('div', { class: 'card secret', id: 'new-key', role: 'status' },
      el('p', {}, `Key “${created.name}” created. Copy it now: it is shown only once.`),
      el('code', { class: 'key' }, created.key), ' ', copyButton('Copy', created.key, 'new key')) : null,
    form, errors,
    table('Live keys', ['#', 'Name', 'Created (UTC)', 'Last used (UTC)', ''], keys, (k) => ({
      dataset: { key: k.id },
      cells: [k.id, k.name, k.created_at, k.last_used_at ?? 'never',
        el('button', {
          type: 'button', class: 'danger', 'aria-label': `Revoke key ${k.name}`,
          onclick: (event) => {
            if (confirm(`Revoke key “${k.name}”? Programs using it stop working at once.`)) {
              guarded(event.target, errors, async () => {
                const answer = await api.call('DELETE', `${API}/keys/${k.id}`);
                await keysPage(root);
                root.prepend(notice(answer.detail));
              });
            }
          },
        }, 'Revoke')],
    })));
}

// ---------------------------------------------------------------- webhooks

async function webhooksPage(root, secretShown) {
  const { webhooks } = await api.call('GET', API + '/webhooks');
  const errors = el('div');
  const url = el('input', { id: 'webhook-url', type: 'url', required: true, maxlength: 2048, placeholder: 'https://your-app.example/webhook' });
  const all = el('input', { type: 'checkbox', id: 'event-all', value: '*', checked: true });
  const boxes = WEBHOOK_EVENTS.map((name) => el('input', { type: 'checkbox', id: 'event-' + name.replace('.', '-'), value: name }));
  const form = el('form', { class: 'card', id: 'register-webhook' },
    el('h2', {}, 'Register an endpoint'),
    field('URL', url, 'HTTPS, a public address.'),
    el('fieldset', {}, el('legend', {}, 'Events'),
      el('label', { class: 'choice' }, all, ' all events (*)'),
      boxes.map((box) => el('label', { class: 'choice' }, box, ' ' + box.value))),
    el('button', { type: 'submit' }, 'Register'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
    const events = all.checked || chosen.length === 0 ? '*' : chosen.join(',');
    guarded(form.querySelector('button'), errors, async () => {
      const created = await api.call('POST', API + '/webhooks', { url: url.value.trim(), events },
        { 'Idempotency-Key': idempotencyKey() });
      await webhooksPage(root, { id: created.id, secret: created.secret, what: 'Endpoint registered' });
    });
  });
  const history = el('div', { id: 'deliveries', 'aria-live': 'polite' });
  show(root,
    el('h1', {}, 'Webhooks'),
    secretShown ? el('div', { class: 'card secret', id: 'new-secret', role: 'status' },
      el('p', {}, `${secretShown.what} (#${secretShown.id}). Its signing secret is shown only once:`),
      el('code', { class: 'secret-value' }, secretShown.secret), ' ', copyButton('Copy', secretShown.secret, 'signing secret')) : null,
    errors,
    table('Endpoints', ['#', 'URL', 'Events', 'State', 'Created (UTC)', 'Actions'], webhooks, (w) => ({
      dataset: { webhook: w.id },
      cells: [w.id, w.url, w.events,
        w.enabled === false ? `disabled (${w.disabled_reason ?? 'failures'})` : 'enabled', w.created_at,
        el('span', { class: 'actions' },
          el('button', { type: 'button', class: 'show-deliveries', onclick: (e) => guarded(e.target, errors, () => deliveries(history, w, 0)) }, 'Deliveries'),
          el('button', {
            type: 'button', class: 'send-test', onclick: (e) => guarded(e.target, errors, async () => {
              const answer = await api.call('POST', `${API}/webhooks/${w.id}/test`);
              show(history, notice(answer.detail + '.'));
            }),
          }, 'Send test'),
          el('button', {
            type: 'button', onclick: (e) => {
              if (confirm('Rotate the signing secret? The old one keeps signing for 24 hours.')) {
                guarded(e.target, errors, async () => {
                  const rotated = await api.call('POST', `${API}/webhooks/${w.id}/rotate-secret`);
                  await webhooksPage(root, { id: w.id, secret: rotated.secret, what: 'Secret rotated' });
                });
              }
            },
          }, 'Rotate secret'),
          w.enabled === false ? el('button', {
            type: 'button', onclick: (e) => guarded(e.target, errors, async () => {
              await api.call('POST', `${API}/webhooks/${w.id}/enable`);
              await webhooksPage(root);
            }),
          }, 'Enable') : null,
          el('button', {
            type: 'button', class: 'danger', onclick: (e) => {
              if (confirm(`Remove the endpoint ${w.url}?`)) {
                guarded(e.target, errors, async () => {
                  await api.call('DELETE', `${API}/webhooks/${w.id}`);
                  await webhooksPage(root);
                });
              }
            },
          }, 'Remove'))],
    })),
    history,
    form);
}

/** One page of an endpoint's delivery attempts, newest first, each with Resend. */
async function deliveries(root, webhook, offset) {
  const page = await api.call('GET', `${API}/webhooks/${webhook.id}/deliveries?limit=${PAGE_SIZE}&offset=${offset}`);
  const errors = el('div');
  show(root,
    el('h2', {}, `Deliveries to ${webhook.url}`),
    el('button', { type: 'button', class: 'refresh', onclick: (e) => guarded(e.target, errors, () => deliveries(root, webhook, offset)) }, 'Refresh'),
    errors,
    table('Attempts, newest first', ['#', 'When (UTC)', 'Event', 'Attempt', 'Result', 'HTTP', 'ms', 'Response', ''],
      page.deliveries, (d) => ({
        dataset: { delivery: d.id },
        cells: [d.id, d.attempted_at, d.event, d.attempt ?? '', d.success ? 'delivered' : 'failed', d.response_status ?? '',
          // no answer came: say why instead (a timeout, a refused connection, a refused address)
          d.duration_ms ?? '', (d.response_body ?? d.error ?? '').substring(0, 80),
          el('button', {
            type: 'button', onclick: (e) => guarded(e.target, errors, async () => {
              const answer = await api.call('POST', `${API}/webhooks/${webhook.id}/deliveries/${d.id}/resend`);
              errors.replaceChildren(notice(answer.detail + '.'));
            }),
          }, 'Resend')],
      })),
    pager(offset, page.total, (next) => guarded(null, errors, () => deliveries(root, webhook, next))));
}
