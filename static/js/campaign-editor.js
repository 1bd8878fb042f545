// The campaign editor: the live SMS counter (the twin of smsmode/sms/encoding.py, with
// the STOP mention added for marketing and links counted as short URLs), merge-field buttons, one-click replacement of
// the characters that force Unicode, and the "Later" date field. The server counts
// again on save and at launch: this is a guide, never the bill.
(() => {
  const form = document.getElementById("campaign-form");
  if (!form || !window.SmsCounter) return;
  const body = form.querySelector("[data-sms-body]");
  const counter = form.querySelector("[data-sms-counter]");
  const mention = counter.dataset.stopMention;
  const kindInputs = Array.from(form.querySelectorAll("input[name=kind]"));
  const isMarketing = () => {
    const checked = kindInputs.find((input) => input.checked);
    return !checked || checked.value === "marketing";
  };
  // With the URL shortener, each link is sent as a short URL of this length (the
  // server validates the links and counts again; see shortener/tracking.py).
  const shortUrl = counter.dataset.shortUrl;
  const shorten = (value) => value.replace(/https?:\/\/[^\s<>"{}|\\^`]+/gi, (url) => {
    const trailing = url.match(/[.,;:!?'")\]]*$/)[0];
    return shortUrl + trailing;
  });
  const text = () => {
    let value = body.value.replace(/\r\n/g, "\n");
    if (shortUrl) value = shorten(value);
    if (!isMarketing()) return value;
    const trimmed = value.replace(/\s+$/, "");
    return trimmed ? `${trimmed}\n${mention}` : mention;
  };
  const show = (name, value) => { counter.querySelector(`[data-count=${name}]`).textContent = value; };
  const refresh = () => {
    const count = window.SmsCounter.analyze(text());
    show("characters", count.characters);
    show("encoding", count.encoding === "UCS2" ? "Unicode" : "GSM-7");
    show("segments", count.segments);
    show("remaining", count.remaining);
    counter.querySelector("[data-stop-note]").classList.toggle("d-none", !isMarketing());
    const warning = counter.querySelector("[data-unicode-warning]");
    warning.classList.toggle("d-none", count.encoding !== "UCS2");
    counter.querySelector("[data-unicode-chars]").textContent = count.unicode_chars.join(" ");
    const replaceable = Object.keys(window.SmsCounter.suggestReplacements(body.value)).length > 0;
    counter.querySelector("[data-replace-unicode]").classList.toggle("d-none", !replaceable);
  };
  const fire = () => body.dispatchEvent(new Event("input", { bubbles: true }));
  body.addEventListener("input", refresh);
  kindInputs.forEach((input) => input.addEventListener("change", refresh));
  form.querySelectorAll("[data-insert]").forEach((button) => {
    button.addEventListener("click", () => {
      const start = body.selectionStart ?? body.value.length;
      const end = body.selectionEnd ?? body.value.length;
      body.setRangeText(button.dataset.insert, start, end, "end");
      body.focus();
      fire();
    });
  });
  counter.querySelector("[data-replace-unicode]").addEventListener("click", () => {
    body.value = window.SmsCounter.replaceUnicode(body.value);
    fire();
  });
  refresh();
})();

// The send form: the date field matters only for "Later".
document.addEventListener("change", (event) => {
  if (event.target.name !== "when") return;
  const input = event.target.form.querySelector("input[name=at]");
  if (input && event.target.value === "later") input.focus();
});
