// app.js: the watch floor's behaviour. One page: log in, then the inbox
// (most urgent first, FLASH and overdue unmistakable and audible, EXERCISE
// marked, a countdown to each acknowledgment deadline), the message view
// (delivery history, acknowledge and reply in one step), compose, link
// health and the indicator feed. Live: /v1/events (Server-Sent Events)
// says what changed; the page then asks the API, which applies the role's
// limits. Nothing here decides what a role may do: the daemon does, and the
// page only hides what would be refused anyway.

import * as alarm from "./alarm.js";
import { ApiError, get, post, setCsrf } from "./api.js";
import { applyLang, getLang, t, tChannel, tPrec, toggleLang } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const ACK_CHANNELS = ["nrrc", "direct", "check"];
const PREC_ORDER = { flash: 0, immediate: 1, priority: 2, routine: 3 };
const TLP = {
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "CLEAR",
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "GREEN",
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "AMBER",
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "AMBER+STRICT",
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "RED",
};

const state = {
	me: null,		// GET /v1/console
	messages: [],		// inbox rows, sorted
	selected: null,		// id shown in the detail pane
	view: "inbox",
	es: null,		// EventSource
	connected: false,
	peers: [],
	refreshing: null,
	known: null,		// ids seen, to spot new arrivals
	newFlash: new Set(),	// FLASH arrivals not yet acknowledged
};

// ----------------------------------------------------------------- helpers

function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k === "class")
			e.className = v;
		else if (k === "text")
			e.textContent = v;
		else if (k.startsWith("on"))
			e.addEventListener(k.slice(2), v);
		else
			e.setAttribute(k, v === true ? "" : v);
	}
	for (const k of kids.flat())
		if (k !== null && k !== undefined)
			e.append(typeof k === "string" ? document.createTextNode(k) : k);
	return e;
}

function shortTime(iso) {
	if (!iso)
		return "–";
	return iso.slice(5, 10) + " " + iso.slice(11, 19);
}

function fmtDur(ms) {
	const neg = ms < 0;
	let s = Math.floor(Math.abs(ms) / 1000);
	const h = Math.floor(s / 3600);
	s -= h * 3600;
	const m = Math.floor(s / 60);
	s -= m * 60;
	const two = (n) => String(n).padStart(2, "0");
	return (neg ? "+" : "") + (h > 0 ? h + ":" : "") + two(m) + ":" + two(s);
}

function peerOf(m) { return m.dir === "in" ? m.from : m.to; }

// A received message is "received" where an outbound one is "delivered".
function stateWord(m) {
	return t("st_" + (m.dir === "in" && m.state === "delivered" ? "received" :
	    m.state));
}

// Known kinds in the current language; others as they are.
function kindWord(k) {
	const w = t("k_" + k);
	return w === "k_" + k ? k : w;
}

// A received message a human must acknowledge, and has not.
function needsAck(m) {
	return m.dir === "in" && ACK_CHANNELS.includes(m.channel) &&
	    m.kind !== "ack" && m.state !== "acknowledged";
}

// An outbound message the peer has to acknowledge and has not yet.
function awaitsPeerAck(m) {
	return m.dir === "out" && ACK_CHANNELS.includes(m.channel) &&
	    m.kind !== "ack" && m.state !== "acknowledged" && m.received;
}

// The acknowledgment deadline: the daemon's (issue 5's "deadline"), else
// the configured duration after receipt.
function deadline(m) {
	const x = m.deadline ? Date.parse(m.deadline) : NaN;
	if (Number.isFinite(x))
		return x;
	const d = state.me.deadlines?.[m.channel]?.[m.precedence];
	const r = Date.parse(m.received);
	return Number.isFinite(r) && d ? r + d : null;
}

function precBadge(p) {
	return el("span", { class: "prec " + p, text: tPrec(p) });
}

function exBadge(m) {
	return m.exercise ? el("span", { class: "ex", text: t("exercise_tag") }) :
	    null;
}

// ------------------------------------------------------------------ login

function showLogin(msg) {
	if (state.es) {
		state.es.close();
		state.es = null;
	}
	alarm.update([]);
	$("app").hidden = true;
	$("logout").hidden = true;
	$("alarm").hidden = true;
	$("who").textContent = "";
	$("login").hidden = false;
	$("login-error").textContent = msg || "";
	$("login-name").focus();
}

