// The sandbox console: reads and changes the sandbox only through its JSON control API
// (docs/sandbox.md), polling /sandbox/state and /sandbox/log once a second.
"use strict";

const $ = (id) => document.getElementById(id);

// -- small DOM helpers (text only: nothing from the sandbox is parsed as HTML) ----------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
const empty = (text) => el("p", { class: "empty" }, text || "none yet");
const pill = (text, kind) => el("span", { class: "pill " + (kind || "") }, text);
function fill(node, ...children) { node.replaceChildren(...children.flat()); }
// Re-render only when the data changed, so open <details> stay open between polls.
const drawn = new Map();
function fillIfChanged(node, data, render) {
  const key = JSON.stringify(data === undefined ? null : data);
  if (drawn.get(node) === key) return;
  drawn.set(node, key);
  fill(node, render(data));
}
function left(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, "0")}m ${String(s % 60).padStart(2, "0")}s`;
}
const clock = (epoch) => new Date(epoch * 1000).toLocaleTimeString();

// -- the control API --------------------------------------------------------------------------
async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

// The form's visible fields as JSON: empty text fields are left out, numbers stay numbers.
function formBody(form) {
  const body = {};
  for (const input of form.querySelectorAll("input[name], select[name]")) {
    if (input.closest("[hidden]") || input.value === "") continue;
    body[input.name] = input.type === "number" ? Number(input.value) : input.value;
  }
  return body;
}

function onSubmit(formId, errorId, action) {
  $(formId).addEventListener("submit", async (event) => {
    event.preventDefault();
    $(errorId).textContent = "";
    try { await action(formBody(event.target)); refresh(); }
    catch (error) { $(errorId).textContent = error.message; }
  });
}

// Show only the fields that belong to the chosen option (data-for / data-kind / data-mode).
function toggles(selectId, attribute) {
  const select = $(selectId);
  const apply = () => {
    for (const label of select.form.querySelectorAll(`[${attribute}]`)) {
      label.hidden = !label.getAttribute(attribute).split(" ").includes(select.value);
    }
  };
  select.addEventListener("change", apply);
  apply();
}

// -- apps -------------------------------------------------------------------------------------
const revealed = {};
let selected = null;  // the app the Mini Program, Official Account and push forms act for

function renderApp(app, index, apps) {
  const secret = el("span", { class: "mono" }, revealed[app.appid] || app.secret);
  const reveal = el("button", { class: "link", type: "button", onclick: async () => {
    if (revealed[app.appid]) delete revealed[app.appid];
    else revealed[app.appid] = (await api("POST", "/sandbox/reveal_secret", { appid: app.appid })).secret;
    refresh();
  } }, revealed[app.appid] ? "hide" : "reveal");
  const revoke = el("button", { class: "link", type: "button", onclick: async () => {
    await api("POST", "/sandbox/revoke", { appid: app.appid }); refresh();
  } }, "revoke tokens");
  const tokens = app.tokens.length ? el("table", {},
    el("tr", {}, el("th", {}, "kind"), el("th", {}, "value"), el("th", {}, "time left")),
    app.tokens.map((t) => el("tr", {}, el("td", {}, t.kind), el("td", { class: "mono" }, t.value),
      el("td", {}, t.revoked ? pill("revoked", "bad") : t.expires_in ? left(t.expires_in) : pill("expired", "warn")))))
    : empty("no token issued yet");
  const budget = app.force_refresh;
  return el("div", { class: "app" },
    el("dl", { class: "kv" },
      el("dt", {}, "appid"), el("dd", { class: "mono" }, app.appid),
      el("dt", {}, "name"), el("dd", {}, app.name),
      el("dt", {}, "original id"), el("dd", { class: "mono" }, app.original_id),
      el("dt", {}, "secret"), el("dd", {}, secret, " ", reveal),
      el("dt", {}, ""), el("dd", {}, revoke, apps.length > 1 ? el("button", {
        class: "link" + (app.appid === selected ? " chosen" : ""), type: "button",
        onclick: () => { selected = app.appid; refresh(); } }, app.appid === selected ? "selected" : "select") : null)),
    el("div", {}, el("h3", {}, "Tokens and tickets"), tokens),
    el("div", {}, el("h3", {}, "Budgets"),
      el("dl", { class: "kv" },
        el("dt", {}, "force_refresh"),
        el("dd", {}, `${budget.left} of ${budget.per_day} left today`,
          budget.next_in ? ` (next in ${budget.next_in}s)` : ""),
        app.quotas.flatMap((q) => [el("dt", { class: "mono" }, q.path),
          el("dd", {}, `${q.used} / ${q.limit} today`)]))));
}

// -- faults -----------------------------------------------------------------------------------
function faultItem(f) {
  return el("li", {}, el("strong", {}, f.label), " ", f.path ? el("code", {}, f.path) : "any path",
    " · ", `used ${f.used}`, f.times_left ? `, ${f.times_left} left` : "");
}

// -- pushes -----------------------------------------------------------------------------------
function renderReply(outcome) {
  if (!outcome) return empty("no push sent yet");
  const status = outcome.status === null ? pill("failed", "bad")
    : pill(`HTTP ${outcome.status}`, outcome.status === 200 ? "ok" : "bad");
  const fields = outcome.reply_fields;
  const text = fields ? (fields.Content || fields.MsgType || "") : (outcome.reply || outcome.error || "(empty)");
  return el("div", { class: "reply", id: `push-${outcome.seq}` },
    el("div", { class: "head" }, el("strong", {}, `#${outcome.seq} ${outcome.kind}`), status,
      `${outcome.elapsed_ms} ms`, pill(outcome.mode), outcome.signature_ok === true ? pill("signature ok", "ok")
        : outcome.signature_ok === false ? pill("bad signature", "bad") : null),
    el("div", { class: "reply-text" }, text),
    fields ? el("dl", { class: "kv" }, Object.entries(fields).flatMap(([k, v]) =>
      [el("dt", {}, k), el("dd", { class: "mono" }, typeof v === "object" ? JSON.stringify(v) : v)])) : null,
    el("details", {}, el("summary", {}, "push sent and raw reply"),
      el("pre", {}, outcome.push), el("pre", {}, outcome.reply_body || outcome.error || "")));
}

