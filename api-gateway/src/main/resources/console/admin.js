// The operator console: the operator API (/v1/admin/...) with the operator JWT from this tab's
// sessionStorage. Which page makes which call: docs/console.md.
import {
  copyButton, createClient, el, field, guarded, show, startConsole, table,
} from './api.js';

const ADMIN = '/v1/admin';
const PAGE_SIZE = 20;
const SERVICES = ['billing', 'orders', 'fleet', 'webhooks'];

const api = createClient('proxyvault.operator.token');
startConsole({
  client: api,
  pages: { resellers: resellersPage, fleet: fleetPage, parked: parkedPage },
  home: 'resellers',
  inputId: 'operator-token',
  check: () => api.call('GET', ADMIN + '/resellers?limit=1'),
  what: 'the token',
});

/** A form whose submit runs `action(form)` guarded (button disabled, the API's detail shown). */
function form(id, title, fields, submitLabel, action) {
  const errors = el('div');
  const node = el('form', { class: 'card', id }, el('h2', {}, title), fields, el('button', { type: 'submit' }, submitLabel), errors);
  node.addEventListener('submit', (event) => {
    event.preventDefault();
    guarded(node.querySelector('button[type=submit]'), errors, () => action(node, errors));
  });
  return node;
}

function input(id, attributes) {
  return el('input', { id, autocomplete: 'off', ...(attributes || {}) });
}

// ---------------------------------------------------------------- resellers

async function resellersPage(root, query = '', offset = 0) {
  const search = input('reseller-search', { type: 'search', value: query, maxlength: 100 });
  const found = await api.call('GET', `${ADMIN}/resellers?limit=${PAGE_SIZE}&offset=${offset}&q=${encodeURIComponent(query)}`);
  const detail = el('div', { id: 'reseller-detail' });
  const name = input('new-reseller-name', { required: true, maxlength: 100 });
  const created = el('div', { 'aria-live': 'polite' });
  const listErrors = el('div');
  show(root,
    el('h1', {}, 'Resellers'),
    form('search-resellers', 'Search', [field('Name or id', search)], 'Search',
      () => resellersPage(root, search.value.trim(), 0)),
    table('Resellers, newest first', ['#', 'Name', 'Created (UTC)', ''], found.resellers, (r) => ({
      dataset: { reseller: r.id },
      cells: [r.id, r.name, r.created_at,
        el('button', { type: 'button', class: 'open', onclick: (e) => guarded(e.target, detail, () => resellerDetail(detail, r)) }, 'Open')],
    })),
    pager('Pages', offset, found.total, listErrors, (to) => resellersPage(root, query, to)),
    listErrors,
    detail,
    form('create-reseller', 'Create a reseller', [field('Name', name)], 'Create', async () => {
      const reseller = await api.call('POST', ADMIN + '/resellers', { name: name.value.trim() });
      show(created, el('div', { class: 'card secret', role: 'status' },
        el('p', {}, `Reseller #${reseller.id} “${reseller.name}” created. Its first API key, shown only once:`),
        el('code', {}, reseller.api_key.key), ' ', copyButton('Copy', reseller.api_key.key, 'first API key')));
    }),
    created);
}