async function onLogin(ev) {
	ev.preventDefault();
	alarm.unlock();		// a user gesture: sound may play from now on
	try {
		const s = await post("/v1/login", {
			name: $("login-name").value.trim(),
			password: $("login-password").value,
		});
		$("login-password").value = "";
		await start(s);
	} catch (e) {
		$("login-error").textContent = e.message;
	}
}

async function onLogout() {
	try {
		await post("/v1/logout");
	} catch (e) {
		/* logged out either way */
	}
	setCsrf(null);
	showLogin();
}

async function start(session) {
	setCsrf(session.csrf);
	state.me = await get("/v1/console");
	state.known = null;
	$("login").hidden = true;
	$("app").hidden = false;
	$("logout").hidden = false;
	$("party").textContent = state.me.party;
	$("who").textContent = `${state.me.account} (${state.me.role})`;
	$("sound").hidden = !alarm.needsUnlock();
	document.querySelector('[data-view="indicators"]').hidden =
	    !state.me.read.includes("cert");
	state.catalogue = null;
	if (state.me.features.templates) {
		try {
			state.catalogue = (await get("/v1/templates")).definition;
		} catch (e) {
			state.catalogue = null;	/* not for this role, or none */
		}
	}
	fillCompose();
	showView("inbox");
	connectEvents();
	await Promise.all([refreshInbox(), refreshHealth()]);
}

// ------------------------------------------------------------------ views

function showView(v) {
	state.view = v;
	for (const b of document.querySelectorAll(".tab"))
		b.setAttribute("aria-current", b.dataset.view === v ? "page" : "false");
	for (const s of document.querySelectorAll(".view"))
		s.hidden = s.id !== "view-" + v;
	if (v === "links")
		refreshHealth();
	if (v === "indicators")
		refreshIndicators();
	if (v === "compose")
		$("c-to").focus();
}

// ------------------------------------------------------------------ inbox

function sortMessages(list) {
	return list.sort((a, b) => {
		const pa = needsAck(a) ? 0 : 1, pb = needsAck(b) ? 0 : 1;
		if (PREC_ORDER[a.precedence] !== PREC_ORDER[b.precedence])
			return PREC_ORDER[a.precedence] - PREC_ORDER[b.precedence];
		if (pa !== pb)
			return pa - pb;
		return (b.received || b.created || "").localeCompare(
		    a.received || a.created || "");
	});
}

// The inbox's channels: the human ones the role reads (CERT traffic has
// its own feed and would drown them), or cert alone for a CERT analyst.
function inboxChannels() {
	const human = state.me.read.filter((c) => c !== "cert");
	return human.length > 0 ? human : state.me.read;
}

async function refreshInbox() {
	if (!state.me)
		return;
	// Per channel: the newest messages, and every received one still
	// waiting for its acknowledgment, however old.
	const queries = [];
	for (const c of inboxChannels()) {
		queries.push(`/v1/messages?channel=${c}&limit=150`);
		if (ACK_CHANNELS.includes(c))
			queries.push(`/v1/messages?channel=${c}&dir=in&state=delivered` +
			    "&limit=1000");
	}
	let rs;
	try {
		rs = await Promise.all(queries.map(get));
	} catch (e) {
		if (e instanceof ApiError && e.status === 401)
			return showLogin();
		return;
	}
	const byId = new Map();
	for (const r of rs)
		for (const m of r.messages)
			byId.set(m.id, m);
	const list = [...byId.values()].filter((m) => m.kind !== "ack");
	const first = state.known === null;
	if (first)
		state.known = new Set();
	for (const m of list) {
		if (!state.known.has(m.id) && !first && m.dir === "in" &&
		    m.precedence === "flash")
			state.newFlash.add(m.id);
		state.known.add(m.id);
	}
	state.messages = sortMessages(list);
	renderInbox();
	if (state.selected)
		showMessage(state.selected, false);
	tick();
}

function deadlineCell(m) {
	if (!needsAck(m) && !awaitsPeerAck(m))
		return el("td", { class: "countdown" }, "–");
	const d = deadline(m);
	if (d === null)
		return el("td", { class: "countdown" }, "–");
	return el("td", { class: "countdown", "data-deadline": String(d),
	    "data-mine": needsAck(m) ? "1" : "0" });
}

