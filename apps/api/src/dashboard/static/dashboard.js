// clore-batch admin dashboard: plain browser JavaScript, no build step, no framework.
// Reads /admin/api/* every 2 s while the tab is visible; the URL hash picks the view
// (#jobs, #job/<id>, #charts, #orders, #money, #tenants, #limiter). Data is put in the page with textContent only.

const POLL_MS = 2000;
const STATES = ['queued', 'provisioning', 'running', 'collecting', 'succeeded', 'failed', 'cancelled'];
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const csrfToken = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
const view = document.getElementById('view');
const filters = { state: '', owner: '', q: '' };
/** Job ids ticked in the list (kept across the list's re-renders). */
const selected = new Set();
const SWEEP_ID = /^swp_[0-9A-HJKMNP-TV-Z]{26}$/;
let timer;
let generation = 0;
let logState;

// ---- small helpers ----
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith('on')) {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
const usd = (n) =>
  n === undefined || n === null ? '–' : `$${Number(n).toFixed(n !== 0 && Math.abs(n) < 1 ? 4 : 2)}`;
const num = (n, d = 0) => (n === undefined || n === null ? '–' : Number(n).toFixed(d));
const when = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) : '–');
const whenMs = (ms) => (ms ? when(new Date(ms).toISOString()) : '–');
function duration(seconds) {
  if (seconds === undefined || seconds === null) {
    return '–';
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${s % 60}s`;
  }
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
const badge = (text, kind) => h('span', { class: `badge ${kind || text}` }, text);
const table = (head, rows, empty) =>
  h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((t) => h('th', {}, t)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length ? rows : h('tr', {}, h('td', { colspan: head.length, class: 'muted' }, empty)),
      ),
    ),
  );

async function api(path, init) {
  const response = await fetch(path, {
    credentials: 'same-origin',
    ...init,
    headers: { accept: 'application/json', ...init?.headers },
  });
  if (response.status === 401) {
    location.href = '/admin/login';
    throw new Error('session ended');
  }
  const body = response.status === 204 ? {} : await response.json();
  if (!response.ok) {
    throw new Error(`${body.code || response.status}: ${body.message || 'request failed'}`);
  }
  return body;
}
const post = (path, body) =>
  api(path, {
    method: 'POST',
    headers: {
      'x-csrf-token': csrfToken,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
function setStatus(text, isError) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.className = isError ? 'error' : 'muted';
}

/** Replace the view's content; null/undefined/false entries are left out. */
function show(...nodes) {
  view.replaceChildren(...nodes.filter((node) => node !== null && node !== undefined && node !== false));
}

// ---- state counts (always shown) ----
function renderCounts(counts) {
  const box = document.getElementById('counts');
  box.replaceChildren(
    ...STATES.map((state) =>
      h(
        'a',
        {
          href: '#jobs',
          class: `count ${state}${filters.state === state ? ' active' : ''}`,
          'data-state': state,
          onclick: (event) => {
            event.preventDefault();
            filters.state = filters.state === state ? '' : state;
            showFiltered();
          },
        },
        h('span', { class: 'n' }, counts[state] || 0),
        h('span', {}, state),
      ),
    ),
  );
}

// ---- alerts (always shown, above the counts) ----
function renderAlerts(alerts) {
  document
    .getElementById('alerts')
    .replaceChildren(...alerts.map((a) => h('li', { class: a.level, 'data-alert': a.id }, a.message)));
}

// ---- views ----
function jobsToolbar() {
  const form = h(
    'form',
    {
      class: 'toolbar',
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(form);
        filters.state = data.get('state');
        filters.owner = data.get('owner').trim();
        filters.q = data.get('q').trim();
        refresh();
      },
    },
    h(
      'select',
      { name: 'state', 'aria-label': 'state' },
      h('option', { value: '' }, 'all states'),
      STATES.map((s) => h('option', { value: s, selected: filters.state === s }, s)),
    ),
    h('input', {
      name: 'owner',
      placeholder: 'owner (token name)',
      value: filters.owner,
      'aria-label': 'owner',
    }),
    h('input', {
      name: 'q',
      type: 'search',
      placeholder: 'search name, id, sweep, GPU, server',
      value: filters.q,
      'aria-label': 'search',
    }),
    h('button', { type: 'submit' }, 'Filter'),
  );
  return form;
}

async function showJobs(gen) {
  const params = new URLSearchParams({ limit: '100' });
  for (const key of ['state', 'owner', 'q']) {
    if (filters[key]) {
      params.set(key, filters[key]);
    }
  }
  const page = await api(`/admin/api/jobs?${params}`);
  if (gen !== generation) {
    return;
  }
  const rows = page.jobs.map((job) =>
    h(
      'tr',
      { class: 'clickable', 'data-job': job.id, onclick: () => (location.hash = `#job/${job.id}`) },
      h(
        'td',
        { class: 'pick', onclick: (event) => event.stopPropagation() },
        TERMINAL.has(job.state)
          ? null
          : h('input', {
              type: 'checkbox',
              'aria-label': `select ${job.name || job.id}`,
              checked: selected.has(job.id),
              onchange: (event) => {
                if (event.target.checked) {
                  selected.add(job.id);
                } else {
                  selected.delete(job.id);
                }
                updateBulkBar();
              },
            }),
      ),
      h(
        'td',
        {},
        h('a', { href: `#job/${job.id}` }, job.name || job.id),
        job.name ? h('div', { class: 'id' }, job.id) : null,
        job.sweepId ? h('div', { class: 'muted' }, `sweep ${job.sweepId} #${job.sweepIndex}`) : null,
      ),
      h(
        'td',
        {},
        badge(job.state),
        job.cancelRequested ? badge('cancelling', 'warn') : null,
        job.reason
          ? h('div', { class: 'muted' }, job.reason + (job.exitCode != null ? ` (exit ${job.exitCode})` : ''))
          : null,
      ),
      h('td', {}, job.gpu),
      h('td', { class: 'num' }, job.serverId ?? '–'),
      h('td', { class: 'num' }, job.pricePerHourUsd === undefined ? '–' : `${usd(job.pricePerHourUsd)}/h`),
      h('td', { class: 'num' }, duration(job.durationSeconds)),
      h('td', { class: 'num' }, usd(job.costUsd), h('span', { class: 'muted' }, ` / ${usd(job.budgetUsd)}`)),
      h('td', {}, job.owner),
      h('td', { class: 'muted' }, when(job.createdAt)),
    ),
  );
  show(
    h('h2', {}, 'Jobs'),
    view.querySelector('form.toolbar') || jobsToolbar(),
    bulkBar(page.jobs),
    table(
      ['', 'Name', 'State', 'GPU', 'Server', 'Price', 'Duration', 'Cost / budget', 'Owner', 'Created (UTC)'],
      rows,
      'No jobs match.',
    ),
    page.truncated
      ? h(
          'p',
          { class: 'muted' },
          `Showing the first ${page.jobs.length} matches of the ${page.scanned} newest jobs read.`,
        )
      : null,
  );
}

