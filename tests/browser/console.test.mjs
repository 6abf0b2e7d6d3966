// console.test.mjs: the watch floor end to end in a real browser (Debian's
// chromium driven by playwright-core). Started by
// tests/system/test_console_browser.py, which runs two nodes (us, ru) with
// HTTPS listeners and accounts and passes them in the environment:
//
//   US_URL, RU_URL       https://127.0.0.1:PORT of each node
//   PASSWORD             the accounts' password (wanda: watch at us,
//                        ivan: watch at ru, carl: cert at us)
//   DIRECT_ID            a direct-line message at us
//   ARTIFACTS            where screenshots go
//   CHROMIUM             the browser binary
//
// Exit 0 when every check passes; 1 with the failed check on stderr.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const env = process.env;
const T = 15000;
const shots = env.ARTIFACTS;
mkdirSync(shots, { recursive: true });

let step = "start";
function log(...a) {
	console.log(`[browser] ${new Date().toISOString().slice(11, 23)}`, ...a);
}
function check(cond, what) {
	if (!cond)
		throw new Error(`check failed: ${what}`);
}
async function shot(page, name, fullPage = false) {
	await page.screenshot({ path: `${shots}/${name}.png`, fullPage });
	log(`screenshot ${name}.png`);
}

async function login(page, url, name, keyboard) {
	await page.goto(url + "/console/");
	await page.waitForSelector("#login-form", { state: "visible", timeout: T });
	if (keyboard) {
		// Keyboard only: the name field has focus, Tab to the password,
		// Enter submits.
		await page.keyboard.type(name);
		await page.keyboard.press("Tab");
		await page.keyboard.type(env.PASSWORD);
		await page.keyboard.press("Enter");
	} else {
		await page.fill("#login-name", name);
		await page.fill("#login-password", env.PASSWORD);
		await page.click('#login-form button[type="submit"]');
	}
	await page.waitForSelector("#app", { state: "visible", timeout: T });
	await page.waitForFunction(() => document.getElementById("conn")
	    .textContent.includes("●"), null, { timeout: T });
}

const browser = await chromium.launch({
	executablePath: env.CHROMIUM,
	args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	    "--no-first-run", "--disable-background-networking",
	    "--disable-component-update", "--disable-sync"],
});
const viewport = { width: 1366, height: 768 };
const newCtx = () => browser.newContext({ ignoreHTTPSErrors: true, viewport });