function renderInbox() {
	const body = $("inbox-body");
	const focusedId = document.activeElement?.dataset?.id;
	body.replaceChildren();
	for (const m of state.messages) {
		const cls = [];
		if (m.precedence === "flash" && needsAck(m))
			cls.push("flash");
		if (!needsAck(m) && m.dir === "in")
			cls.push("done");
		const tr = el("tr", { "data-id": m.id, tabindex: "0",
		    class: cls.join(" "),
		    "aria-selected": m.id === state.selected ? "true" : "false",
		    onclick: () => showMessage(m.id, true),
		    onkeydown: inboxKey },
		    el("td", {}, precBadge(m.precedence), exBadge(m)),
		    el("td", { text: tChannel(m.channel) }),
		    el("td", { class: "kind", "data-kind": m.kind,
			text: kindWord(m.kind) }),
		    el("td", { text: (m.dir === "in" ? "← " : "→ ") + peerOf(m) }),
		    el("td", { text: shortTime(m.received || m.created) }),
		    el("td", { class: "state", text: stateWord(m) }),
		    deadlineCell(m));
		body.append(tr);
	}
	$("inbox-empty").hidden = state.messages.length > 0;
	if (focusedId) {
		const again = body.querySelector(`tr[data-id="${focusedId}"]`);
		if (again)
			again.focus();
	}
}

function inboxKey(ev) {
	const tr = ev.currentTarget;
	if (ev.key === "Enter" || ev.key === " ") {
		ev.preventDefault();
		showMessage(tr.dataset.id, true);
	} else if (ev.key === "ArrowDown" && tr.nextElementSibling) {
		ev.preventDefault();
		tr.nextElementSibling.focus();
	} else if (ev.key === "ArrowUp" && tr.previousElementSibling) {
		ev.preventDefault();
		tr.previousElementSibling.focus();
	}
}

// Once a second: countdowns, overdue marks, the alarm.
function tick() {
	$("clock").textContent = new Date().toISOString().slice(0, 19)
	    .replace("T", " ") + " UTC";
	if (!state.me || $("app").hidden)
		return;
	const now = Date.now();
	const alarming = [];
	const texts = [];
	for (const td of document.querySelectorAll("td[data-deadline]")) {
		const left = Number(td.dataset.deadline) - now;
		const tr = td.parentElement;
		const m = state.messages.find((x) => x.id === tr.dataset.id);
		if (left < 0) {
			td.replaceChildren(el("span", { class: "overdue-tag",
			    text: t("overdue") }), " " + fmtDur(left));
			if (td.dataset.mine === "1") {
				tr.classList.add("overdue");
				alarming.push("o:" + tr.dataset.id);
				texts.push(t("alarm_overdue") + tPrec(m.precedence) +
				    " " + tChannel(m.channel) + " " + m.id.slice(0, 8));
			}
		} else
			td.textContent = fmtDur(left) + " " + t("left");
	}
	for (const id of [...state.newFlash]) {
		const m = state.messages.find((x) => x.id === id);
		if (!m || !needsAck(m)) {
			state.newFlash.delete(id);
			continue;
		}
		alarming.push("f:" + id);
		texts.unshift(t("alarm_flash") + tChannel(m.channel) + " " +
		    t("from").toLowerCase() + " " + m.from + " " +
		    m.id.slice(0, 8));
	}
	state.alarmKeys = alarming;
	const loud = alarm.update(alarming);
	$("alarm").hidden = alarming.length === 0;
	$("alarm-text").textContent = texts.join(" · ");
	$("silence").hidden = !loud;
	$("sound").hidden = !(alarming.length > 0 && alarm.needsUnlock());
}

// ------------------------------------------------------------ message view

function historyItem(e) {
	const parts = [t("ev_" + e.event), " ", shortTime(e.time)];
	if (e.event === "acknowledged")
		parts.push(` — ${t("ack_by")} ${e.by}` +
		    (e.operator ? ` (${t("operator")} ${e.operator})` : ""));
	if (e.receipt)
		parts.push(` — ${t("receipt")} ${e.receipt.id.slice(0, 12)}, ` +
		    `${t("signed_by")} ${e.receipt.signed_by}` +
		    (e.receipt.verified ? " ✓" : ""));
	return el("li", {}, ...parts);
}

function bodyView(m) {
	const b = m.body;
	const box = el("div", { class: "body" });
	if (b && typeof b === "object" && !Array.isArray(b)) {
		if (b.subject)
			box.append(el("strong", { text: b.subject }), "\n");
		if (typeof b.text === "string") {
			const tl = b.lang || b.language;
			box.append(el("span", { lang: tl || null, text: b.text }));
			if (tl)
				box.append("\n", el("em", { text: `(${t("lang_of_text")} ` +
				    `${tl})` }));
		}
		for (const [k, v] of Object.entries(b)) {
			if (["subject", "text", "lang", "language"].includes(k))
				continue;
			box.append("\n", el("strong", { text: k + ": " }),
			    typeof v === "string" ? v : JSON.stringify(v));
		}
	} else
		box.textContent = JSON.stringify(b);
	return box;
}