/** Bulk actions over the list: cancel the ticked jobs, cancel the searched sweep, export as CSV. */
function bulkBar(jobs) {
  const live = new Set(jobs.filter((j) => !TERMINAL.has(j.state)).map((j) => j.id));
  for (const id of selected) {
    if (!live.has(id)) {
      selected.delete(id);
    }
  }
  const params = new URLSearchParams();
  for (const key of ['state', 'owner', 'q']) {
    if (filters[key]) {
      params.set(key, filters[key]);
    }
  }
  const sweepId = SWEEP_ID.test(filters.q) ? filters.q : undefined;
  const bar = h(
    'div',
    { class: 'bulk', id: 'bulk' },
    h('button', {
      type: 'button',
      id: 'cancel-selected',
      class: 'danger',
      onclick: () => bulkCancel({ ids: [...selected] }),
    }),
    sweepId
      ? h(
          'button',
          { type: 'button', id: 'cancel-sweep', class: 'danger', onclick: () => bulkCancel({ sweepId }) },
          `Cancel sweep ${sweepId}`,
        )
      : null,
    h(
      'a',
      { href: `/admin/api/jobs.csv?${params}`, id: 'export-csv', download: '' },
      'Export CSV (with cost)',
    ),
  );
  queueMicrotask(updateBulkBar);
  return bar;
}

function updateBulkBar() {
  const button = document.getElementById('cancel-selected');
  if (button) {
    button.textContent = `Cancel selected (${selected.size})`;
    button.disabled = selected.size === 0;
  }
}

async function bulkCancel(body) {
  const what = body.sweepId
    ? `every live job of sweep ${body.sweepId}`
    : `${body.ids.length} selected job(s)`;
  if (!confirm(`Cancel ${what}? Their commands are stopped and their servers released.`)) {
    return;
  }
  try {
    const result = await post('/admin/api/jobs/cancel', body);
    selected.clear();
    setStatus(`cancel requested for ${result.cancelled.length} job(s)`);
    refresh();
  } catch (error) {
    setStatus(error.message, true);
  }
}

