// i18n.js: the console's words in English and Russian. Elements with
// data-i18n="key" get their text from here; code uses t(key). The choice is
// kept in localStorage. Message bodies are shown as written, with their
// language marked; structured NRRC rendering (issue 5) plugs in here.

const words = {
	en: {
		title: "hotline watch floor", skip: "Skip to the inbox",
		logout: "Log out", silence: "Silence alarm",
		enable_sound: "Enable alarm sound",
		login_title: "Log in", name: "Account", password: "Password",
		login: "Log in",
		tab_inbox: "Inbox", tab_compose: "Compose",
		tab_links: "Link health", tab_indicators: "Indicators",
		inbox: "Inbox",
		inbox_hint: "Most urgent first. Arrow keys move, Enter opens.",
		inbox_empty: "No messages.", detail_hint: "Select a message.",
		col_prec: "Precedence", col_channel: "Channel", col_kind: "Kind",
		col_peer: "Peer", col_time: "Time (UTC)", col_state: "State",
		col_deadline: "Ack deadline", col_source: "Source",
		col_type: "Type", col_object: "Object",
		compose: "Compose", to: "To", channel: "Channel", kind: "Kind",
		precedence: "Precedence", subject: "Subject", text: "Text",
		text_lang: "Language of the text", exercise: "Exercise",
		send: "Send", links: "Link health", indicators: "Indicator feed",
		k_notification: "notification", k_inquiry: "inquiry",
		k_response: "response", k_text: "text",
		k_ping: "communication check", "k_stix-bundle": "STIX bundle",
		k_ack: "acknowledgment", k_pong: "check answer",
		st_queued: "queued", st_sent: "sent", st_delivered: "delivered",
		st_acknowledged: "acknowledged", st_received: "received",
		ev_accepted: "accepted", ev_sent: "sent",
		ev_delivered: "delivered (receiver's time)",
		ev_received: "received", ev_acknowledged: "acknowledged",
		exercise_tag: "EXERCISE", overdue: "OVERDUE",
		left: "left", ack_by: "by", operator: "operator",
		from: "From", id: "Id", created: "Created (sender)",
		received: "Received", state: "State", history: "Delivery history",
		proof: "Transparency proof", proof_none:
		    "not available: this node has no transparency log yet",
		note: "Note (optional)", reply: "Reply (optional)",
		ack: "Acknowledge", ack_reply: "Acknowledge and reply",
		acked_ok: "Acknowledged.", sent_ok: "Sent: ",
		err_required: "Fill in every field.",
		err_long: "The text is too long.",
		alarm_flash: "FLASH received: ", alarm_overdue: "OVERDUE: ",
		conn_live: "live", conn_lost: "CONNECTION LOST, reconnecting",
		up: "UP", down: "DOWN", rtt: "RTT", queue: "queue",
		last_seen: "last heartbeat", since: "since",
		link_events: "Recent link events", rtt_history: "RTT, last 10 minutes",
		deadlines_default: "deadlines: design defaults",
		lang_of_text: "text in", receipt: "receipt", signed_by: "signed by",
		proof_witnessed: "✓ in a checkpoint the peer has cosigned",
		proof_checkpointed: "in a signed checkpoint, not yet cosigned",
		proof_logged: "in the log; no checkpoint covers it yet",
		proof_not_in_log: "not in the log", proof_no_log: "no log",
		leaf: "leaf", checkpoint: "checkpoint", cosigned_by: "cosigned by",
		template: "Template", free_text: "free text (no template)",
		preview: "Preview", ref: "In reply to (message id)",
		col_sightings: "Sightings", chk_title: "Communication checks",
		chk_sent: "sent by us", chk_received: "received from peers",
		chk_answered: "answered", chk_median: "median answer",
		chk_slowest: "slowest",
		no_rights: "Your role cannot send on any channel.",
	},
	ru: {
		title: "hotline — дежурная смена", skip: "Перейти к входящим",
		logout: "Выйти", silence: "Выключить сигнал",
		enable_sound: "Включить звуковой сигнал",
		login_title: "Вход", name: "Учётная запись", password: "Пароль",
		login: "Войти",
		tab_inbox: "Входящие", tab_compose: "Составить",
		tab_links: "Состояние связи", tab_indicators: "Индикаторы",
		inbox: "Входящие",
		inbox_hint: "Срочные сверху. Стрелки — выбор, Enter — открыть.",
		inbox_empty: "Сообщений нет.", detail_hint: "Выберите сообщение.",
		col_prec: "Срочность", col_channel: "Канал", col_kind: "Тип",
		col_peer: "Сторона", col_time: "Время (UTC)", col_state: "Статус",
		col_deadline: "Срок подтверждения", col_source: "Источник",
		col_type: "Тип", col_object: "Объект",
		compose: "Новое сообщение", to: "Кому", channel: "Канал",
		kind: "Тип", precedence: "Срочность", subject: "Тема",
		text: "Текст", text_lang: "Язык текста", exercise: "Учения",
		send: "Отправить", links: "Состояние связи",
		indicators: "Лента индикаторов",
		k_notification: "уведомление", k_inquiry: "запрос",
		k_response: "ответ", k_text: "текст",
		k_ping: "проверка связи", "k_stix-bundle": "пакет STIX",
		k_ack: "подтверждение", k_pong: "ответ на проверку",
		st_queued: "в очереди", st_sent: "отправлено",
		st_delivered: "доставлено", st_acknowledged: "подтверждено",
		st_received: "получено",
		ev_accepted: "принято", ev_sent: "отправлено",
		ev_delivered: "доставлено (время получателя)",
		ev_received: "получено", ev_acknowledged: "подтверждено",
		exercise_tag: "УЧЕНИЯ", overdue: "ПРОСРОЧЕНО",
		left: "осталось", ack_by: "кем", operator: "оператор",
		from: "От", id: "Идентификатор", created: "Создано (отправитель)",
		received: "Получено", state: "Статус",
		history: "История доставки",
		proof: "Доказательство в журнале", proof_none:
		    "недоступно: журнала прозрачности на этом узле пока нет",
		note: "Примечание (необязательно)",
		reply: "Ответ (необязательно)",
		ack: "Подтвердить", ack_reply: "Подтвердить и ответить",
		acked_ok: "Подтверждено.", sent_ok: "Отправлено: ",
		err_required: "Заполните все поля.",
		err_long: "Текст слишком длинный.",
		alarm_flash: "ПОЛУЧЕНО МОЛНИЯ: ", alarm_overdue: "ПРОСРОЧЕНО: ",
		conn_live: "на связи", conn_lost: "СВЯЗЬ ПОТЕРЯНА, переподключение",
		up: "ЕСТЬ", down: "НЕТ", rtt: "RTT", queue: "очередь",
		last_seen: "последний сигнал", since: "с",
		link_events: "Последние события связи",
		rtt_history: "RTT, последние 10 минут",
		deadlines_default: "сроки: по умолчанию",
		lang_of_text: "текст на языке", receipt: "квитанция",
		signed_by: "подписана",
		col_sightings: "Обнаружения", chk_title: "Проверки связи",
		template: "Шаблон", free_text: "свободный текст (без шаблона)",
		preview: "Предпросмотр", ref: "В ответ на (идентификатор)",
		proof_witnessed: "✓ в контрольной точке, заверенной другой стороной",
		proof_checkpointed: "в подписанной контрольной точке, ещё не заверенной",
		proof_logged: "в журнале; контрольной точки пока нет",
		proof_not_in_log: "нет в журнале", proof_no_log: "журнала нет",
		leaf: "лист", checkpoint: "контрольная точка",
		cosigned_by: "заверена",
		chk_sent: "отправлено нами", chk_received: "получено от сторон",
		chk_answered: "с ответом", chk_median: "медиана ответа",
		chk_slowest: "самый медленный",
		signed_by: "подписана",
		no_rights: "Ваша роль не может отправлять сообщения.",
	},
};

