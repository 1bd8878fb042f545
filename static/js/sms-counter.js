// SMS counter: the twin of smsmode/sms/encoding.py, for the live count under a textarea.
// The server's count is the one billed; this one must agree with it character for
// character (tests/sms/test_counter_js.py checks both against tests/sms/vectors.json and
// against each other), so change the two files together.
// No dependencies: a browser global (window.SmsCounter) or a CommonJS module under node.
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.SmsCounter = factory();
  }
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  // GSM 03.38 default alphabet in septet order, without 0x1B (the escape itself).
  // 0x09 is Ç: "ç" is not GSM.
  const GSM_BASIC = new Set(
    "@£$¥èéùìòÇ\nØø\rÅå" +
      "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ" +
      " !\"#¤%&'()*+,-./" +
      "0123456789:;<=>?" +
      "¡ABCDEFGHIJKLMNO" +
      "PQRSTUVWXYZÄÖÑÜ§" +
      "¿abcdefghijklmno" +
      "pqrstuvwxyzäöñüà"
  );
  // Extension table: escape + code, two septets each.
  const GSM_EXTENSION = new Set("\f^{}\\[~]|€");

  const SINGLE_PART = { GSM7: 160, UCS2: 70 };
  const MULTI_PART = { GSM7: 153, UCS2: 67 };

  // Same table as REPLACEMENTS in encoding.py: typographic look-alikes only.
  const REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u2039": "'", "\u203a": "'", "\u0060": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-",
    "\t": " ", "\u00a0": " ", "\u2000": " ", "\u2001": " ", "\u2002": " ",
    "\u2003": " ", "\u2004": " ", "\u2005": " ", "\u2006": " ", "\u2007": " ",
    "\u2008": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u205f": " ",
    "\u3000": " ",
    "\u00ad": "", "\u200b": "", "\u2060": "", "\ufeff": "",
  };
  const hasReplacement = (ch) => Object.prototype.hasOwnProperty.call(REPLACEMENTS, ch);

  function isGsmChar(ch) {
    return GSM_BASIC.has(ch) || GSM_EXTENSION.has(ch);
  }

  // Code points, not UTF-16 units: for...of keeps a surrogate pair together.
  function codePoints(text) {
    return Array.from(text);
  }

  function unicodeChars(chars) {
    const seen = new Set();
    for (const ch of chars) {
      if (!isGsmChar(ch)) seen.add(ch);
    }
    return Array.from(seen); // a Set keeps insertion order
  }

  function weight(ch, encoding) {
    if (encoding === "GSM7") return GSM_EXTENSION.has(ch) ? 2 : 1;
    return ch.length; // 2 for a surrogate pair
  }

  // [start, end, units] of each part, indexes into the code point array: one part if
  // it fits, else filled greedily so that no character straddles two parts.
  function partBounds(chars, encoding) {
    let total = 0;
    for (const ch of chars) total += weight(ch, encoding);
    if (total === 0) return [];
    if (total <= SINGLE_PART[encoding]) return [[0, chars.length, total]];
    const limit = MULTI_PART[encoding];
    const bounds = [];
    let start = 0;
    let used = 0;
    chars.forEach((ch, index) => {
      const w = weight(ch, encoding);
      if (used + w > limit) {
        bounds.push([start, index, used]);
        start = index;
        used = 0;
      }
      used += w;
    });
    bounds.push([start, chars.length, used]);
    return bounds;
  }

  function analyze(text) {
    const chars = codePoints(text);
    const unicode = unicodeChars(chars);
    const encoding = unicode.length ? "UCS2" : "GSM7";
    const bounds = partBounds(chars, encoding);
    let units = 0;
    for (const part of bounds) units += part[2];
    const perSegment = bounds.length > 1 ? MULTI_PART[encoding] : SINGLE_PART[encoding];
    const lastUnits = bounds.length ? bounds[bounds.length - 1][2] : 0;
    return {
      encoding: encoding,
      characters: chars.length,
      units: units,
      segments: bounds.length,
      per_segment: perSegment,
      remaining: perSegment - lastUnits,
      unicode_chars: unicode,
    };
  }

  function splitSegments(text) {
    const chars = codePoints(text);
    const encoding = unicodeChars(chars).length ? "UCS2" : "GSM7";
    return partBounds(chars, encoding).map((part) => chars.slice(part[0], part[1]).join(""));
  }

  function suggestReplacements(text) {
    const suggestions = {};
    for (const ch of text) {
      if (hasReplacement(ch)) suggestions[ch] = REPLACEMENTS[ch];
    }
    return suggestions;
  }

  function replaceUnicode(text) {
    let out = "";
    for (const ch of text) out += hasReplacement(ch) ? REPLACEMENTS[ch] : ch;
    return out;
  }

  return {
    analyze: analyze,
    isGsmChar: isGsmChar,
    splitSegments: splitSegments,
    suggestReplacements: suggestReplacements,
    replaceUnicode: replaceUnicode,
  };
});