function field(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}

async function showJob(gen, id) {
  const { job, logSize } = await api(`/admin/api/jobs/${encodeURIComponent(id)}`);
  if (gen !== generation) {
    return;
  }
  if (!logState || logState.id !== id) {
    logState = {
      id,
      offset: undefined,
      decoder: new TextDecoder(),
      pre: h('pre', { class: 'log', id: 'log' }),
      version: undefined,
    };
  }
  // Re-render only when the record changed: keeps the reader's text selection and scroll position.
  if (logState.version === job.version && view.contains(logState.pre)) {
    await pollLog(gen, job.id);
    return;
  }
  logState.version = job.version;
  const spec = job.spec;
  const cancel = TERMINAL.has(job.state)
    ? null
    : h(
        'button',
        {
          type: 'button',
          id: 'cancel',
          class: 'danger',
          disabled: Boolean(job.cancelRequestedAt),
          onclick: async (event) => {
            if (
              !confirm(`Cancel job ${job.name || job.id}? The command is stopped and its server released.`)
            ) {
              return;
            }
            event.target.disabled = true;
            try {
              await post(`/admin/api/jobs/${encodeURIComponent(job.id)}/cancel`);
              setStatus('cancel requested');
              refresh();
            } catch (error) {
              setStatus(error.message, true);
              event.target.disabled = false;
            }
          },
        },
        job.cancelRequestedAt ? 'Cancel requested…' : 'Cancel job',
      );
  const resubmit = TERMINAL.has(job.state)
    ? h(
        'button',
        {
          type: 'button',
          id: 'resubmit',
          onclick: async () => {
            // Secret values are never read back: each is typed again here, or left empty to drop it.
            const secretEnv = {};
            for (const name of spec.secretEnvNames) {
              const value = prompt(`Value of secret ${name} for the new job (empty: run without it)`);
              if (value === null) {
                return;
              }
              secretEnv[name] = value;
            }
            if (!confirm(`Submit a new job with the spec of ${job.name || job.id}, owned by ${job.owner}?`)) {
              return;
            }
            try {
              const created = await post(`/admin/api/jobs/${encodeURIComponent(job.id)}/resubmit`, {
                secretEnv,
              });
              location.hash = `#job/${created.id}`;
            } catch (error) {
              setStatus(error.message, true);
            }
          },
        },
        'Re-submit',
      )
    : null;
  const attempts = job.attempts.map((a) =>
    h(
      'tr',
      {},
      h('td', { class: 'num' }, a.n),
      h('td', {}, a.gpu + (a.gpuCount > 1 ? ` ×${a.gpuCount}` : '')),
      h('td', { class: 'num' }, a.serverId),
      h('td', { class: 'num' }, a.orderId ?? '–'),
      h('td', { class: 'num' }, `${usd(a.pricePerHourUsd)}/h`),
      h('td', { class: 'num' }, usd(a.spentUsd)),
      h('td', {}, when(a.startedAt)),
      h('td', {}, when(a.endedAt)),
      h('td', {}, a.endReason || (a.endedAt ? '' : 'live')),
    ),
  );
  const events = job.events.map((e) =>
    h(
      'li',
      { class: e.type },
      h('time', {}, when(e.at)),
      ' ',
      e.type === 'state' ? badge(e.to) : badge('info', 'info'),
      ' ',
      e.message,
      e.reason ? h('span', { class: 'muted' }, ` (${e.reason})`) : null,
    ),
  );
  const outputs = job.outputs.map((o) =>
    h(
      'li',
      {},
      h(
        'a',
        {
          href: `/admin/api/jobs/${encodeURIComponent(job.id)}/outputs/${o.path.split('/').filter(Boolean).map(encodeURIComponent).join('/')}`,
        },
        o.path,
      ),
      h('span', { class: 'muted' }, ` ${num(o.size)} bytes`),
    ),
  );
  const shownSpec = { ...spec };
  const logScroll = logState.pre.scrollTop;
  show(
    h('p', {}, h('a', { href: '#jobs' }, '← all jobs')),
    h('div', { class: 'title' }, h('h2', {}, job.name || job.id), badge(job.state), cancel, resubmit),
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        {},
        h('h3', {}, 'Summary'),
        h(
          'dl',
          {},
          field('id', job.id),
          field('owner', job.owner),
          field('state', job.state + (job.reason ? ` (${job.reason})` : '')),
          field('exit code', job.exitCode ?? '–'),
          field('cost / budget', `${usd(job.costUsd)} / ${usd(spec.budgetUsd)}`),
          field('max price', `${usd(spec.maxPricePerHourUsd)}/h`),
          field('created (UTC)', when(job.createdAt)),
          field('started (UTC)', when(job.startedAt)),
          field('finished (UTC)', when(job.finishedAt)),
          field('message', job.message || '–'),
        ),
      ),
      h(
        'section',
        {},
        h('h3', {}, 'Spec'),
        h(
          'p',
          { class: 'muted' },
          'secret env: ',
          spec.secretEnvNames.length ? spec.secretEnvNames.join(', ') : 'none',
          ' (values never shown)',
        ),
        h('pre', { class: 'spec' }, JSON.stringify(shownSpec, null, 2)),
      ),
    ),
    h('h3', {}, `Attempts (${job.attempts.length} of ${spec.maxAttempts})`),
    table(
      ['#', 'GPU', 'Server', 'Order', 'Price', 'Spent', 'Started (UTC)', 'Ended (UTC)', 'End'],
      attempts,
      'No attempt yet.',
    ),
    h('h3', {}, 'Log'),
    logSize === 0 && (TERMINAL.has(job.state) || job.attempts.length === 0)
      ? h(
          'p',
          { class: 'muted', id: 'log-empty' },
          job.attempts.length === 0
            ? 'No log: no server ran this job.'
            : 'No log: the command wrote no output.',
        )
      : logState.pre,
    logSize > 0 ? logLinks(job.id) : null,
    h('h3', {}, 'Timeline (UTC)'),
    h('ol', { class: 'timeline' }, events),
    h('h3', {}, 'Outputs'),
    outputs.length
      ? h('ul', {}, outputs)
      : h('p', { class: 'muted', id: 'outputs-empty' }, outputsEmpty(job)),
  );
  logState.pre.scrollTop = logScroll; // a re-attached element starts at the top
  await pollLog(gen, job.id);
}