/** One reseller: balance, top-up, adjustment, ledger and keys. */
async function resellerDetail(root, reseller, ledgerOffset = 0) {
  const base = `${ADMIN}/resellers/${reseller.id}`;
  const [balance, ledger, keys] = await Promise.all([
    api.call('GET', base + '/balance'),
    api.call('GET', `${base}/transactions?limit=${PAGE_SIZE}&offset=${ledgerOffset}`),
    api.call('GET', base + '/keys'),
  ]);
  const reload = () => resellerDetail(root, reseller, 0);
  const topupAmount = input('topup-amount', { inputmode: 'decimal', required: true, pattern: '[0-9]+(\\.[0-9]{1,2})?', placeholder: '100.00' });
  const topupReference = input('topup-reference', { required: true, maxlength: 100, placeholder: 'deposit id, e.g. bank-2026-001' });
  const adjustAmount = input('adjust-amount', { required: true, pattern: '-?[0-9]+(\\.[0-9]{1,2})?', placeholder: '-5.00' });
  const adjustReason = input('adjust-reason', { required: true, maxlength: 200 });
  const adjustReference = input('adjust-reference', { required: true, maxlength: 100 });
  const keyName = input('reseller-key-name', { required: true, maxlength: 100 });
  const newName = input('reseller-name', { required: true, maxlength: 100, value: reseller.name });
  const keyShown = el('div', { 'aria-live': 'polite' });
  show(root,
    el('section', { class: 'card', 'aria-labelledby': 'reseller-title' },
      el('h2', { id: 'reseller-title' }, `Reseller #${reseller.id}: ${reseller.name}`),
      el('p', { class: 'big', id: 'reseller-balance' }, `${balance.balance} ${balance.currency}`),
      form('topup', 'Top up', [field('Amount (USD)', topupAmount), field('Reference', topupReference, 'The same reference twice credits once.')],
        'Top up', async () => {
          await api.call('POST', base + '/topups', { amount: topupAmount.value.trim(), reference: topupReference.value.trim() });
          await reload();
        }),
      // names from before the invisible-character rule can be cleaned here (docs/console.md)
      form('rename', 'Rename', [field('Name', newName)], 'Rename', async () => {
        const renamed = await api.call('PATCH', base, { name: newName.value.trim() });
        // the list above shows the new name too, without a reload (new-user review 6)
        const row = document.querySelector(`tr[data-reseller='${renamed.id}']`);
        if (row && row.cells[1]) {
          row.cells[1].textContent = renamed.name;
        }
        await resellerDetail(root, renamed, ledgerOffset);
      }),
      form('adjustment', 'Adjustment', [field('Amount (USD, signed)', adjustAmount), field('Reason', adjustReason),
        field('Reference', adjustReference)], 'Adjust', async () => {
        await api.call('POST', base + '/adjustments', {
          amount: adjustAmount.value.trim(), reason: adjustReason.value.trim(), reference: adjustReference.value.trim(),
        });
        await reload();
      }),
      table('Ledger, newest first', ['#', 'When (UTC)', 'Type', 'Amount', 'Balance after', 'Order', 'Reference', 'Reason'],
        ledger.transactions, (t) => ({
          dataset: { transaction: t.id },
          cells: [t.id, t.created_at, t.type, t.amount, t.balance_after, t.order_id ?? '', t.reference, t.reason ?? ''],
        })),
      el('nav', { class: 'pager', 'aria-label': 'Ledger pages' },
        el('button', { type: 'button', disabled: ledgerOffset === 0, onclick: (e) => guarded(e.target, keyShown, () => resellerDetail(root, reseller, Math.max(0, ledgerOffset - PAGE_SIZE))) }, 'Previous'),
        el('span', {}, `${ledger.total} entries`),
        el('button', { type: 'button', disabled: ledgerOffset + PAGE_SIZE >= ledger.total, onclick: (e) => guarded(e.target, keyShown, () => resellerDetail(root, reseller, ledgerOffset + PAGE_SIZE)) }, 'Next')),
      table('Live API keys', ['#', 'Name', 'Created (UTC)', 'Last used (UTC)', ''], keys.keys, (k) => ({
        dataset: { key: k.id },
        cells: [k.id, k.name, k.created_at, k.last_used_at ?? 'never',
          el('button', {
            type: 'button', class: 'danger', 'aria-label': `Revoke key ${k.name}`, onclick: (e) => {
              if (confirm(`Revoke key “${k.name}” of ${reseller.name}?`)) {
                guarded(e.target, keyShown, async () => {
                  await api.call('DELETE', `${base}/keys/${k.id}`);
                  await reload();
                });
              }
            },
          }, 'Revoke')],
      })),
      form('reseller-key', 'Issue a key', [field('Name', keyName)], 'Issue key', async () => {
        const key = await api.call('POST', base + '/keys', { name: keyName.value.trim() });
        await reload();
        root.prepend(el('div', { class: 'card secret', role: 'status' },
          el('p', {}, `Key “${key.name}” issued; shown only once:`), el('code', {}, key.key), ' ',
          copyButton('Copy', key.key, 'issued key')));
      }),
      keyShown));
  root.querySelector('h2').scrollIntoView();
}

// ---------------------------------------------------------------- fleet