async function showMessage(id, focus) {
	state.selected = id;
	for (const tr of document.querySelectorAll("#inbox-body tr"))
		tr.setAttribute("aria-selected", tr.dataset.id === id ? "true" :
		    "false");
	let m;
	try {
		m = await get("/v1/messages/" + id);
	} catch (e) {
		$("detail").replaceChildren(el("p", { class: "error",
		    text: e.message }));
		return;
	}
	if (state.selected !== id)
		return;
	const keepNote = $("ack-note")?.value, keepReply = $("ack-reply")?.value;
	const dl = el("dl", {},
	    el("dt", { text: t("col_prec") }), el("dd", {}, precBadge(m.precedence),
		exBadge(m)),
	    el("dt", { text: t("channel") }), el("dd", { text: tChannel(m.channel) }),
	    el("dt", { text: t("kind") }), el("dd", { text: kindWord(m.kind) }),
	    el("dt", { text: t("from") }), el("dd", { text: `${m.from} → ${m.to}` +
		(m.operator ? ` (${t("operator")} ${m.operator})` : "") }),
	    el("dt", { text: t("id") }), el("dd", { text: m.id }),
	    el("dt", { text: t("created") }), el("dd", { text: shortTime(m.created) }),
	    el("dt", { text: t("received") }), el("dd", { text: shortTime(m.received) }),
	    el("dt", { text: t("state") }), el("dd", { class: "msg-state",
		text: stateWord(m) }));
	// A structured NRRC message (issue 5) is shown as the daemon renders
	// it in the console's language; its fields come from the same values
	// in either language, free text as written.
	const body = m.template && state.me.features.templates ?
	    el("pre", { class: "body rendered", id: "rendered", text: "…" }) :
	    bodyView(m);
	const parts = [el("h2", { text: `${tPrec(m.precedence)} ${tChannel(m.channel)}` }),
	    dl, body,
	    el("h3", { text: t("history") }),
	    el("ol", { class: "history" }, (m.history || []).map(historyItem)),
	    el("h3", { text: t("proof") }),
	    el("p", { class: "proof", id: "proof", text: state.me.features.tlog ?
		"…" : t("proof_none") })];
	if (needsAck(m) && state.me.write.includes(m.channel)) {
		parts.push(el("form", { class: "actions", id: "ack-form",
		    onsubmit: (ev) => { ev.preventDefault(); acknowledge(m, false); } },
		    el("label", { for: "ack-note", text: t("note") }),
		    el("input", { id: "ack-note", maxlength: "1000" }),
		    el("label", { for: "ack-reply", text: t("reply") }),
		    el("textarea", { id: "ack-reply", rows: "3", maxlength: "4000" }),
		    el("div", { class: "row" },
			el("button", { type: "submit", id: "ack-button",
			    text: t("ack") }),
			el("button", { type: "button", id: "ack-reply-button",
			    text: t("ack_reply"),
			    onclick: () => acknowledge(m, true) })),
		    el("p", { id: "ack-status", role: "status", class: "error" })));
	}
	$("detail").replaceChildren(...parts);
	if (state.me.features.tlog)
		showProof(m.id);
	if (m.template && state.me.features.templates)
		showRendered(m);
	if (keepNote && $("ack-note"))
		$("ack-note").value = keepNote;
	if (keepReply && $("ack-reply"))
		$("ack-reply").value = keepReply;
	if (focus && $("ack-note"))
		$("ack-note").focus();
}

// A structured message as the daemon renders it in the chosen language
// (issue 5: the same facts from the same values in English and Russian).
// If it cannot be rendered here, the body as it was sent.
async function showRendered(m) {
	let r = null;
	try {
		r = await get(`/v1/render/${m.id}?lang=${getLang()}`);
	} catch (e) {
		r = null;
	}
	const box = document.querySelector("#detail .body");
	if (!box || state.selected !== m.id)
		return;
	if (!r || typeof r.text !== "string") {
		box.replaceWith(bodyView(m));
		return;
	}
	box.replaceChildren(el("pre", { class: "rendered", lang: r.lang,
	    text: r.text }));
	box.dataset.lang = r.lang;
}