// -- Mini Program and Official Account sections ---------------------------------------------
function renderMiniProgram(section) {
  if (!section || !Object.keys(section).length) return empty();
  return el("div", {},
    el("h3", {}, "Users seen"),
    section.users.length ? el("ul", { class: "list" }, section.users.map((u) =>
      el("li", {}, el("strong", {}, u.user), " ", el("code", {}, u.openid), ` · ${u.seen_ago}s ago`))) : empty(),
    el("p", { class: "muted" }, `open codes: ${section.open_codes.login} login, ${section.open_codes.phone} phone, `
      + `${section.open_codes.plugin} plugin · messages sent: ${section.messages_sent}`),
    section.media_checks.length ? el("div", {}, el("h3", {}, "Media checks awaiting a push"),
      el("ul", { class: "list" }, section.media_checks.map((c) => el("li", {}, el("code", {}, c.trace_id), " ", c.media_url)))) : null);
}

function renderMenu(menu) {
  const buttons = (menu && menu.button) || [];
  if (!buttons.length) return empty("no menu");
  return el("div", { class: "menu-bar" }, buttons.map((b) => (b.sub_button && b.sub_button.length)
    ? el("div", { class: "group" }, el("strong", {}, b.name), b.sub_button.map((s) =>
      el("button", { class: "menu", type: "button", title: s.key || s.url || "", onclick: () => clickMenu(s) }, s.name)))
    : el("button", { class: "menu", type: "button", title: b.key || b.url || "", onclick: () => clickMenu(b) }, b.name)));
}

// A menu button with a key sends the CLICK push a follower's tap would.
async function clickMenu(button) {
  if (!button.key) return;
  $("push-error").textContent = "";
  try { await api("POST", "/sandbox/push", { kind: "click", key: button.key, user: $("push-user").value || "alice", appid: selected }); refresh(); }
  catch (error) { $("push-error").textContent = error.message; }
}

// The parts of the Official Account section drawn as tables; the others are shown as JSON.
const OA_DRAWN = ["menu", "followers", "tags", "qrcodes", "web_auth"];

function renderOfficialAccount(section) {
  if (!section || !Object.keys(section).length) return empty();
  const rows = (items, columns) => items && items.length ? el("table", {},
    el("tr", {}, columns.map((c) => el("th", {}, c))),
    items.map((item) => el("tr", {}, columns.map((c) => el("td", { class: "mono" },
      typeof item[c] === "object" ? JSON.stringify(item[c]) : item[c] ?? ""))))) : empty();
  return el("div", {},
    el("h3", {}, "Menu"), renderMenu(section.menu),
    el("h3", {}, "Followers"), rows(section.followers, ["openid", "nickname", "tagid_list"]),
    el("h3", {}, "Tags"), rows(section.tags, ["id", "name", "count"]),
    el("h3", {}, "QR tickets"), rows(section.qrcodes, ["ticket", "scene", "expires"]),
    el("h3", {}, "Web authorization"), rows(section.web_auth && section.web_auth.grants,
      ["user", "openid", "scope"]),
    // media, drafts, messages and any later part: shown as JSON
    Object.entries(section).filter(([name]) => !OA_DRAWN.includes(name))
      .map(([name, data]) => el("details", {}, el("summary", {}, name),
        el("pre", {}, JSON.stringify(data, null, 2)))));
}

function renderOtherSections(app) {
  return Object.entries(app.sections).filter(([name]) => !["miniprogram", "official_account"].includes(name))
    .map(([name, data]) => el("details", {}, el("summary", {}, name), el("pre", {}, JSON.stringify(data, null, 2))));
}

// -- the call log -----------------------------------------------------------------------------
let lastSeq = 0;
const calls = [];
const open = new Set();