/** Previous / "from–to of total" / Next over a paged list; `go(offset)` shows another page. */
function pager(label, offset, total, errors, go) {
  return el('nav', { class: 'pager', 'aria-label': label },
    el('button', { type: 'button', disabled: offset === 0, onclick: (e) => guarded(e.target, errors, () => go(Math.max(0, offset - PAGE_SIZE))) }, 'Previous'),
    el('span', {}, total === 0 ? 'none' : `${offset + 1}–${Math.min(offset + PAGE_SIZE, total)} of ${total}`),
    el('button', { type: 'button', disabled: offset + PAGE_SIZE >= total, onclick: (e) => guarded(e.target, errors, () => go(offset + PAGE_SIZE)) }, 'Next'));
}

// The fleet's lists are paged (docs/fleet.md "Operator API"): agents and modems a page each, the modems
// filtered by agent and location as the operator types them. The load per location is the whole fleet's, one
// answer (GET /v1/admin/locations), whatever page or filter the lists show.
async function fleetPage(root, view = { agents: 0, modems: 0, agentId: '', locationId: '' }) {
  const filters = `agent_id=${encodeURIComponent(view.agentId)}&location_id=${encodeURIComponent(view.locationId)}`;
  const [agentPage, modemPage, { locations }] = await Promise.all([
    api.call('GET', `${ADMIN}/agents?limit=${PAGE_SIZE}&offset=${view.agents}`),
    api.call('GET', `${ADMIN}/modems?limit=${PAGE_SIZE}&offset=${view.modems}&${filters}`),
    api.call('GET', `${ADMIN}/locations`)]);
  const { agents } = agentPage;
  const { modems } = modemPage;
  const errors = el('div');
  const again = (change) => fleetPage(root, { ...view, ...change });
  const agentFilter = input('fleet-agent', { value: view.agentId, maxlength: 100, placeholder: 'agent-local-1' });
  const locationFilter = input('fleet-location', { value: view.locationId, maxlength: 32, placeholder: 'LAX' });
  const locationId = input('location-id', { required: true, pattern: '[A-Z0-9]{2,32}', maxlength: 32, placeholder: 'FRA' });
  const locationName = input('location-name', { required: true, maxlength: 100, placeholder: 'Frankfurt' });
  const location5g = input('location-5g', { type: 'checkbox' });
  show(root,
    el('h1', {}, 'Fleet'),
    table('Agents', ['Agent', 'Host', 'Online', 'Last seen (UTC)', 'Version', 'Ports', 'Modems', 'Proxies'], agents, (a) => [
      a.id, a.public_host, a.online ? 'online' : (a.connected ? 'connected' : 'offline'), a.last_seen_at ?? '', a.agent_version ?? '',
      `${a.port_range_start}–${a.port_range_end}`, a.modems, a.proxies]),
    pager('Agent pages', view.agents, agentPage.total, errors, (offset) => again({ agents: offset })),
    form('filter-modems', 'Modems of', [field('Agent id', agentFilter), field('Location', locationFilter)], 'Show',
      () => again({ modems: 0, agentId: agentFilter.value.trim(), locationId: locationFilter.value.trim() })),
    errors,
    table('Modems', ['Agent', 'Modem', 'Location', 'Online', 'Exit IP', 'Proxies', 'Last heartbeat (UTC)', ''], modems, (m) => ({
      dataset: { modem: m.agent_id + '/' + m.modem_id },
      cells: [m.agent_id, m.modem_id, m.location_id + (m.is_5g ? ' 5G' : ''), (m.online ? 'online' : 'offline') + (m.draining ? ', draining' : ''), m.exit_ip ?? '',
        `${(m.proxy_ids || []).length} of ${m.capacity}`, m.last_heartbeat_at ?? '',
        el('button', {
          type: 'button', onclick: (e) => guarded(e.target, errors, async () => {
            await api.call('POST', `${ADMIN}/agents/${encodeURIComponent(m.agent_id)}/modems/${encodeURIComponent(m.modem_id)}/${m.draining ? 'undrain' : 'drain'}`);
            await again({});
          }),
        }, m.draining ? 'Undrain' : 'Drain'),
        // A modem its agent no longer announces (offline) can be removed from the lists; the API refuses one still
        // announced or holding proxies, with a detail shown here (docs/fleet.md "Removing a modem and adding a location").
        m.online ? '' : el('button', {
          type: 'button', class: 'remove', onclick: (e) => guarded(e.target, errors, async () => {
            await api.call('DELETE', `${ADMIN}/agents/${encodeURIComponent(m.agent_id)}/modems/${encodeURIComponent(m.modem_id)}`);
            await again({});
          }),
        }, 'Remove')],
    })),
    pager('Modem pages', view.modems, modemPage.total, errors, (offset) => again({ modems: offset })),
    // Proxies: live ones (provisioning, active), as placement counts them; free slots: on online modems that are
    // not draining (docs/fleet.md "Operator API").
    table('Load per location (whole fleet)',
      ['Location', 'Modems', 'Online', 'Draining', 'Proxies (live)', 'Capacity', 'Free slots', 'Load'], locations, (l) => ({
        dataset: { location: l.id },
        cells: [`${l.id} ${l.name}` + (l.is_5g ? ' 5G' : ''), l.modems, l.online_modems, l.draining_modems, l.live_proxies,
          l.capacity, l.free_slots, l.capacity ? Math.round((100 * l.live_proxies) / l.capacity) + ' %' : '—'],
      })),
    form('add-location', 'Add a location', [field('Id (A-Z, 0-9)', locationId), field('Name', locationName),
      field('5G', location5g)], 'Add', async () => {
      await api.call('POST', `${ADMIN}/locations`, { id: locationId.value.trim(), name: locationName.value.trim(), is_5g: location5g.checked });
      await again({});
    }));
}