const precWords = {
	en: { flash: "FLASH", immediate: "IMMEDIATE", priority: "PRIORITY",
	    routine: "ROUTINE" },
	ru: { flash: "МОЛНИЯ", immediate: "НЕМЕДЛЕННО", priority: "СРОЧНО",
	    routine: "ОБЫЧНОЕ" },
};
const channelWords = {
	en: { direct: "direct line", nrrc: "NRRC", check: "comm. check",
	    wg: "working group", cert: "CERT" },
	ru: { direct: "прямая линия", nrrc: "НЦУЯО", check: "проверка связи",
	    wg: "рабочая группа", cert: "CERT" },
};

let lang = localStorage.getItem("hotline-lang") === "ru" ? "ru" : "en";

export function t(key) {
	return words[lang][key] ?? words.en[key] ?? key;
}
export function tPrec(p) { return precWords[lang][p] ?? p; }
export function tChannel(c) { return channelWords[lang][c] ?? c; }
export function getLang() { return lang; }

// Put the words of the current language into the page.
export function applyLang() {
	document.documentElement.lang = lang;
	for (const el of document.querySelectorAll("[data-i18n]"))
		el.textContent = t(el.dataset.i18n);
	const b = document.getElementById("lang");
	if (b)
		b.textContent = lang === "en" ? "EN → RU" : "RU → EN";
}

export function toggleLang() {
	lang = lang === "en" ? "ru" : "en";
	localStorage.setItem("hotline-lang", lang);
	applyLang();
}