// How far the transparency log proves the message (GET /v1/console/proof).
async function showProof(id) {
	let p;
	try {
		p = await get("/v1/console/proof/" + id);
	} catch (e) {
		return;
	}
	const box = $("proof");
	if (!box || state.selected !== id)
		return;
	box.dataset.status = p.status;
	if (p.status === "witnessed" || p.status === "checkpointed")
		box.textContent = t("proof_" + p.status) + " " +
		    `(${t("leaf")} ${p.leaf}, ${t("checkpoint")} ${p.checkpoint.size}, ` +
		    `${shortTime(p.checkpoint.time)}` + (p.checkpoint.cosigned_by ?
		    `, ${t("cosigned_by")} ${p.checkpoint.cosigned_by}` : "") + ")";
	else if (p.status === "logged")
		box.textContent = `${t("proof_logged")} (${t("leaf")} ${p.leaf})`;
	else
		box.textContent = t("proof_" + p.status.replace(/-/g, "_"));
}

// Acknowledge (and, with reply, answer with a response) in one step.
async function acknowledge(m, reply) {
	const note = $("ack-note").value.trim();
	const text = $("ack-reply").value.trim();
	if (reply && text === "") {
		$("ack-reply").setAttribute("aria-invalid", "true");
		$("ack-status").textContent = t("err_required");
		return;
	}
	try {
		await post(`/v1/messages/${m.id}/ack`, note ? { note } : {});
		if (reply)
			await post("/v1/messages", { to: m.from, channel: m.channel,
			    kind: "response", precedence: m.precedence, ref: m.id,
			    exercise: m.exercise, body: { text, lang: getLang() } });
		state.newFlash.delete(m.id);
		await refreshInbox();
		$("ack-status")?.replaceChildren(t("acked_ok"));
	} catch (e) {
		$("ack-status").textContent = e.message;
	}
}

// ----------------------------------------------------------------- compose

// The templates this role may send (their channel is writable).
function usableTemplates() {
	return (state.catalogue?.templates || []).filter((tp) =>
	    state.me.write.includes(tp.channel));
}

function tl(obj) {
	return obj ? obj[getLang()] ?? obj.en ?? "" : "";
}

const TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;

// The form of the chosen template: one control per field, labelled in
// the current language; enumerations as selects; free text with its
// language; times in UTC, prefilled with now.
function renderTemplateFields() {
	const name = $("c-template").value;
	const tp = usableTemplates().find((x) => x.name === name);
	$("c-free").hidden = !!tp;
	$("c-fields").hidden = !tp;
	$("c-preview").hidden = !tp;
	$("c-preview-text").hidden = true;
	if (!tp)
		return;
	const kids = [];
	const req = (f) => f.required ? " *" : "";
	for (const f of tp.fields) {
		const id = "f-" + f.name;
		kids.push(el("label", { for: id, text: tl(f.label) + req(f) }));
		if (f.type === "enum") {
			const vals = state.catalogue.enums[f.enum] || {};
			kids.push(el("select", { id, "data-field": f.name,
			    "data-type": "enum", required: f.required },
			    el("option", { value: "", text: "—" }),
			    Object.entries(vals).map(([v, lab]) => el("option",
				{ value: v, text: tl(lab) }))));
		} else if (f.type === "text") {
			kids.push(el("div", { class: "row" },
			    el("textarea", { id, "data-field": f.name, "data-type": "text",
				rows: "2", maxlength: String(f.max || 4000),
				required: f.required }),
			    el("select", { id: id + "-lang", "aria-label":
				t("text_lang") + ": " + tl(f.label) },
				el("option", { value: getLang(), text: getLang() }),
				el("option", { value: getLang() === "en" ? "ru" : "en",
				    text: getLang() === "en" ? "ru" : "en" }))));
		} else if (f.type === "time") {
			kids.push(el("input", { id, "data-field": f.name, "data-type": "time",
			    value: new Date().toISOString().slice(0, 19) + "Z",
			    placeholder: "YYYY-MM-DDTHH:MM:SSZ", required: f.required }));
		} else {
			kids.push(el("input", { id, "data-field": f.name, "data-type": "string",
			    maxlength: String(f.max || 200), required: f.required }));
		}
	}
	if (tp.ref && tp.ref !== "none") {
		kids.push(el("label", { for: "f-ref", text: t("ref") +
		    (tp.ref === "required" ? " *" : "") }));
		kids.push(el("input", { id: "f-ref", maxlength: "64",
		    required: tp.ref === "required" }));
	}
	$("c-fields").replaceChildren(...kids);
}