// ---------------------------------------------------------------- parked events

// Paged like the fleet's lists (`total` from GET .../dead-letters): the page asked for `limit=50` without a pager,
// so the 51st parked event and later could not be reached (operator review). Another service or the "only not yet
// replayed" switch starts again at the first page.
async function parkedPage(root, service = 'orders', pending = true, offset = 0) {
  const { dead_letters: parked, total } = await api.call('GET',
    `${ADMIN}/services/${service}/dead-letters?pending=${pending}&limit=${PAGE_SIZE}&offset=${offset}`);
  if (offset > 0 && offset >= total) {
    // Replaying the last pending event of the last page leaves it empty: show the last page there is instead.
    return parkedPage(root, service, pending, Math.max(0, Math.ceil(total / PAGE_SIZE) - 1) * PAGE_SIZE);
  }
  const serviceSelect = el('select', { id: 'parked-service' }, SERVICES.map((s) => el('option', { value: s, selected: s === service }, s)));
  const pendingBox = el('input', { type: 'checkbox', id: 'parked-pending', checked: pending });
  const errors = el('div');
  const reload = () => guarded(null, errors, () => parkedPage(root, serviceSelect.value, pendingBox.checked));
  serviceSelect.addEventListener('change', reload);
  pendingBox.addEventListener('change', reload);
  show(root,
    el('h1', {}, 'Parked events'),
    el('p', { class: 'muted' }, 'Events a consumer could not apply after its retries (dead letters). Replay applies one again through its handler.'),
    el('div', { class: 'controls' }, field('Service', serviceSelect),
      el('label', { class: 'switch', for: pendingBox.id }, pendingBox, ' Only not yet replayed')),
    errors,
    table(`Parked in ${service}`, ['#', 'Parked (UTC)', 'Handler', 'Event', 'Attempts', 'Error', 'Replayed', ''], parked, (d) => ({
      dataset: { parked: d.id },
      cells: [d.id, d.parked_at, d.handler, `${d.event_type} ${d.event_id}`, d.attempts, (d.error ?? '').substring(0, 160),
        d.replayed_at ?? '',
        d.replayed_at ? '' : el('button', {
          type: 'button', onclick: (e) => guarded(e.target, errors, async () => {
            await api.call('POST', `${ADMIN}/services/${service}/dead-letters/${d.id}/replay`);
            await parkedPage(root, service, pending, offset);
          }),
        }, 'Replay')],
    })),
    pager('Parked event pages', offset, total, errors, (to) => parkedPage(root, service, pending, to)));
}
