// The sqlrepl console: polls the node's API and draws what it answers.
// Everything that came from the network enters the page as text
// (textContent, text nodes), never as markup. The token lives in this
// tab's sessionStorage only.
'use strict';

(() => {
  const kTokenKey = 'sqlrepl.token';
  const kStatusMs = 1000;        // the nodes table and the chart
  const kEventsMs = 3000;        // the events table (outcomes arrive after the event)
  const kHistoryMs = 5 * 60 * 1000;
  const kEventRows = 25;
  const kPalette = ['#0b7bd6', '#d6480b', '#7b3fd6', '#0ba38a', '#c2188f', '#6b8e00'];

  const $ = (id) => document.getElementById(id);

  // el('td', {class: 'num'}, 'text', node, ...): strings become text nodes.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function show(value) {
    return value === undefined || value === null || value === '' ? '\u2014' : String(value);
  }

  function duration(seconds) {
    let s = Math.max(0, Math.floor(Number(seconds) || 0));
    const d = Math.floor(s / 86400); s %= 86400;
    const h = Math.floor(s / 3600); s %= 3600;
    const m = Math.floor(s / 60); s %= 60;
    if (d) return `${d}d ${h}h`;
    if (h) return `${h}h ${m}m`;
    if (m) return `${m}m ${s}s`;
    return `${s}s`;
  }

  function clock(date) {
    return date.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'});
  }

  // ---- The token ---------------------------------------------------------

  class Unauthorized extends Error {}
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function token() { return sessionStorage.getItem(kTokenKey); }

  function askToken(reason) {
    const dialog = $('token-dialog');
    $('token-error').textContent = reason || '';
    $('token-error').hidden = !reason;
    $('forget').hidden = true;
    if (!dialog.open) dialog.showModal();
    $('token-input').focus();
  }

  $('token-form').addEventListener('submit', (ev) => {
    const value = $('token-input').value.trim();
    if (!value) { ev.preventDefault(); return; }
    sessionStorage.setItem(kTokenKey, value);
    $('token-input').value = '';
    $('forget').hidden = false;
    pollStatus().then(pollEvents);
  });
  // Escape would leave a page that can do nothing: keep asking.
  $('token-dialog').addEventListener('cancel', (ev) => ev.preventDefault());
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(kTokenKey);
    askToken('');
  });

  // ---- The API -----------------------------------------------------------

  async function api(path, init) {
    const t = token();
    if (!t) throw new Unauthorized();
    const headers = Object.assign({Authorization: 'Bearer ' + t}, (init && init.headers) || {});
    const response = await fetch(path, Object.assign({}, init, {headers, cache: 'no-store'}));
    if (response.status === 401) {
      sessionStorage.removeItem(kTokenKey);
      askToken('The node did not accept that token.');
      throw new Unauthorized();
    }
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (!response.ok) {
      const reason = body && (body.error || body.message);
      throw new ApiError(response.status, reason || text || response.statusText);
    }
    return body;
  }

  // ---- Status: the nodes table and the lag history -------------------------

  // green: following and caught up; amber: catching up, being provisioned
  // or left behind by writes (lagging); red: not connected.
  function slaveColor(s) {
    const state = String(s.state || '');
    if (state.startsWith('live')) return s.lagging || state.includes('lagging') ? 'amber' : 'green';
    if (state.startsWith('catching') || state === 'connected') return 'amber';
    if (state === 'provisioning') return 'amber';
    return 'red';
  }

  const history = new Map();  // slave id -> [{t, lag}] (lag null while offline)
  let lastSeq = 0;
  let lastStatusAt = 0;
  let lastPositions = null;

  function stateCell(color, text) {
    return el('td', {'data-state': color},
              el('span', {class: 'state'}, el('span', {class: 'dot', 'aria-hidden': 'true'}), text));
  }

  function nodeRow(n) {
    return el('tr', {'data-node': n.id, 'data-state': n.color},
              el('td', {}, el('strong', {}, n.id), el('div', {class: 'hint'}, n.detail)),
              stateCell(n.color, n.state),
              el('td', {class: 'num'}, show(n.lag)),
              el('td', {class: 'num'}, show(n.applied)),
              el('td', {class: 'num'}, show(n.lagMs)),
              el('td', {class: 'num'}, show(n.refused)),
              el('td', {class: 'num'}, show(n.failed)),
              el('td', {class: 'error-text'}, n.error || ''));
  }

  // The rows of the nodes table, from what /api/status answered.
  function nodesOf(st) {
    const rows = [];
    if (st.role === 'master') {
      rows.push({id: st.node || 'master', detail: 'master', color: 'green', state: 'serving',
                 applied: st.last_seq});
      for (const s of st.slaves || []) {
        const lagged = s.lagging ? ', lagging' : '';
        const provisioned = s.state === 'provisioning' ? ` ${s.provisioned_percent || 0}%` : '';
        rows.push({id: s.id, detail: s.address, color: slaveColor(s),
                   state: s.state + provisioned + lagged,
                   applied: s.applied_seq, lag: s.lag_events, lagMs: s.lag_ms,
                   refused: s.refused, failed: s.failed, error: s.last_error});
      }
    } else {
      // A slave knows its master only through the link.
      const m = st.master || {};
      const heard = m.last_heard_ms_ago === null || m.last_heard_ms_ago === undefined
        ? 'never heard from' : `heard ${duration(m.last_heard_ms_ago / 1000)} ago`;
      rows.push({id: 'master', detail: `${m.address || ''} \u00b7 ${heard}`,
                 color: m.connected ? 'green' : 'red', state: m.link || 'unknown',
                 applied: st.last_seq});
      const behind = Number(st.lag_events) || 0;
      rows.push({id: st.node || 'this slave', detail: 'this node',
                 color: !m.connected ? 'amber' : behind > 0 ? 'amber' : 'green',
                 state: st.waiting ? 'waiting: ' + st.waiting
                   : behind > 0 ? `applying (${st.queued || 0} queued)` : 'caught up',
                 applied: st.applied_seq, lag: st.lag_events, lagMs: st.lag_ms,
                 refused: st.refused, failed: st.failed, error: st.last_error});
    }
    return rows;
  }

  function renderStatus(st) {
    const parts = [st.role, st.node !== st.role && st.node, st.version && 'sqlrepl ' + st.version,
                   st.server_version && 'MariaDB ' + st.server_version,
                   'up ' + duration(st.uptime_seconds), 'log #' + show(st.last_seq),
                   st.tls ? 'HTTPS' : 'plain HTTP'];
    $('node-summary').textContent = parts.filter(Boolean).join(' \u00b7 ');
    $('node-summary').title = st.replication_id ? 'replication id ' + st.replication_id : '';
    const rows = nodesOf(st);
    $('nodes').tBodies[0].replaceChildren(...rows.map(nodeRow));

    const now = Date.now();
    const lags = st.role === 'master'
      ? (st.slaves || []).map((s) => [s.id, slaveColor(s) === 'red' ? null : Number(s.lag_events) || 0])
      : [[rows[1].id, Number(st.lag_events) || 0]];
    for (const [id, lag] of lags) {
      if (!history.has(id)) history.set(id, []);
      history.get(id).push({t: now, lag});
    }
    for (const samples of history.values()) {
      while (samples.length && samples[0].t < now - kHistoryMs) samples.shift();
    }
    drawChart();
  }

  function renderUnreachable(reason) {
    $('link').dataset.link = 'down';
    const since = lastStatusAt ? ' since ' + clock(new Date(lastStatusAt)) : '';
    $('link').textContent = 'cannot reach the node' + since + ': ' + reason;
    for (const tr of $('nodes').tBodies[0].rows) {
      tr.dataset.state = 'unknown';
      tr.cells[1].dataset.state = 'unknown';
    }
  }

  // Runs `step` now, then every `ms` while it returns true. A call while a
  // step is under way is dropped: one loop per poller, however often kicked.
  function poller(step, ms) {
    let timer = null;
    let busy = false;
    return async function kick() {
      if (busy) return;
      busy = true;
      clearTimeout(timer);
      const again = await step();
      busy = false;
      if (again) timer = setTimeout(kick, ms);
    };
  }

  const pollStatus = poller(async () => {
    try {
      const st = await api('/api/status');
      lastStatusAt = Date.now();
      lastSeq = Number(st.last_seq) || 0;
      $('link').dataset.link = 'up';
      $('link').textContent = 'updated ' + clock(new Date(lastStatusAt));
      renderStatus(st);
      // A slave's acknowledgement is an outcome the events table has not shown yet.
      const positions = JSON.stringify((st.slaves || []).map((s) => [s.id, s.applied_seq]));
      if (positions !== lastPositions && lastPositions !== null) pollEvents();
      lastPositions = positions;
    } catch (e) {
      if (e instanceof Unauthorized) return false;  // resumes once a token is given
      renderUnreachable(e.message);
    }
    return true;
  }, kStatusMs);

  // ---- The lag chart -------------------------------------------------------

  function colorOf(id) {
    const ids = [...history.keys()].sort();
    return kPalette[ids.indexOf(id) % kPalette.length];
  }

  function drawChart() {
    const canvas = $('lag-chart');
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);

    const css = getComputedStyle(document.documentElement);
    const muted = css.getPropertyValue('--muted').trim() || '#888';
    const line = css.getPropertyValue('--line').trim() || '#ddd';
    const left = 36, right = 8, top = 8, bottom = 20;
    const w = width - left - right, h = height - top - bottom;
    const now = Date.now();
    let max = 1;
    for (const samples of history.values()) {
      for (const p of samples) if (p.lag !== null && p.lag > max) max = p.lag;
    }
    const step = Math.pow(10, Math.floor(Math.log10(max)));
    max = Math.ceil(max / step) * step;
    const x = (t) => left + w * (1 - (now - t) / kHistoryMs);
    const y = (v) => top + h * (1 - v / max);

    g.font = '11px system-ui, sans-serif';
    g.lineWidth = 1;
    g.strokeStyle = line;
    g.fillStyle = muted;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (const v of [0, max / 2, max]) {
      g.beginPath(); g.moveTo(left, y(v)); g.lineTo(left + w, y(v)); g.stroke();
      g.fillText(String(Math.round(v * 10) / 10), left - 6, y(v));
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (let m = 5; m >= 0; --m) {
      const px = x(now - m * 60000);
      g.beginPath(); g.moveTo(px, top); g.lineTo(px, top + h); g.stroke();
      g.fillText(m ? `-${m}m` : 'now', Math.min(px, left + w - 10), top + h + 5);
    }

    g.lineWidth = 2;
    g.lineJoin = 'round';
    const legend = [];
    for (const [id, samples] of [...history.entries()].sort()) {
      g.strokeStyle = colorOf(id);
      g.beginPath();
      let pen = false;
      for (const p of samples) {
        if (p.lag === null) { pen = false; continue; }
        if (pen) g.lineTo(x(p.t), y(p.lag)); else g.moveTo(x(p.t), y(p.lag));
        pen = true;
      }
      g.stroke();
      const last = samples[samples.length - 1];
      const nowLag = !last ? '' : last.lag === null ? 'offline' : `${last.lag} behind`;
      const swatch = el('span', {class: 'swatch'});
      swatch.style.backgroundColor = colorOf(id);  // CSSOM: allowed by a CSP without inline styles
      legend.push(el('li', {'data-slave': id}, swatch, `${id} `, el('span', {class: 'hint'}, nowLag)));
    }
    $('lag-legend').replaceChildren(...legend);
  }
  window.addEventListener('resize', drawChart);

  // ---- Events --------------------------------------------------------------

  function outcomeName(o) {
    return String(o.outcome || 'unknown').toLowerCase().replace(/[^a-z]+/g, '-');
  }

  // o: {id, outcome, message}, as /api/events and /api/sql give each slave's answer.
  function outcomePill(o) {
    const id = o.id || '?';
    const name = outcomeName(o);
    const text = o.message ? `${id}: ${o.outcome} (${o.message})` : `${id}: ${o.outcome}`;
    return el('span', {class: 'pill ' + name, 'data-slave': id, 'data-outcome': name,
                       title: o.message || ''}, text);
  }

  // "2026-12-07T12:01:02.123456" (the master's clock) -> "12:01:02".
  function eventTime(t) {
    const m = /T(\d\d:\d\d:\d\d)/.exec(String(t || ''));
    return m ? m[1] : show(t);
  }

  function eventRow(ev) {
    const statements = ev.statements || [];
    // data-label: the column's name, shown by the narrow layout (app.css).
    return el('tr', {'data-seq': ev.seq},
              el('td', {class: 'num', 'data-label': '#'}, show(ev.seq)),
              el('td', {class: 'time', 'data-label': 'Time', title: ev.committed_at || ''},
                 eventTime(ev.committed_at)),
              el('td', {'data-label': 'Database'}, show(ev.database)),
              el('td', {class: 'statements', 'data-label': 'Statements'}, statements.join(';\n')),
              el('td', {class: 'outcomes', 'data-label': 'Outcomes'},
                 ...(ev.outcomes || []).map(outcomePill)));
  }

  const pollEvents = poller(async () => {
    try {
      const after = Math.max(0, lastSeq - kEventRows);
      const body = await api(`/api/events?after=${after}&limit=${kEventRows}`);
      const events = (body && body.events) || [];
      events.sort((a, b) => b.seq - a.seq);
      const rows = events.map(eventRow);
      if (!rows.length) rows.push(el('tr', {}, el('td', {colspan: 5, class: 'hint'}, 'no events yet')));
      $('events').tBodies[0].replaceChildren(...rows);
    } catch (e) {
      if (e instanceof Unauthorized) return false;
      if (e instanceof ApiError && e.status === 404) {  // a slave keeps no log
        $('events-card').hidden = true;
        return false;
      }
    }
    return true;
  }, kEventsMs);

  // ---- SQL -----------------------------------------------------------------

  // Cells are text or null (docs/api.md): null is shown as NULL.
  function cellText(v) {
    return v === null || v === undefined ? null : String(v);
  }

  function resultTable(r) {
    const head = el('tr', {}, ...r.columns.map((c) => el('th', {title: c.type || ''}, c.name)));
    const body = (r.rows || []).map((row) => el('tr', {}, ...row.map((v) => {
      const text = cellText(v);
      return text === null ? el('td', {class: 'null'}, 'NULL') : el('td', {}, text);
    })));
    return el('div', {class: 'scroll'}, el('table', {class: 'rows'}, el('thead', {}, head),
                                           el('tbody', {}, ...body)));
  }

  function warningText(w) {
    return [w.level, w.code && `(${w.code})`, w.message].filter(Boolean).join(' ');
  }

  function resultBlock(r) {
    const block = el('div', {class: 'result', 'data-ok': r.ok ? 'true' : 'false'},
                     el('pre', {}, r.statement || ''));
    if (!r.ok) block.append(el('p', {class: 'error'}, r.error || 'failed'));
    // A CALL's further result sets come under more_results.
    for (const set of [r, ...(r.more_results || [])]) {
      if (set.columns) block.append(resultTable(set));
      const meta = [];
      if (set.columns) meta.push(`${(set.rows || []).length} row(s)`);
      else if (r.ok && typeof set.affected_rows === 'number') meta.push(`${set.affected_rows} row(s) affected`);
      if (set.insert_id) meta.push(`insert id ${set.insert_id}`);
      if (meta.length) block.append(el('p', {class: 'meta'}, meta.join(' \u00b7 ')));
      for (const w of set.warnings || []) block.append(el('p', {class: 'warning'}, warningText(w)));
    }
    for (const note of r.notes || []) block.append(el('p', {class: 'warning'}, note));
    const rep = r.replication;
    if (rep) {
      block.append(el('div', {class: 'replication'},
                      rep.summary ? el('div', {class: 'meta summary'}, rep.summary) : null,
                      ...(rep.slaves || []).map(outcomePill)));
    }
    return block;
  }

  async function runSql(ev) {
    ev.preventDefault();
    const sql = $('sql-input').value;
    if (!sql.trim()) return;
    const run = $('sql-run');
    run.disabled = true;
    $('sql-status').textContent = 'running\u2026';
    const started = performance.now();
    try {
      const body = await api('/api/sql', {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({sql, force: $('sql-force').checked}),
      });
      const results = (body && body.results) || [];
      $('sql-results').replaceChildren(...results.map(resultBlock));
      const ms = Math.round(performance.now() - started);
      $('sql-status').textContent = `${results.length} statement(s) in ${ms} ms`;
      pollStatus();
      pollEvents();
    } catch (e) {
      if (!(e instanceof Unauthorized)) {
        $('sql-results').replaceChildren(
            el('div', {class: 'result', 'data-ok': 'false'}, el('p', {class: 'error'}, e.message)));
      }
      $('sql-status').textContent = '';
    } finally {
      run.disabled = false;
    }
  }

  $('sql-form').addEventListener('submit', runSql);
  $('sql-input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) $('sql-form').requestSubmit();
  });

  // ---- Start ---------------------------------------------------------------

  if (token()) {
    $('forget').hidden = false;
    pollStatus().then(pollEvents);
  } else {
    askToken('');
  }
})();