// The template's fields from the form, checked as the daemon will:
// [fields, ref, first error].
function templateValues(tp) {
	const fields = {};
	let err = null;
	for (const f of tp.fields) {
		const e = $("f-" + f.name);
		const v = e.value.trim();
		let bad = f.required && v === "";
		if (!bad && v !== "" && f.type === "time" && !TIME_RE.test(v))
			bad = true;
		if (!bad && v.length > (f.max || (f.type === "text" ? 4000 : 200)))
			bad = true;
		e.setAttribute("aria-invalid", bad ? "true" : "false");
		if (bad && !err)
			err = `${tl(f.label)}: ` + (v === "" ? t("err_required") :
			    f.type === "time" ? "YYYY-MM-DDTHH:MM:SSZ" : t("err_long"));
		if (v === "")
			continue;
		fields[f.name] = f.type === "text" ? { text: v,
		    lang: $("f-" + f.name + "-lang").value } : v;
	}
	const refEl = $("f-ref");
	const ref = refEl ? refEl.value.trim() : "";
	if (refEl) {
		const bad = (tp.ref === "required" && ref === "") ||
		    (ref !== "" && !/^[0-9a-fA-F]{4,64}$/.test(ref));
		refEl.setAttribute("aria-invalid", bad ? "true" : "false");
		if (bad && !err)
			err = t("ref") + ": " + t("err_required");
	}
	return [fields, ref, err];
}

async function onPreview() {
	const tp = usableTemplates().find((x) => x.name === $("c-template").value);
	if (!tp)
		return;
	const [fields, , err] = templateValues(tp);
	if (err) {
		$("compose-error").textContent = err;
		return;
	}
	try {
		const r = await post("/v1/render", { template: tp.name, fields,
		    lang: getLang(), precedence: $("c-prec").value,
		    exercise: $("c-exercise").checked, to: $("c-to").value });
		$("compose-error").textContent = "";
		$("c-preview-text").textContent = r.text;
		$("c-preview-text").hidden = false;
	} catch (e) {
		$("compose-error").textContent = e.message;
	}
}

function fillCompose() {
	const sel = $("c-template"), keep = sel.value;
	sel.replaceChildren(el("option", { value: "", text: t("free_text") }),
	    ...usableTemplates().map((tp) => el("option", { value: tp.name,
		text: tl(tp.title) })));
	if ([...sel.options].some((o) => o.value === keep))
		sel.value = keep;
	renderTemplateFields();
	const to = $("c-to"), ch = $("c-channel");
	to.replaceChildren(...state.me.peers.map((p) => el("option",
	    { value: p, text: p })));
	ch.replaceChildren(...state.me.write.map((c) => el("option",
	    { value: c, text: tChannel(c) })));
	$("compose-form").querySelector('button[type="submit"]').disabled =
	    state.me.write.length === 0;
	$("compose-error").textContent = state.me.write.length === 0 ?
	    t("no_rights") : "";
}

async function onCompose(ev) {
	ev.preventDefault();
	const tp = usableTemplates().find((x) => x.name === $("c-template").value);
	if (tp) {
		const [fields, ref, err] = templateValues(tp);
		if (err) {
			$("compose-error").textContent = err;
			return;
		}
		$("compose-error").textContent = "";
		try {
			const body = { to: $("c-to").value, template: tp.name,
			    precedence: $("c-prec").value,
			    exercise: $("c-exercise").checked, fields };
			if (ref)
				body.ref = ref;
			const r = await post("/v1/notify", body);
			$("compose-ok").textContent = t("sent_ok") + r.id.slice(0, 12);
			renderTemplateFields();
		} catch (e) {
			$("compose-error").textContent = e.message;
		}
		return;
	}
	const f = { to: $("c-to"), channel: $("c-channel"), subject: $("c-subject"),
	    text: $("c-text") };
	let bad = false;
	for (const e of Object.values(f)) {
		const empty = !e.value || e.value.trim() === "";
		e.setAttribute("aria-invalid", empty ? "true" : "false");
		bad ||= empty;
	}
	if (bad) {
		$("compose-error").textContent = t("err_required");
		return;
	}
	if (f.text.value.length > 4000) {
		$("compose-error").textContent = t("err_long");
		return;
	}
	$("compose-error").textContent = "";
	try {
		const r = await post("/v1/messages", {
			to: f.to.value, channel: f.channel.value,
			kind: $("c-kind").value, precedence: $("c-prec").value,
			exercise: $("c-exercise").checked,
			body: { subject: f.subject.value.trim(),
			    text: f.text.value.trim(), lang: $("c-lang").value },
		});
		$("compose-ok").textContent = t("sent_ok") + r.id.slice(0, 12);
		f.subject.value = "";
		f.text.value = "";
	} catch (e) {
		$("compose-error").textContent = e.message;
	}
}