/** Download of the whole log, and a search of it (the view above shows only its tail). */
function logLinks(id) {
  const results = h('div', { id: 'log-search-results' });
  const form = h(
    'form',
    {
      class: 'toolbar',
      id: 'log-search',
      onsubmit: async (event) => {
        event.preventDefault();
        const q = new FormData(form).get('q').trim();
        if (!q) {
          return;
        }
        try {
          const found = await api(
            `/admin/api/jobs/${encodeURIComponent(id)}/log/search?q=${encodeURIComponent(q)}`,
          );
          results.replaceChildren(
            h(
              'p',
              { class: 'muted' },
              `${found.matches.length}${found.truncated ? '+' : ''} line(s) of the whole log contain "${found.query}"`,
            ),
            found.matches.length
              ? h(
                  'pre',
                  { class: 'log found' },
                  found.matches.map((m) => `${String(m.line).padStart(6)}  ${m.text}\n`).join(''),
                )
              : null,
          );
        } catch (error) {
          setStatus(error.message, true);
        }
      },
    },
    h('input', {
      name: 'q',
      type: 'search',
      placeholder: 'search the whole log',
      'aria-label': 'search the log',
    }),
    h('button', { type: 'submit' }, 'Search'),
    h(
      'a',
      { href: `/admin/api/jobs/${encodeURIComponent(id)}/log/download`, id: 'log-download', download: '' },
      'Download full log',
    ),
  );
  return h('div', {}, form, results);
}

/** What is true when a job has no output files to list. */
function outputsEmpty(job) {
  if (job.spec.outputs.length === 0) {
    return 'The spec lists no output files.';
  }
  if (!TERMINAL.has(job.state)) {
    return `Output files are collected when the command ends (${job.spec.outputs.length} listed).`;
  }
  if (job.outputsMissing?.length) {
    return `No output files collected: not found on the server: ${job.outputsMissing.join(', ')}.`;
  }
  return 'No output files collected.';
}

async function pollLog(gen, id) {
  if (!view.contains(logState.pre)) {
    return;
  }
  // Read until caught up: a burst larger than one 64 KiB read arrives over a few requests.
  for (let i = 0; i < 8; i += 1) {
    const query = logState.offset === undefined ? '' : `?offset=${logState.offset}`;
    const chunk = await api(`/admin/api/jobs/${encodeURIComponent(id)}/log${query}`);
    if (gen !== generation || !logState || logState.id !== id) {
      return;
    }
    const bytes = Uint8Array.from(atob(chunk.data), (c) => c.charCodeAt(0));
    if (logState.offset === undefined && chunk.offset > 0) {
      logState.pre.append(`[… ${chunk.offset} earlier bytes not shown]\n`);
    }
    const pre = logState.pre;
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    if (bytes.length) {
      pre.append(logState.decoder.decode(bytes, { stream: true }));
    }
    if (atBottom) {
      pre.scrollTop = pre.scrollHeight;
    }
    logState.offset = chunk.offset + bytes.length;
    if (logState.offset >= chunk.size) {
      return;
    }
  }
}

