// api.js: the console's calls to the daemon's API over the same HTTPS
// origin. The session cookie travels by itself (HttpOnly, SameSite=Strict);
// every state-changing request carries the session's CSRF token, which lives
// only in this module's memory. X-Hotline-Console keeps the browser from
// showing its Basic-auth dialog on a 401.

let csrf = null;

export class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

export function setCsrf(token) { csrf = token; }

export async function call(method, path, body) {
	const headers = { "X-Hotline-Console": "1", "Accept": "application/json" };
	const init = { method, headers, credentials: "same-origin",
	    cache: "no-store" };
	if (body !== undefined) {
		headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(body);
	}
	if (method !== "GET" && method !== "HEAD" && csrf)
		headers["X-CSRF-Token"] = csrf;
	const r = await fetch(path, init);
	let obj = null;
	try {
		obj = await r.json();
	} catch (e) {
		obj = null;
	}
	if (!r.ok)
		throw new ApiError(r.status, obj && obj.error ? obj.error :
		    `HTTP ${r.status}`);
	return obj;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});