// ------------------------------------------------------------ link health

function renderSummary(peers) {
	state.peers = peers;
	$("links-summary").replaceChildren(...peers.map((p) => el("span",
	    { class: "link " + (p.state === "up" ? "up" : "down"),
	      "data-peer": p.party,
	      text: `${p.party} ${p.state === "up" ? t("up") : t("down")}` +
		(p.state === "up" && p.rtt_ms !== null ?
		` ${p.rtt_ms.toFixed(1)} ms` : "") })));
}

function sparkline(samples) {
	const NS = "http://www.w3.org/2000/svg";
	const w = 360, h = 60;
	const svg = document.createElementNS(NS, "svg");
	svg.setAttribute("width", w);
	svg.setAttribute("height", h);
	svg.setAttribute("role", "img");
	const max = Math.max(1, ...samples.map((s) => s[1]));
	svg.setAttribute("aria-label", `${t("rtt_history")}: max ${max.toFixed(1)} ms`);
	if (samples.length > 1) {
		const pts = samples.map((s, i) => `${(i / (samples.length - 1)) * w},` +
		    `${h - 4 - (s[1] / max) * (h - 8)}`).join(" ");
		const pl = document.createElementNS(NS, "polyline");
		pl.setAttribute("points", pts);
		pl.setAttribute("fill", "none");
		pl.setAttribute("stroke", "#000");
		pl.setAttribute("stroke-width", "2");
		svg.append(pl);
	}
	return svg;
}

async function refreshHealth() {
	let r;
	try {
		r = await get("/v1/console/health");
	} catch (e) {
		return;
	}
	renderSummary(r.peers);
	const now = Date.parse(r.time);
	const checks = await checkStats();
	$("links-body").replaceChildren(checks ?? "", ...r.peers.map((p) => el("div",
	    { class: "peer", "data-peer": p.party },
	    el("h3", {}, el("span", { class: "link " + (p.state === "up" ?
		"up" : "down"), text: p.party + " " + (p.state === "up" ? t("up") :
		t("down")) }), " ", p.address || ""),
	    el("p", { text: [
		`${t("rtt")}: ${p.rtt_ms !== null ? p.rtt_ms.toFixed(2) + " ms" : "–"}`,
		`${t("queue")}: ${p.queue ?? "–"}`,
		`${t("last_seen")}: ${p.last_seen ? fmtDur(now - Date.parse(p.last_seen)).replace("+", "") + " ago" : "–"}`,
		`${t("since")}: ${shortTime(p.state === "up" ? p.up_since : p.down_since)}`,
		].join(" · ") }),
	    el("p", { text: t("rtt_history") }), sparkline(p.rtt_history || []),
	    el("h4", { text: t("link_events") }),
	    el("ul", {}, (p.link_events || []).slice(0, 10).map((e) => el("li",
		{ text: `${shortTime(e.time)} ${e.kind} ${e.detail}` }))))));
}

// Communication checks: how many were answered, and how fast (the
// acknowledgment's time minus the receipt time, both on the answering
// side's clock).
async function checkStats() {
	if (!state.me.read.includes("check"))
		return null;
	let r;
	try {
		r = await get("/v1/messages?channel=check&limit=1000");
	} catch (e) {
		return null;
	}
	const stats = (dir) => {
		const ms = r.messages.filter((m) => m.dir === dir && m.kind !== "ack");
		const times = ms.filter((m) => m.acknowledged && m.received)
		    .map((m) => Date.parse(m.acknowledged) - Date.parse(m.received))
		    .sort((a, b) => a - b);
		const med = times.length ? times[Math.floor(times.length / 2)] : null;
		return `${ms.length} ${t(dir === "out" ? "chk_sent" : "chk_received")}, ` +
		    `${times.length} ${t("chk_answered")}` + (med === null ? "" :
		    `, ${t("chk_median")} ${(med / 1000).toFixed(1)} s, ` +
		    `${t("chk_slowest")} ${(times[times.length - 1] / 1000).toFixed(1)} s`);
	};
	return el("div", { class: "peer", id: "check-stats" },
	    el("h3", { text: t("chk_title") }),
	    el("p", { text: stats("out") }), el("p", { text: stats("in") }));
}

// -------------------------------------------------------------- indicators

