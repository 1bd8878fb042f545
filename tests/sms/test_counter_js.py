"""static/js/sms-counter.js agrees with smsmode.sms.encoding, character for character.

The browser shows the count; the server bills it. Any difference is a customer who is
told "1 SMS" and charged 2, so the JavaScript runs under node on the same inputs.
"""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from smsmode.sms.encoding import (
    REPLACEMENTS,
    analyze,
    replace_unicode,
    split_segments,
    suggest_replacements,
)

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None, reason="node is not installed: cannot run sms-counter.js"
)

ROOT = Path(__file__).resolve().parents[2]
COUNTER_JS = ROOT / "static" / "js" / "sms-counter.js"
VECTORS = json.loads((Path(__file__).parent / "vectors.json").read_text(encoding="utf-8"))[
    "vectors"
]

RUNNER = """
const fs = require("fs");
const counter = require(process.argv[2]);
const texts = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const results = texts.map((text) => ({
  analysis: counter.analyze(text),
  parts: counter.splitSegments(text),
  suggestions: Object.entries(counter.suggestReplacements(text)),
  replaced: counter.replaceUnicode(text),
}));
process.stdout.write(JSON.stringify(results));
"""

GSM = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = "\f^{}\\[~]|€"
ACCENTED = "áíóúçâêîôûëïœÁÊ"
EMOJI = ["😀", "🎉", "👍", "🏽", "🇫", "🇷", "\u200d", "\ufe0f", "❤", "\U00010348"]
CULPRITS = "".join(REPLACEMENTS)


def run_node(texts: list[str], tmp_path: Path) -> list[dict]:
    script = tmp_path / "runner.js"
    script.write_text(RUNNER, encoding="utf-8")
    inputs = tmp_path / "texts.json"
    inputs.write_text(json.dumps(texts), encoding="utf-8")
    completed = subprocess.run(
        [NODE, str(script), str(COUNTER_JS), str(inputs)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=120,
    )
    return json.loads(completed.stdout)


def python_result(text: str) -> dict:
    return {
        "analysis": analyze(text).as_dict(),
        "parts": split_segments(text),
        # Pairs, not a dict: the order of the suggestions is part of the contract.
        "suggestions": [list(pair) for pair in suggest_replacements(text).items()],
        "replaced": replace_unicode(text),
    }


def random_texts(count: int, seed: int) -> list[str]:
    """Texts near the part boundaries: lengths up to ~2 parts, pools weighted to mix."""
    rng = random.Random(seed)
    pools = [
        (GSM, 50),
        (EXTENSION, 10),
        (ACCENTED, 3),
        (EMOJI, 3),
        (CULPRITS, 4),
    ]
    texts = []
    for index in range(count):
        # A third stay GSM-only, so the GSM-7 boundaries get as many tries as UCS-2.
        usable = pools[:2] if index % 3 == 0 else pools
        chars, weights = zip(*usable, strict=True)
        length = rng.choice([rng.randint(0, 20), rng.randint(60, 80), rng.randint(130, 330)])
        texts.append("".join(rng.choice(rng.choices(chars, weights)[0]) for _ in range(length)))
    return texts


def test_vectors_match_python_and_the_expected_counts(tmp_path: Path) -> None:
    texts = [vector["text"] for vector in VECTORS]
    for vector, result in zip(VECTORS, run_node(texts, tmp_path), strict=True):
        assert result == python_result(vector["text"]), vector["name"]
        assert result["analysis"] == vector["expected"], vector["name"]


def test_random_texts_match_python(tmp_path: Path) -> None:
    texts = random_texts(300, seed=20240611)
    assert any(analyze(text).encoding == "GSM7" and analyze(text).segments > 1 for text in texts)
    assert any(analyze(text).encoding == "UCS2" and analyze(text).segments > 1 for text in texts)
    for text, result in zip(texts, run_node(texts, tmp_path), strict=True):
        assert result == python_result(text), repr(text)


def test_every_character_is_classified_alike(tmp_path: Path) -> None:
    # Each BMP character alone, and a few beyond it: the two alphabets and replacement
    # tables must be identical, not merely agree on the texts someone thought of.
    texts = [chr(cp) for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF]
    texts += [chr(cp) for cp in (0x10000, 0x1F600, 0x1F3FD, 0x10FFFF)]
    for text, result in zip(texts, run_node(texts, tmp_path), strict=True):
        assert result == python_result(text), f"U+{ord(text):04X}"


def test_it_works_as_a_browser_global(tmp_path: Path) -> None:
    # No module, no require: the way a <script src> tag loads it.
    script = tmp_path / "browser.js"
    script.write_text(
        """
const fs = require("fs");
const vm = require("vm");
const window = {};
vm.createContext(window);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), window);
process.stdout.write(JSON.stringify(window.SmsCounter.analyze("Prix : 10 €")));
""",
        encoding="utf-8",
    )
    completed = subprocess.run(
        [NODE, str(script), str(COUNTER_JS)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=60,
    )
    assert json.loads(completed.stdout) == analyze("Prix : 10 €").as_dict()