function kindBadge(order) {
  if (order.kind === 'orphan') {
    return badge(order.orphan?.reapedAt ? 'orphan (reaped)' : 'orphan', 'failed');
  }
  if (order.kind === 'foreign') {
    return badge('foreign', 'warn');
  }
  if (order.kind === 'unexplained') {
    return badge('not yet matched', 'queued');
  }
  return badge('job', 'running');
}

function orderRows(orders) {
  return orders.map((o) =>
    h(
      'tr',
      { 'data-order': o.id, class: o.kind },
      h('td', { class: 'num' }, o.id),
      h('td', { class: 'num' }, o.serverId),
      h(
        'td',
        {},
        kindBadge(o),
        o.cancelPending ? badge('cancelling', 'warn') : null,
        o.missingSinceMs !== undefined ? badge('missing from my_orders', 'warn') : null,
      ),
      h(
        'td',
        {},
        o.jobId ? h('a', { href: `#job/${o.jobId}` }, o.jobName || o.jobId) : '–',
        o.attempt ? h('span', { class: 'muted' }, ` #${o.attempt}`) : null,
      ),
      h('td', {}, o.jobState ? badge(o.jobState) : '–'),
      h('td', {}, o.owner || '–'),
      h(
        'td',
        { class: 'num' },
        o.pricePerHourUsd === undefined ? '–' : `${usd(o.pricePerHourUsd)}/h`,
        h('div', { class: 'muted' }, `${num(o.pricePerDay, 2)} ${o.currency}/day`),
      ),
      h('td', { class: 'num' }, usd(o.spendUsd)),
      h('td', {}, o.createdAt ? whenMs(o.createdAt * 1000) : '–'),
      h('td', {}, o.ready ? 'yes' : 'no'),
      h(
        'td',
        { class: 'muted' },
        o.orphan
          ? o.orphan.reapedAt
            ? `reaped ${whenMs(o.orphan.reapedAt)}`
            : `reapable from ${whenMs(o.orphan.reapableAt)}`
          : '',
      ),
    ),
  );
}

async function showOrders(gen) {
  const data = await api('/admin/api/orders');
  if (gen !== generation) {
    return;
  }
  const head = [
    'Order',
    'Server',
    'Kind',
    'Job',
    'Job state',
    'Owner',
    'Price',
    'Spent',
    'Created (UTC)',
    'Ready',
    'Reaper (UTC)',
  ];
  show(
    h('h2', {}, 'Active Clore orders'),
    h(
      'p',
      { class: 'muted' },
      data.snapshot
        ? `my_orders snapshot #${data.snapshot.version}, ${Math.round(data.snapshot.ageMs / 1000)} s old`
        : 'No my_orders snapshot yet: no worker leader has polled Clore.',
    ),
    h('div', { id: 'orders-active' }, table(head, orderRows(data.orders), 'No active orders.')),
    h('h3', {}, 'Recently ended'),
    h('div', { id: 'orders-ended' }, table(head, orderRows(data.ended), 'None.')),
  );
}