async function refreshIndicators() {
	let r;
	try {
		r = await get("/v1/messages?channel=cert&limit=200");
	} catch (e) {
		return;
	}
	const rows = [];
	const sightings = new Map();
	for (const m of r.messages)
		for (const o of Array.isArray(m.body?.objects) ? m.body.objects : [])
			if (o.type === "sighting" && o.sighting_of_ref)
				sightings.set(o.sighting_of_ref, (sightings.get(
				    o.sighting_of_ref) || 0) + (o.count || 1));
	for (const m of r.messages) {
		const objs = Array.isArray(m.body?.objects) ? m.body.objects : [];
		for (const o of objs) {
			if (o.type === "sighting")
				continue;
			const tlp = (o.object_marking_refs || []).map((x) => TLP[x])
			    .filter(Boolean).join(" ") || "–";
			rows.push(el("tr", {},
			    el("td", { text: shortTime(m.received || m.created) }),
			    el("td", { text: m.from }),
			    el("td", { text: o.type || "?" }),
			    el("td", { text: o.name || o.pattern || o.id || "" }),
			    el("td", { text: tlp }),
			    el("td", { text: String(sightings.get(o.id) || 0) })));
		}
	}
	$("indicators-body").replaceChildren(...rows);
}

// ------------------------------------------------------------ live events

function setConn(ok) {
	state.connected = ok;
	$("conn").textContent = ok ? "● " + t("conn_live") : t("conn_lost");
	$("conn").className = ok ? "" : "bad";
}

function scheduleRefresh() {
	if (state.refreshing)
		return;
	state.refreshing = setTimeout(async () => {
		state.refreshing = null;
		await refreshInbox();
		if (state.view === "indicators")
			refreshIndicators();
	}, 250);
}

function connectEvents() {
	if (state.es)
		state.es.close();
	const es = new EventSource("/v1/events");
	state.es = es;
	let hellos = 0;
	es.addEventListener("hello", () => {
		setConn(true);
		if (hellos++ > 0) {	// reconnected: anything may have changed
			refreshInbox();
			refreshHealth();
		}
	});
	es.addEventListener("messages", scheduleRefresh);
	es.addEventListener("peers", (ev) => {
		try {
			renderSummary(JSON.parse(ev.data).peers);
		} catch (e) {
			return;
		}
		if (state.view === "links")
			refreshHealth();
	});
	es.onerror = () => {
		setConn(false);
		if (es.readyState === EventSource.CLOSED) {
			// The browser gave up (e.g. 401): is the session gone?
			setTimeout(async () => {
				if (state.es !== es)
					return;
				try {
					await get("/v1/session");
					connectEvents();
				} catch (e) {
					if (e instanceof ApiError && e.status === 401)
						showLogin();
					else
						connectEvents();
				}
			}, 2000);
		}
	};
}

// --------------------------------------------------------------- start-up

function keys(ev) {
	if (ev.altKey && ["1", "2", "3", "4"].includes(ev.key)) {
		const v = ["inbox", "compose", "links", "indicators"][Number(ev.key) - 1];
		const b = document.querySelector(`.tab[data-view="${v}"]`);
		if (b && !b.hidden && !$("app").hidden) {
			ev.preventDefault();
			showView(v);
			b.focus();
		}
	}
}

async function main() {
	applyLang();
	$("lang").addEventListener("click", () => {
		toggleLang();
		if (state.me && !$("app").hidden) {
			fillCompose();
			renderInbox();
			if (state.selected)
				showMessage(state.selected, false);
			renderSummary(state.peers);
			if (state.view === "links")
				refreshHealth();
			setConn(state.connected);
			tick();
		}
	});
	$("login-form").addEventListener("submit", onLogin);
	$("logout").addEventListener("click", onLogout);
	$("compose-form").addEventListener("submit", onCompose);
	$("c-template").addEventListener("change", renderTemplateFields);
	$("c-preview").addEventListener("click", onPreview);
	$("silence").addEventListener("click", () => {
		alarm.silence(state.alarmKeys || []);
		tick();
	});
	$("enable-sound").addEventListener("click", () => {
		alarm.unlock();
		$("sound").hidden = true;
		tick();
	});
	for (const b of document.querySelectorAll(".tab"))
		b.addEventListener("click", () => showView(b.dataset.view));
	document.addEventListener("keydown", keys);
	setInterval(tick, 1000);
	tick();
	try {
		await start(await get("/v1/session"));
	} catch (e) {
		showLogin();
	}
}

main();
