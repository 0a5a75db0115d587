// Dalili phone simulator: each action is POSTed to /simulator/send, which replays it as the provider's
// webhook (training mode); replies are recorded by the worker and polled from /simulator/replies.
"use strict";

(() => {
  const root = document.getElementById("simulator");
  if (!root) {
    return;
  }
  const sendUrl = root.dataset.sendUrl;
  const repliesUrl = root.dataset.repliesUrl;
  const phoneField = document.getElementById("phone-number");
  const log = document.getElementById("log");

  const POLL_MS = 1000;
  const POLL_TRIES = 15;
  const PROVIDERS = { twilio: "Twilio", africastalking: "Africa's Talking" };
  const KINDS = { sms: "an SMS", whatsapp: "a WhatsApp message", missed_call: "a missed call" };

  const seen = new Map(); // phone number -> replies already shown for it

  // -- log ---------------------------------------------------------------------------------------

  function entry(kind, label, text) {
    const item = document.createElement("li");
    item.className = `entry ${kind}`;
    const head = document.createElement("span");
    head.className = "label";
    head.textContent = label;
    item.append(head);
    if (text) {
      const body = document.createElement("pre");
      body.textContent = text; // never innerHTML: the text is whatever was typed or answered
      item.append(body);
    }
    log.append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  document.getElementById("log-clear").addEventListener("click", () => log.replaceChildren());

  // -- server ------------------------------------------------------------------------------------

  async function call(url, options = {}) {
    const response = await fetch(url, {
      ...options,
      headers: { Accept: "application/json", ...(options.headers || {}) },
    });
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = {};
    }
    if (!response.ok) {
      throw new Error(data.error || `HTTP ${response.status}`);
    }
    return data;
  }

  function send(action) {
    return call(sendUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(action),
    });
  }

  async function fetchReplies(phone) {
    const data = await call(`${repliesUrl}?${new URLSearchParams({ phone })}`);
    return data.replies || [];
  }

  function showReplies(phone, replies) {
    const shown = seen.get(phone) || 0;
    for (const reply of replies.slice(shown)) {
      entry("reply", `Reply to her phone (${reply.channel})`, reply.text);
    }
    seen.set(phone, Math.max(shown, replies.length));
    return replies.length > shown;
  }

  async function baseline(phone) {
    // Replies recorded before this page was opened belong to earlier sessions: do not show them.
    if (!seen.has(phone)) {
      seen.set(phone, (await fetchReplies(phone)).length);
    }
  }

  function pause(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async function awaitReply(phone) {
    for (let attempt = 0; attempt < POLL_TRIES; attempt += 1) {
      await pause(POLL_MS);
      if (showReplies(phone, await fetchReplies(phone))) {
        return;
      }
    }
    entry("note", "No reply yet: some messages get none (the panic word, a number that opted out).");
  }

  function showAnswer(data) {
    const body = data.response === "" ? "(empty body)" : data.response;
    entry(data.status === 200 ? "webhook" : "error", `Webhook answered ${data.status}`, body);
  }

  async function busy(button, work) {
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      entry("error", "Not sent", error.message);
    } finally {
      button.disabled = false;
    }
  }

  // -- tabs --------------------------------------------------------------------------------------

  const tabs = Array.from(document.querySelectorAll('[role="tab"]'));

  function select(tab) {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
    tab.focus();
  }

  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const index = tabs.indexOf(tab);
      const moves = {
        ArrowRight: (index + 1) % tabs.length,
        ArrowLeft: (index - 1 + tabs.length) % tabs.length,
        Home: 0,
        End: tabs.length - 1,
      };
      if (event.key in moves) {
        event.preventDefault();
        select(tabs[moves[event.key]]);
      }
    });
  }

  // -- SMS, WhatsApp, missed call ------------------------------------------------------------------

  for (const form of document.querySelectorAll("form[data-kind]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const fields = new FormData(form);
      const kind = form.dataset.kind;
      const phone = phoneField.value.trim();
      const action = { kind, phone, provider: fields.get("provider") };
      if (fields.has("text")) {
        action.text = String(fields.get("text"));
      }
      for (const name of ["lat", "lon"]) {
        const value = String(fields.get(name) || "").trim();
        if (value !== "") {
          action[name] = value;
        }
      }
      busy(form.querySelector('button[type="submit"]'), async () => {
        await baseline(phone);
        const pin = "lat" in action || "lon" in action ? `\nPin: ${action.lat || "?"}, ${action.lon || "?"}` : "";
        entry("out", `She sends ${KINDS[kind]} via ${PROVIDERS[action.provider]}`, (action.text || "") + pin);
        const data = await send(action);
        showAnswer(data);
        showReplies(phone, data.replies || []);
        if (kind !== "missed_call" && data.status === 200) {
          await awaitReply(phone);
        }
      });
    });
  }

  // -- USSD ----------------------------------------------------------------------------------------

  const screen = document.getElementById("ussd-screen");
  const input = document.getElementById("ussd-input");
  const dial = document.getElementById("ussd-dial");
  const sendButton = document.getElementById("ussd-send");
  const endButton = document.getElementById("ussd-end");
  const keys = Array.from(document.querySelectorAll(".keypad button"));
  const ussd = { session: null, phone: "", inputs: [], last: "", started: 0 };

  function open(isOpen) {
    for (const control of [input, sendButton, endButton, ...keys]) {
      control.disabled = !isOpen;
    }
    dial.disabled = isOpen;
    phoneField.readOnly = isOpen; // one session, one phone
    if (isOpen) {
      input.focus();
    }
  }

  function close(message) {
    ussd.session = null;
    ussd.inputs = [];
    ussd.last = "";
    open(false);
    if (message) {
      screen.textContent = message;
    }
  }

  async function hop() {
    const data = await send({
      kind: "ussd",
      provider: "africastalking",
      phone: ussd.phone,
      session: ussd.session,
      text: ussd.inputs.join("*"),
      duration_ms: Date.now() - ussd.started,
    });
    if (data.status !== 200) {
      showAnswer(data);
      close("The session failed. Press Dial to try again.");
      return;
    }
    ussd.session = data.session;
    ussd.last = data.response;
    screen.textContent = data.response.replace(/^(CON|END) /, "");
    entry("webhook", `USSD screen (${data.response.slice(0, 3)})`, screen.textContent);
    if (data.response.startsWith("END")) {
      close();
    } else {
      open(true);
    }
  }

  function settle() {
    open(ussd.session !== null);
  }

  dial.addEventListener("click", () => {
    ussd.phone = phoneField.value.trim();
    ussd.session = null;
    ussd.inputs = [];
    ussd.started = Date.now();
    entry("out", `She dials ${root.dataset.serviceCode}`);
    busy(dial, hop).then(settle);
  });

  document.getElementById("form-ussd").addEventListener("submit", (event) => {
    event.preventDefault();
    const answer = input.value;
    if (!ussd.session || answer === "") {
      return;
    }
    ussd.inputs.push(answer);
    input.value = "";
    entry("out", "She answers", answer);
    busy(sendButton, hop).then(settle);
  });

  endButton.addEventListener("click", () => {
    const ending = { ...ussd };
    close("She hung up. Press Dial to start again.");
    entry("out", "She hangs up");
    busy(dial, async () => {
      const data = await send({
        kind: "ussd_end",
        provider: "africastalking",
        phone: ending.phone,
        session: ending.session,
        text: ending.inputs.join("*"),
        screen: ending.last,
        duration_ms: Date.now() - ending.started,
      });
      showAnswer(data);
    });
  });

  for (const key of keys) {
    key.addEventListener("click", () => {
      input.value = key.dataset.key === "back" ? input.value.slice(0, -1) : input.value + key.dataset.key;
      input.focus();
    });
  }
})();