async function showMoney(gen) {
  const data = await api('/admin/api/money');
  if (gen !== generation) {
    return;
  }
  const w = data.wallets;
  const wallets =
    w.status === 'ok'
      ? h(
          'ul',
          { class: 'wallets' },
          w.wallets.map((x) =>
            h(
              'li',
              {},
              h(
                'strong',
                {},
                x.balanceUsd === undefined || x.balanceUsd === null ? '$ –' : usd(x.balanceUsd),
              ),
              h(
                'span',
                { class: 'muted' },
                ` ${x.balance.toLocaleString('en-US', { maximumFractionDigits: 4 })} ${x.currency}`,
              ),
            ),
          ),
        )
      : h('p', { class: w.status === 'error' ? 'error' : 'muted' }, w.message);
  const rows = data.owners.map((o) =>
    h(
      'tr',
      {},
      h(
        'td',
        {},
        h(
          'a',
          {
            href: '#jobs',
            onclick: (event) => {
              event.preventDefault();
              filters.owner = o.owner;
              showFiltered();
            },
          },
          o.owner,
        ),
      ),
      h('td', { class: 'num' }, usd(o.todayUsd)),
      h('td', { class: 'num' }, usd(o.totalUsd)),
      h('td', { class: 'num' }, `${o.liveJobs} / ${o.jobs}`),
      h('td', { class: 'num' }, `${usd(o.liveSpentUsd)} / ${usd(o.liveBudgetUsd)}`),
      h('td', { class: 'num' }, o.budgetExceeded),
    ),
  );
  const t = data.totals;
  show(
    h('h2', {}, 'Money'),
    h(
      'div',
      { class: 'cards' },
      h(
        'div',
        { class: 'card' },
        h('span', { class: 'muted' }, 'spent today (UTC)'),
        h('strong', {}, usd(t.todayUsd)),
      ),
      h(
        'div',
        { class: 'card' },
        h('span', { class: 'muted' }, 'spent in total'),
        h('strong', {}, usd(t.totalUsd)),
      ),
      h(
        'div',
        { class: 'card' },
        h('span', { class: 'muted' }, 'live jobs: spent / budgets'),
        h('strong', {}, `${usd(t.liveSpentUsd)} / ${usd(t.liveBudgetUsd)}`),
      ),
      h('div', { class: 'card' }, h('span', { class: 'muted' }, 'wallet balance'), wallets),
    ),
    table(
      ['Owner (token)', 'Today', 'Total', 'Live / all jobs', 'Live spent / budgets', 'Budget exceeded'],
      rows,
      'No jobs yet.',
    ),
    h(
      'p',
      { class: 'muted' },
      'Costs are what Clore billed, from the job records. "Today" shares each attempt\'s spend out over the time it ran.',
      data.truncated ? ` Only the newest ${data.scanned} jobs are counted.` : '',
    ),
  );
}

function capCell(spend) {
  if (spend.capUsd === undefined) {
    return h('td', { class: 'num' }, usd(spend.billedUsd));
  }
  const cls = spend.percentOfCap >= 100 ? 'error' : '';
  return h(
    'td',
    { class: 'num' },
    `${usd(spend.billedUsd)} / ${usd(spend.capUsd)} `,
    h('span', { class: cls }, `(${num(spend.percentOfCap, 1)} %)`),
  );
}

async function showTenants(gen) {
  const data = await api('/admin/api/tenants');
  if (gen !== generation) {
    return;
  }
  const limit = (n) => (n === undefined ? 'none' : num(n));
  show(
    h('h2', {}, 'Tenants'),
    table(
      [
        'Tenant (token)',
        'Today: billed / cap',
        'Month: billed / cap',
        'Unspent live budgets',
        'Queued / max',
        'Running / max',
        'Waiting for maxRunningJobs',
      ],
      data.tenants.map((t) =>
        h(
          'tr',
          { 'data-tenant': t.tenant },
          h('td', {}, t.tenant),
          capCell(t.spend.day),
          capCell(t.spend.month),
          h('td', { class: 'num' }, usd(t.unspentUsd)),
          h('td', { class: 'num' }, `${num(t.queued)} / ${limit(t.limits.maxQueuedJobs)}`),
          h('td', { class: 'num' }, `${num(t.running)} / ${limit(t.limits.maxRunningJobs)}`),
          h('td', { class: 'num' }, num(t.waitingForMaxRunning)),
        ),
      ),
      'No API tokens configured.',
    ),
    h(
      'p',
      { class: 'muted' },
      'Limits from TENANT_LIMITS (a tenant not listed takes "*"). Billed: what the provider billed for the jobs submitted this UTC day / month, as the spend caps count it; a submit must also fit the unspent budgets of live jobs and its own budget under the cap.',
    ),
  );
}

async function showLimiter(gen) {
  const data = await api('/admin/api/limiter');
  if (gen !== generation) {
    return;
  }
  show(
    h('h2', {}, 'Clore rate limiter'),
    h(
      'div',
      { class: 'cards' },
      h(
        'div',
        { class: 'card' },
        h('span', { class: 'muted' }, 'calls per minute'),
        h('strong', {}, data.callsPerMinute === undefined ? 'measuring…' : num(data.callsPerMinute, 1)),
      ),
      h(
        'div',
        { class: 'card' },
        h('span', { class: 'muted' }, 'calls in total'),
        h('strong', {}, num(data.totalCalls)),
      ),
      h(
        'div',
        { class: 'card' },
        h('span', { class: 'muted' }, 'code 5 (rate limited) answers'),
        h('strong', { class: data.code5Answers ? 'error' : '' }, num(data.code5Answers)),
      ),
      h(
        'div',
        { class: 'card' },
        h('span', { class: 'muted' }, 'active orders (leader)'),
        h('strong', {}, num(data.activeOrders)),
      ),
    ),
    h('h3', {}, 'Waits per lane'),
    table(
      ['Lane', 'Calls', 'Total wait', 'Mean wait per call'],
      data.lanes.map((l) =>
        h(
          'tr',
          {},
          h('td', {}, l.lane),
          h('td', { class: 'num' }, num(l.count)),
          h('td', { class: 'num' }, `${num(l.totalSeconds, 1)} s`),
          h('td', { class: 'num' }, `${num(l.meanSeconds, 2)} s`),
        ),
      ),
      'No waits recorded.',
    ),
    h('h3', {}, 'Calls by endpoint and answer code'),
    table(
      ['Endpoint', 'Code', 'Calls'],
      data.calls.map((c) =>
        h('tr', {}, h('td', {}, c.endpoint), h('td', {}, c.code), h('td', { class: 'num' }, num(c.count))),
      ),
      'No calls recorded.',
    ),
  );
}

