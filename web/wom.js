// wom.js, the storefront script (SPEC §3.5). This is the readable source; the file wom serves is
// shared/tracking/static/wom.min.js, built from it by `make wom-js` (terser, pinned in package.json).
// The advocate's page (<div data-wom-advocate>) is drawn by web/wom-advocate.js, which this script loads
// from beside itself only on a page that has one, so every other page pays for none of it.
// No dependencies, no eval, no inline script or style: a CSP that allows wom's origin in script-src
// and connect-src allows all of it. What a store pastes: docs/wom-js.md.
(() => {
  const script = document.currentScript;
  // wom's API is the origin the script came from, unless the tag names another (data-wom-api).
  const base = (script.dataset.womApi || new URL(script.src).origin).replace(/\/$/, "");
  const KEYS = ["wom_click", "wom_ref"];
  // Click ids and codes are URL-safe: anything else is not ours, and never reaches a cookie.
  const VALUE = /^[\w.~:-]{1,128}$/;
  // channel: [button label, share page]; in the page, {u} is the link, {t} the block's message and
  // {m} the message then the link (for channels with a single text field).
  const CHANNELS = {
    whatsapp: ["WhatsApp", "https://wa.me/?text={m}"],
    facebook: ["Facebook", "https://facebook.com/sharer.php?u={u}"],
    x: ["X", "https://x.com/intent/tweet?text={t}&url={u}"],
    linkedin: ["LinkedIn", "https://linkedin.com/sharing/share-offsite/?url={u}"],
    telegram: ["Telegram", "https://t.me/share/url?url={u}&text={t}"],
    messenger: ["Messenger", "fb-messenger://share/?link={u}"],
    sms: ["SMS", "sms:?&body={m}"],
    email: ["Email", "mailto:?subject={t}&body={m}"],
    copy_link: ["Copy link"],
    native: ["Share…"], // the device's own share sheet (Web Share API), only where it has one
  };
  const gpc = navigator.globalPrivacyControl === true;
  // true: may store and send; null: consent required and not given yet; false: refused.
  let consent = script.dataset.womConsent == "required" ? null : true;
  const memory = {};
  const viewed = new Set();
  const encode = encodeURIComponent;

  const params = new URLSearchParams(location.search);
  for (const key of KEYS) {
    const value = params.get(key);
    if (value && VALUE.test(value)) memory[key] = value;
  }
  // A landing names a new referral: it replaces both stored values, even the one it lacks.
  const landed = KEYS.some((key) => memory[key]);

  // localStorage throws where the browser blocks it; the cookie (or memory) still holds the value.
  const local = (method, ...args) => {
    try {
      return localStorage[method](...args);
    } catch {}
  };
  const store = (key, value) => {
    // max-age=0 expires the cookie at once: that is how it is cleared. 2592000 s is 30 days.
    document.cookie = `${key}=${value || ""};max-age=${value ? 2592000 : 0};path=/;samesite=lax${location.protocol == "https:" ? ";secure" : ""}`;
    value ? local("setItem", key, value) : local("removeItem", key);
  };
  const stored = (key) => {
    const value = (document.cookie.match(`(?:^|; )${key}=([^;]*)`) || [])[1] || local("getItem", key);
    return VALUE.test(value) ? value : undefined;
  };
  // Under Global Privacy Control, or before consent, the values live only in this page's memory.
  const persist = () => {
    if (consent && !gpc) for (const key of KEYS) landed ? store(key, memory[key]) : (memory[key] = stored(key));
  };

  const send = (type, code, channel) => {
    // A string body is sent as text/plain, which needs no CORS preflight; /v1/events reads it as JSON.
    if (consent) navigator.sendBeacon(`${base}/v1/events`, JSON.stringify({ events: [{ type, code, channel, event_id: crypto.getRandomValues(new Uint32Array(4)).join("-") }] }));
  };

  const share = (code, channel, link = `${base}/r/${encode(code)}`, text = "") => {
    send("share", code, channel == "native" ? "other" : channel);
    if (channel == "copy_link") return navigator.clipboard.writeText(link);
    if (channel == "native") return navigator.share({ url: link, text });
    const page = (CHANNELS[channel] || [])[1];
    const fields = { u: link, t: text, m: text ? `${text} ${link}` : link };
    // Share pages open in a new tab; sms:, mailto: and app links hand over to the device.
    if (page) open(page.replace(/{(\w)}/g, (_, field) => encode(fields[field])), page[0] == "h" ? "_blank" : "_self", "noopener");
  };

  // An element with a class and children (nodes or text).
  const make = (tag, className, ...children) => {
    const node = document.createElement(tag);
    node.className = className;
    node.append(...children);
    return node;
  };

  const button = (code, channel, link, text) => {
    const label = CHANNELS[channel][0];
    const node = make("button", `wom-share wom-share--${channel}`, label);
    node.type = "button"; // never submits a form it sits in
    node.dataset.womChannel = channel;
    node.onclick = () => {
      const done = share(code, channel, link, text);
      if (channel == "copy_link") done.then(() => {
        node.textContent = "Copied";
        setTimeout(() => (node.textContent = label), 2000);
      }, () => {});
    };
    return node;
  };

  // One view per code per page load, when a block first becomes visible.
  const views = window.IntersectionObserver && new IntersectionObserver((entries) => {
    for (const { target, isIntersecting } of entries) {
      if (isIntersecting && consent) {
        views.unobserve(target);
        if (!viewed.has(target._code)) viewed.add(target._code), send("view", target._code, "other");
      }
    }
  });

  const renderShare = (block, code = block.dataset.womShare, link = block.dataset.womLink, channels = block.dataset.womChannels || "whatsapp,facebook,x,email,sms,copy_link", text = block.dataset.womText) => {
    if (!block._code) {
      Object.assign(block, { _code: code, role: "group", ariaLabel: "Share" });
      for (let channel of channels.split(",")) {
        channel = channel.trim();
        if (CHANNELS[channel] && (channel != "native" || navigator.share)) block.append(button(code, channel, link, text));
      }
    }
    if (consent && views) views.observe(block); // again after consent: observing twice is harmless
  };

  const fillForm = (form) => {
    for (const key of KEYS) {
      if (memory[key]) (form.querySelector(`input[name=${key}]`) || form.appendChild(Object.assign(make("input", ""), { type: "hidden", name: key }))).value = memory[key];
    }
  };

  const scan = () => {
    document.querySelectorAll("[data-wom-share]").forEach((block) => renderShare(block));
    // The advocate's page part is loaded only by pages that have one, and only with consent: reading the
    // status is a request to wom. Until it has loaded, the placeholder makes a second scan a no-op.
    if (consent && document.querySelector("[data-wom-advocate]")) {
      if (!internals.advocate) {
        internals.advocate = () => {};
        document.head.append(Object.assign(document.createElement("script"), { src: new URL("wom-advocate.js", script.src) }));
      }
      internals.advocate();
    }
    document.querySelectorAll("form[data-wom]").forEach(fillForm);
  };

  // Capture phase: the inputs are in place before the store's own submit handlers read the form.
  document.addEventListener("submit", (event) => event.target.matches("form[data-wom]") && fillForm(event.target), true);

  // What wom-advocate.js builds with (not a public API).
  const internals = { base, encode, make, button, renderShare, consented: () => consent };
  window.wom = {
    _: internals,
    clickId: () => memory.wom_click || null,
    referralCode: () => memory.wom_ref || null,
    share: (code, channel) => share(code, channel),
    scan,
    consent(given) {
      consent = !!given;
      if (given) return persist(), scan();
      for (const key of KEYS) store(key), delete memory[key];
    },
  };
  persist();
  document.readyState == "loading" ? document.addEventListener("DOMContentLoaded", scan) : scan();
})();