function matches(call) {
  if ($("log-errors").checked && !(call.errcode || call.status !== 200)) return false;
  const needle = $("log-filter").value.trim().toLowerCase();
  if (!needle) return true;
  return [call.path, call.query, call.errcode, call.errmsg, call.status, call.fault, call.method]
    .some((v) => v !== null && String(v).toLowerCase().includes(needle));
}

function renderLog() {
  const rows = [];
  const shown = calls.filter(matches);
  for (const call of shown.slice(-300).reverse()) {
    const failed = (call.errcode !== null && call.errcode !== 0) || call.status !== 200;
    rows.push(el("tr", { class: "call" + (failed ? " failed" : ""), "data-seq": call.seq, onclick: () => {
      open.has(call.seq) ? open.delete(call.seq) : open.add(call.seq); renderLog();
    } },
      el("td", {}, call.seq), el("td", {}, clock(call.at)),
      el("td", { class: "mono" }, `${call.method} ${call.path}`),
      el("td", {}, call.status === null ? "reset" : call.status),
      el("td", { class: "errcode" }, call.errcode === null ? "" : call.errcode, call.errmsg && call.errcode ? ` ${call.errmsg}` : ""),
      el("td", {}, `${call.latency_ms} ms`), el("td", {}, call.fault || "")));
    if (open.has(call.seq)) {
      rows.push(el("tr", { class: "detail" }, el("td", { colspan: 7 },
        el("div", { class: "muted" }, "query"), el("pre", {}, call.query || "(none)"),
        el("div", { class: "muted" }, "request body"), el("pre", {}, call.request_body || "(empty)"),
        el("div", { class: "muted" }, "response body"), el("pre", {}, call.response_body || "(empty)"))));
    }
  }
  fill($("log").tBodies[0], rows);
  $("log-count").textContent = `${shown.length} of ${calls.length} calls`;
}

async function pollLog() {
  if (!$("log-follow").checked) return;
  const data = await api("GET", `/sandbox/log?after=${lastSeq}&limit=500`);
  const fresh = data.calls.filter((call) => call.seq > lastSeq);  // polls may overlap
  if (!fresh.length) return;
  calls.push(...fresh);
  if (calls.length > 2000) calls.splice(0, calls.length - 2000);
  lastSeq = calls[calls.length - 1].seq;
  renderLog();
}

// -- refresh ----------------------------------------------------------------------------------
async function refresh() {
  try {
    const state = await api("GET", "/sandbox/state");
    const app = state.apps.find((a) => a.appid === selected) || state.apps[0];
    selected = app.appid;
    for (const input of document.querySelectorAll("input.app-ref")) input.value = selected;
    fill($("apps"), state.apps.map(renderApp));
    fill($("faults"), state.faults.length ? state.faults.map(faultItem) : [empty("no fault pending")]);
    fill($("spent-faults"), state.spent_faults.length ? state.spent_faults.map(faultItem) : [empty("none yet")]);
    const target = state.pushes.target;
    $("target-view").textContent = target ? `sending to ${target.url} (${target.mode}, Token ${target.token})` : "no message server set";
    fillIfChanged($("push-result"), state.pushes.history[0], renderReply);
    fillIfChanged($("mp-state"), app.sections.miniprogram, renderMiniProgram);
    $("mp-app").textContent = $("oa-app").textContent = state.apps.length > 1 ? app.appid : "";
    // Redraw only when these sections change, not on every tick of the Mini Program's "seen ago".
    fillIfChanged($("oa-state"), { ...app.sections, miniprogram: undefined }, () =>
      [renderOfficialAccount(app.sections.official_account), ...renderOtherSections(app)]);
    if (!$("known-paths").children.length) fill($("known-paths"), state.paths.map((p) => el("option", { value: p })));
    $("status").textContent = `live · ${state.calls} API calls · ${clock(state.now)}`;
    $("status").classList.remove("down");
    await pollLog();
  } catch (error) {
    $("status").textContent = `sandbox unreachable: ${error.message}`;
    $("status").classList.add("down");
  }
}

// -- wiring -----------------------------------------------------------------------------------
toggles("fault-kind", "data-for");
toggles("push-mode", "data-mode");
toggles("push-kind", "data-kind");
onSubmit("fault-form", "fault-error", (body) => api("POST", "/sandbox/fault", body));
onSubmit("target-form", "target-error", (body) => api("POST", "/sandbox/push/target", body));
onSubmit("push-form", "push-error", (body) => api("POST", "/sandbox/push", body));
function showCode(label, code) { $("mp-codes").prepend(el("li", {}, `${label} `, el("code", {}, code))); }
onSubmit("login-form", "mp-error", async (body) => showCode(`login code for ${body.user}:`, (await api("POST", "/sandbox/login_code", body)).code));
onSubmit("phone-form", "mp-error", async (body) => showCode(`phone code for ${body.phone}:`, (await api("POST", "/sandbox/phone_code", body)).code));
$("fault-clear").addEventListener("click", async () => { await api("POST", "/sandbox/faults/clear"); refresh(); });
$("log-filter").addEventListener("input", renderLog);
$("log-errors").addEventListener("change", renderLog);
refresh();
setInterval(refresh, 1000);