// ---- charts (uPlot, served by the API from node_modules as /admin/static/uplot.js) ----
const CHARTS = ['spend', 'spend-by-gpu', 'queue', 'provisioning', 'failures', 'starts'];
const CHART_RANGES = ['24h', '7d', '30d'];
const CHART_REFRESH_MS = 30_000;
const COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#65a30d', '#db2777'];
const chartState = { range: '24h', at: 0, drawn: '' };

/** Stacked series become running sums (the largest drawn first, so each fill shows its own band). */
function chartColumns(data) {
  const stacked = data.stacked ? data.series.filter((s) => s.kind !== 'line') : [];
  const sums = [];
  const stackedColumns = stacked.map((s) =>
    s.values.map((v, i) => {
      sums[i] = (sums[i] || 0) + (v || 0);
      return sums[i];
    }),
  );
  const plain = data.series.filter((s) => !stacked.includes(s));
  const series = [
    ...stacked.map((s, i) => ({ s, values: stackedColumns[i] })).reverse(),
    ...plain.map((s) => ({ s, values: s.values })),
  ];
  return series;
}

function drawChart(box, data) {
  const categories = data.categories;
  const xs = categories ? categories.map((_, i) => i) : data.x;
  const columns = chartColumns(data);
  const width = Math.max(280, Math.min(box.clientWidth || 600, 1100));
  const yRange = (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1];
  // Time ticks in UTC, 24-hour: "HH:00" within a day, "MM-DD" or "MM-DD HH:00" beyond.
  const span = xs.length ? xs[xs.length - 1] - xs[0] : 0;
  const tick = (ts) => {
    const iso = new Date(ts * 1e3).toISOString();
    if (span <= 86_400) {
      return iso.slice(11, 16);
    }
    return data.bucketSeconds >= 86_400 ? iso.slice(5, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  };
  const axes = [
    {
      label: data.xLabel,
      ...(categories
        ? { splits: () => xs, values: (_u, splits) => splits.map((i) => categories[i] ?? '') }
        : { values: (_u, splits) => splits.map(tick) }),
    },
    { label: data.yLabel, size: 60 },
  ];
  if (data.y2Label) {
    axes.push({ scale: 'y2', side: 1, label: data.y2Label, grid: { show: false }, size: 60 });
  }
  const options = {
    width,
    height: width < 500 ? 220 : 280,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    scales: {
      x: categories ? { time: false, range: () => [-0.5, xs.length - 0.5] } : { time: true },
      y: { range: yRange },
      y2: { range: yRange },
    },
    axes,
    legend: { live: true },
    series: [
      { label: data.xLabel, value: categories ? (_u, i) => categories[Math.round(i)] ?? '' : undefined },
      ...columns.map(({ s }, i) => ({
        label: s.label,
        scale: s.scale || 'y',
        stroke: COLORS[i % COLORS.length],
        fill: s.kind === 'line' ? undefined : `${COLORS[i % COLORS.length]}55`,
        width: s.kind === 'line' && s.label.includes('cap') ? 1.5 : 2,
        dash: s.label.includes('cap') || s.label.includes('ceiling') ? [6, 4] : undefined,
        spanGaps: true,
        paths: s.kind === 'bar' ? uPlot.paths.bars({ size: [0.7, 80] }) : undefined,
        points: { show: s.kind === 'line' && xs.length < 40 },
      })),
    ],
  };
  box.replaceChildren();
  new uPlot(options, [xs, ...columns.map(({ values }) => values)], box);
}

function chartFigure(name) {
  return h(
    'figure',
    { class: 'chart', 'data-chart': name },
    h('figcaption', {}, h('h3', {}, name), h('span', { class: 'muted axes' }, 'loading…')),
    h('div', { class: 'plot' }),
    h('p', { class: 'muted note' }),
  );
}

function fillFigure(figure, data) {
  const points = data.series.reduce((n, s) => n + s.values.filter((v) => v !== null && v !== 0).length, 0);
  figure.dataset.points = String(points);
  figure.dataset.xLabel = data.xLabel;
  figure.dataset.yLabel = data.yLabel;
  figure.querySelector('h3').textContent = data.title;
  figure.querySelector('.axes').textContent =
    `x: ${data.xLabel} · y: ${data.yLabel}${data.y2Label ? ` · right y: ${data.y2Label}` : ''}`;
  figure.querySelector('.note').textContent = data.note || '';
  const plot = figure.querySelector('.plot');
  const xCount = (data.categories || data.x || []).length;
  if (points === 0 || xCount === 0) {
    plot.replaceChildren(
      h('p', { class: 'empty' }, `Nothing recorded in the last ${data.range} (${data.timeZone}).`),
    );
  } else {
    drawChart(plot, data);
  }
}

async function showCharts(gen) {
  const fresh = Date.now() - chartState.at < CHART_REFRESH_MS && chartState.drawn === chartState.range;
  if (fresh && view.querySelector('#charts')) {
    return;
  }
  const figures = CHARTS.map(chartFigure);
  const picker = h(
    'select',
    {
      id: 'chart-range',
      'aria-label': 'range',
      onchange: (event) => {
        chartState.range = event.target.value;
        chartState.at = 0;
        refresh();
      },
    },
    CHART_RANGES.map((r) => h('option', { value: r, selected: chartState.range === r }, `last ${r}`)),
  );
  const results = await Promise.all(
    CHARTS.map((name) => api(`/admin/api/charts/${name}?range=${chartState.range}`)),
  );
  if (gen !== generation) {
    return;
  }
  show(
    h(
      'div',
      { class: 'title' },
      h('h2', {}, 'Charts'),
      picker,
      h('span', { class: 'muted' }, 'times in UTC'),
    ),
    h('div', { id: 'charts', class: 'charts' }, figures),
  );
  for (const [i, data] of results.entries()) {
    fillFigure(figures[i], data);
  }
  chartState.at = Date.now();
  chartState.drawn = chartState.range;
}

// ---- the loop ----
function showFiltered() {
  show(); // the toolbar is rebuilt from the filters
  if (location.hash !== '#jobs') {
    location.hash = '#jobs';
  } else {
    refresh();
  }
}

function route() {
  const hash = location.hash.replace(/^#/, '') || 'jobs';
  const [name, id] = hash.split('/');
  return { name, id: id && decodeURIComponent(id) };
}

async function refresh() {
  clearTimeout(timer);
  const gen = ++generation;
  const { name, id } = route();
  for (const link of document.querySelectorAll('#nav a[data-view]')) {
    link.classList.toggle('active', link.dataset.view === (name === 'job' ? 'jobs' : name));
  }
  try {
    const [summary, alerts] = await Promise.all([api('/admin/api/summary'), api('/admin/api/alerts')]);
    if (gen !== generation) {
      return;
    }
    renderAlerts(alerts.alerts);
    renderCounts(summary.counts);
    if (name === 'job' && id) {
      await showJob(gen, id);
    } else if (name === 'orders') {
      await showOrders(gen);
    } else if (name === 'money') {
      await showMoney(gen);
    } else if (name === 'tenants') {
      await showTenants(gen);
    } else if (name === 'limiter') {
      await showLimiter(gen);
    } else if (name === 'charts') {
      await showCharts(gen);
    } else {
      await showJobs(gen);
    }
    if (gen === generation) {
      setStatus(`updated ${new Date().toISOString().slice(11, 19)} UTC`);
    }
  } catch (error) {
    if (gen === generation) {
      setStatus(error.message, true);
    }
  }
  if (gen === generation && document.visibilityState === 'visible') {
    timer = setTimeout(refresh, POLL_MS);
  }
}

window.addEventListener('hashchange', () => {
  if (route().name !== 'job') {
    logState = undefined;
  }
  if (route().name !== 'jobs') {
    show();
  }
  chartState.at = 0;
  refresh();
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') {
    refresh();
  } else {
    clearTimeout(timer);
  }
});
document.getElementById('logout').addEventListener('click', async () => {
  try {
    await post('/admin/logout');
  } finally {
    location.href = '/admin/login';
  }
});
refresh();
