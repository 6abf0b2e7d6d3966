// alarm.js: the audible alarm for FLASH arrivals and overdue messages: a
// two-tone beep every 2 s through Web Audio (no sound file), until silenced
// or until nothing is alarming any more. Browsers allow sound only after a
// user gesture; unlock() is called from one (login, a click), and
// needsUnlock() tells the page to offer a button.

let ctx = null;
let timer = null;
let silencedFor = new Set();

export function unlock() {
	try {
		if (!ctx)
			ctx = new AudioContext();
		if (ctx.state === "suspended")
			ctx.resume();
	} catch (e) {
		ctx = null;
	}
}

export function needsUnlock() {
	return !ctx || ctx.state !== "running";
}

function beep() {
	if (!ctx || ctx.state !== "running")
		return;
	const now = ctx.currentTime;
	for (const [i, f] of [[0, 880], [1, 660]]) {
		const o = ctx.createOscillator();
		const g = ctx.createGain();
		o.frequency.value = f;
		g.gain.setValueAtTime(0.25, now + i * 0.25);
		g.gain.setValueAtTime(0, now + i * 0.25 + 0.2);
		o.connect(g).connect(ctx.destination);
		o.start(now + i * 0.25);
		o.stop(now + i * 0.25 + 0.22);
	}
}

// keys: ids of the messages alarming now. Sound plays while any of them
// has not been silenced.
export function update(keys) {
	for (const k of [...silencedFor])
		if (!keys.includes(k))
			silencedFor.delete(k);
	const loud = keys.some((k) => !silencedFor.has(k));
	if (loud && !timer) {
		beep();
		timer = setInterval(beep, 2000);
	} else if (!loud && timer) {
		clearInterval(timer);
		timer = null;
	}
	return loud;
}

export function silence(keys) {
	for (const k of keys)
		silencedFor.add(k);
	update(keys);
}

export function playing() { return timer !== null; }