try {
	const ctxUs = await newCtx(), ctxRu = await newCtx();
	const us = await ctxUs.newPage(), ru = await ctxRu.newPage();
	for (const [n, p] of [["us", us], ["ru", ru]])
		p.on("pageerror", (e) => log(`${n} page error: ${e.message}`));

	step = "log in";
	await us.goto(env.US_URL + "/console/");
	await us.waitForSelector("#login-form", { state: "visible", timeout: T });
	await shot(us, "01-login");
	await login(us, env.US_URL, "wanda", true);
	await login(ru, env.RU_URL, "ivan", false);
	check((await us.textContent("#who")).includes("wanda (watch)"),
	    "us header names the operator");
	const sessionCookie = (await ctxUs.cookies()).find((c) =>
	    c.name === "hotline_session");
	check(sessionCookie && sessionCookie.httpOnly && sessionCookie.secure &&
	    sessionCookie.sameSite === "Strict", "session cookie attributes");

	step = "ru composes a FLASH from a template";
	await ru.click('.tab[data-view="compose"]');
	await ru.selectOption("#c-template", "incident-notification");
	await ru.selectOption("#c-to", "us");
	await ru.selectOption("#c-prec", "flash");
	await ru.check("#c-exercise");
	// Validation first: required fields left empty are refused in the page.
	await ru.click('#compose-form button[type="submit"]');
	check((await ru.textContent("#compose-error")).length > 0,
	    "empty template form refused");
	check(await ru.getAttribute("#f-reference", "aria-invalid") === "true",
	    "empty required field marked invalid");
	for (const f of await ru.$$("#c-fields [data-field]")) {
		const type = await f.getAttribute("data-type");
		if (type === "enum")
			await f.selectOption({ index: 1 });
		else if (type === "text")
			await f.fill("Scanning of the grid operator from AS 64500.");
		else if (type === "string")
			await f.fill("RU-NRRC-2026-0007");
	}
	// A time that is not UTC is caught before sending.
	await ru.fill("#f-detected", "2026-11-23 10:00");
	await ru.click('#compose-form button[type="submit"]');
	check(await ru.getAttribute("#f-detected", "aria-invalid") === "true",
	    "bad time marked invalid");
	await ru.fill("#f-detected", new Date().toISOString().slice(0, 19) + "Z");
	await ru.click("#c-preview");
	await ru.waitForSelector("#c-preview-text", { state: "visible", timeout: T });
	check((await ru.textContent("#c-preview-text")).includes(
	    "INCIDENT NOTIFICATION"), "preview rendered");
	await shot(ru, "02-compose-template", true);
	const usRowsBefore = await us.locator("#inbox-body tr").count();
	await ru.click('#compose-form button[type="submit"]');
	await ru.waitForFunction(() => document.getElementById("compose-ok")
	    .textContent.length > 0, null, { timeout: T });

	step = "us receives it without reloading";
	const t0 = Date.now();
	await us.waitForSelector("#inbox-body tr.flash", { timeout: T });
	log(`flash shown at us ${Date.now() - t0} ms after ru's send returned`);
	check(await us.locator("#inbox-body tr").count() === usRowsBefore + 1,
	    "one new row");
	const flashId = await us.getAttribute("#inbox-body tr.flash", "data-id");
	check(/^[0-9a-f]{64}$/.test(flashId), "flash row id");
	await us.waitForSelector("#alarm", { state: "visible", timeout: T });
	check((await us.textContent("#alarm-text")).includes("FLASH"),
	    "alarm banner names the FLASH");
	check(await us.isVisible("#silence"), "the alarm sounds (silence offered)");
	check(await us.isVisible("#inbox-body tr.flash .ex"), "EXERCISE marked");
	await us.waitForFunction(() => /\d\d:\d\d left/.test(document
	    .querySelector("#inbox-body tr.flash td[data-deadline]").textContent),
	    null, { timeout: T });
	const first = await us.getAttribute("#inbox-body tr:first-child", "data-id");
	check(first === flashId, "the FLASH is first in the inbox");
	await shot(us, "03-inbox-flash");

	step = "open it (keyboard): rendered from its template in English";
	await us.focus("#inbox-body tr.flash");
	await us.keyboard.press("Enter");
	await us.waitForSelector("#ack-note", { timeout: T });
	await us.waitForSelector("#detail .body pre.rendered", { timeout: T });
	let text = await us.textContent("#detail .body");
	check(text.includes("INCIDENT NOTIFICATION") && text.includes("AS 64500"),
	    `English rendering: ${text.slice(0, 200)}`);

	step = "switch language: the same message in Russian";
	await us.click("#lang");
	await us.waitForFunction(() => document.documentElement.lang === "ru",
	    null, { timeout: T });
	await us.waitForFunction(() => document.querySelector(
	    "#detail .body pre.rendered")?.textContent.includes(
	    "УВЕДОМЛЕНИЕ ОБ ИНЦИДЕНТЕ"), null, { timeout: T });
	text = await us.textContent("#detail .body");
	check(text.includes("AS 64500"), "free text shown as written");
	check((await us.textContent('.tab[data-view="inbox"]')) === "Входящие",
	    "tab in Russian");
	check((await us.textContent("#inbox-body tr.flash .prec")) === "МОЛНИЯ",
	    "precedence in Russian");
	check((await us.textContent("#inbox-body tr.flash .ex")) === "УЧЕНИЯ",
	    "exercise mark in Russian");

	step = "acknowledge and reply in one step (keyboard)";
	await us.focus("#ack-note");
	await us.keyboard.type("Received, investigating");
	await us.focus("#ack-reply");
	await us.keyboard.type("We are looking into AS 64500.");
	await shot(us, "04-message-ru");
	await us.focus("#ack-reply-button");
	await us.keyboard.press("Enter");
	await us.waitForFunction(() => document.querySelector("#detail .msg-state")
	    ?.textContent === "подтверждено", null, { timeout: T });
	await us.waitForFunction(() => [...document.querySelectorAll(
	    "#detail .history li")].some((li) => li.textContent.includes(
	    "wanda")), null, { timeout: T });
	await us.waitForSelector("#alarm", { state: "hidden", timeout: T });
	await shot(us, "05-acknowledged-ru");
	await us.click("#lang");	// back to English

	step = "ru's console shows it acknowledged";
	await ru.click('.tab[data-view="inbox"]');
	await ru.waitForFunction((id) => document.querySelector(
	    `#inbox-body tr[data-id="${id}"] .state`)?.textContent ===
	    "acknowledged", flashId, { timeout: T });
	await ru.waitForSelector('#inbox-body tr:has(td[data-kind="response"])',
	    { timeout: T });
	await ru.click(`#inbox-body tr[data-id="${flashId}"]`);
	await ru.waitForFunction(() => [...document.querySelectorAll(
	    "#detail .history li")].some((li) => li.textContent.startsWith(
	    "acknowledged")), null, { timeout: T });
	// The transparency log proves it: a checkpoint of ru's log that us
	// has cosigned holds it (checkpoints every second in this test).
	const until = Date.now() + T;
	let proof;
	for (;;) {
		// Re-open the message; read the status and text of the new
		// proof line together (the pane re-renders on every event).
		await ru.evaluate(() => document.getElementById("proof")
		    ?.removeAttribute("data-status"));
		await ru.click(`#inbox-body tr[data-id="${flashId}"]`);
		await ru.waitForFunction(() => document.getElementById("proof")
		    ?.dataset.status !== undefined, null, { timeout: T });
		proof = await ru.evaluate(() => {
			const p = document.getElementById("proof");
			return [p.dataset.status, p.textContent];
		});
		if (proof[0] === "witnessed")
			break;
		check(Date.now() < until, "proof status never became witnessed");
		await ru.waitForTimeout(500);
	}
	check(proof[1].includes("cosigned by us"),
	    `proof names the cosigner: ${proof[1]}`);
	await shot(ru, "06-peer-sees-ack");

	step = "link health";
	await us.click('.tab[data-view="links"]');
	await us.waitForSelector('.peer[data-peer="ru"] .link.up', { timeout: T });
	await us.waitForSelector("#check-stats", { timeout: T });
	await us.waitForSelector('.peer[data-peer="ru"] svg', { timeout: T });
	await shot(us, "07-links");

	step = "a request without the CSRF token is refused";
	const nrrcCount = async () => us.evaluate(async () => (await (await fetch(
	    "/v1/messages?channel=nrrc&limit=1000")).json()).messages.length);
	const before = await nrrcCount();
	const noToken = await us.evaluate(async () => {
		const r = await fetch("/v1/messages", { method: "POST",
		    headers: { "Content-Type": "application/json",
			"X-Hotline-Console": "1" },
		    body: JSON.stringify({ to: "ru", channel: "nrrc", kind: "text",
			body: { text: "forged" } }) });
		return [r.status, (await r.json()).error];
	});
	check(noToken[0] === 403 && /CSRF/.test(noToken[1]),
	    `POST without CSRF token: ${noToken}`);

	step = "a cross-site request is refused";
	// A page of another site posting a form into the console's origin
	// (the classic JSON-in-text/plain forgery).
	const evil = await ctxUs.newPage();
	await evil.setContent(`<form id=f method=POST enctype="text/plain"
	    action="${env.US_URL}/v1/messages"><input name='{"to":"ru","channel":"nrrc","kind":"text","body":{"x":"' value='"}}'></form>`);
	const [resp] = await Promise.all([
		evil.waitForResponse((r) => r.url().endsWith("/v1/messages"),
		    { timeout: T }),
		evil.evaluate(() => document.getElementById("f").submit()),
	]);
	check(resp.status() === 401 || resp.status() === 403,
	    `cross-site form answered ${resp.status()}`);
	log(`cross-site form post answered ${resp.status()}`);
	check(await nrrcCount() === before, "nothing was sent by the forgeries");
	await evil.close();

	step = "a CERT analyst cannot open the direct line";
	const ctxCarl = await newCtx();
	const carl = await ctxCarl.newPage();
	await login(carl, env.US_URL, "carl", false);
	check(!(await carl.isVisible(`#inbox-body tr[data-id="${env.DIRECT_ID}"]`)),
	    "direct message not listed for the CERT analyst");
	await carl.click('.tab[data-view="compose"]');
	const channels = await carl.$$eval("#c-channel option", (os) =>
	    os.map((o) => o.value));
	check(channels.length === 1 && channels[0] === "cert",
	    `CERT analyst's channels: ${channels}`);
	const denied = await carl.evaluate(async (id) => {
		const s = await (await fetch("/v1/session")).json();
		const h = { "Content-Type": "application/json",
		    "X-CSRF-Token": s.csrf, "X-Hotline-Console": "1" };
		const a = await fetch("/v1/messages/" + id);
		const b = await fetch("/v1/messages?channel=direct");
		const c = await fetch("/v1/messages", { method: "POST", headers: h,
		    body: JSON.stringify({ to: "ru", channel: "direct",
			kind: "text", precedence: "flash", body: { text: "x" } }) });
		return [a.status, b.status, c.status];
	}, env.DIRECT_ID);
	check(denied.every((s) => s === 403), `direct line for CERT: ${denied}`);
	await carl.click('.tab[data-view="indicators"]');
	await carl.waitForSelector("#indicators-body tr", { timeout: T });
	const ind = await carl.textContent("#indicators-body tr");
	check(ind.includes("198.51.100.7") && ind.includes("GREEN") &&
	    ind.trim().endsWith("3"), `indicator row: ${ind}`);
	await shot(carl, "08-cert-analyst-indicators");

	step = "a structured NRRC message is rendered in the reader's language";
	// ru sends from a template through its console session (issue 5).
	const tplId = await ru.evaluate(async () => {
		const { call } = await import("/console/api.js");
		const r = await call("POST", "/v1/notify", { to: "us",
		    template: "goodwill", precedence: "routine", exercise: true,
		    fields: { message: { text: "С Новым годом, коллеги",
			lang: "ru" } } });
		return r.id;
	});
	check(/^[0-9a-f]{64}$/.test(tplId), `notify id: ${tplId}`);
	await us.click('.tab[data-view="inbox"]');
	const tplRow = `#inbox-body tr[data-id="${tplId}"]`;
	await us.waitForSelector(tplRow, { timeout: T });
	await us.click(tplRow);
	// The pane re-renders on events (it shows "…" until the daemon's
	// rendering arrives): read the text in the same step that finds it.
	const rendered = await (await us.waitForFunction(() => {
		const t = document.getElementById("rendered")?.textContent ?? "";
		return /MESSAGE OF GOODWILL/.test(t) ? t : null;
	}, null, { timeout: T })).jsonValue();
	check(rendered.includes("С Новым годом, коллеги") &&
	    rendered.includes("written in: Russian") &&
	    rendered.includes("EXERCISE"), `rendering (en): ${rendered}`);
	await us.click("#lang");
	await us.waitForFunction(() => document.documentElement.lang === "ru",
	    null, { timeout: T });
	await us.click(tplRow);
	const renderedRu = await (await us.waitForFunction(() => {
		const t = document.getElementById("rendered")?.textContent ?? "";
		return /ПОСЛАНИЕ ДОБРОЙ ВОЛИ/.test(t) ? t : null;
	}, null, { timeout: T })).jsonValue();
	check(renderedRu.includes("С Новым годом, коллеги"),
	    `free text as written in ru too: ${renderedRu}`);
	await shot(us, "09-rendered-ru");
	await us.click("#lang");	// back to English

	step = "keyboard: Alt+1 back to the inbox, arrows move";
	await us.keyboard.press("Alt+1");
	await us.waitForSelector("#view-inbox", { state: "visible", timeout: T });
	log("all checks passed");
	await browser.close();
	process.exit(0);
} catch (e) {
	console.error(`[browser] FAILED at "${step}": ${e.stack || e}`);
	await browser.close().catch(() => {});
	process.exit(1);
}
