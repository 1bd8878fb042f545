"""Block validation and the rich-text sanitiser (landingpages.blocks)."""

import pytest

from landingpages.blocks import (
    BLOCK_TYPES,
    MAX_BLOCKS,
    MAX_TEXT,
    BlockError,
    clean_html,
    validate_block,
    validate_blocks,
)
from landingpages.starters import STARTERS, default_data, starter_blocks


def test_an_unknown_type_is_refused():
    with pytest.raises(BlockError) as error:
        validate_block("marquee", {"text": "hi"}, index=3)
    assert error.value.field == "type"
    assert error.value.index == 3


def test_a_missing_field_is_named():
    with pytest.raises(BlockError) as error:
        validate_block("button", {"label": "Go", "action": "link"})
    assert error.value.field == "target"


def test_an_unexpected_field_is_refused():
    with pytest.raises(BlockError) as error:
        validate_block("heading", {"text": "Hi", "onclick": "alert(1)"})
    assert error.value.field == "onclick"


def test_data_must_be_an_object():
    with pytest.raises(BlockError):
        validate_block("heading", ["Hi"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("block_type", "data", "field"),
    [
        ("heading", {"text": "x" * 121}, "text"),
        ("text", {"html": "<p>" + "x" * MAX_TEXT + "</p>"}, "html"),
        ("button", {"label": "x" * 61, "action": "link", "target": "https://a.example"}, "label"),
        ("coupon", {"code": "x" * 41}, "code"),
        ("map", {"address": "x" * 301}, "address"),
        ("form", {"consent_text": "x" * 301}, "consent_text"),
    ],
)
def test_oversized_text_is_refused(block_type, data, field):
    with pytest.raises(BlockError) as error:
        validate_block(block_type, data)
    assert error.value.field == field


def test_a_text_that_is_only_markup_is_empty():
    with pytest.raises(BlockError):
        validate_block("text", {"html": "<p><script>alert(1)</script></p>"})


def test_a_button_link_must_be_a_public_web_address():
    for target in ["javascript:alert(1)", "http://127.0.0.1/admin", "data:text/html,x"]:
        with pytest.raises(BlockError):
            validate_block("button", {"label": "Go", "action": "link", "target": target})
    with pytest.raises(BlockError):
        validate_block("button", {"label": "Call", "action": "call", "target": "not a number"})


def test_a_video_must_be_a_web_address():
    with pytest.raises(BlockError):
        validate_block("video", {"url": "javascript:alert(1)"})


def test_a_form_question_key_is_constrained():
    with pytest.raises(BlockError):
        validate_block("form", {"questions": [{"key": "Bad Key!", "label": "Q"}]})
    with pytest.raises(BlockError):
        validate_block("form", {"questions": [{"key": f"q{i}", "label": "Q"} for i in range(11)]})


def test_a_page_has_at_most_max_blocks():
    blocks = [{"type": "heading", "data": {"text": "Hi"}}] * (MAX_BLOCKS + 1)
    with pytest.raises(BlockError):
        validate_blocks(blocks)


def test_ids_are_kept_given_or_replaced_when_duplicate():
    blocks = validate_blocks(
        [
            {"id": "0123abcd", "type": "heading", "data": {"text": "A"}},
            {"id": "0123abcd", "type": "heading", "data": {"text": "B"}},
            {"type": "heading", "data": {"text": "C"}},
        ]
    )
    ids = [block["id"] for block in blocks]
    assert ids[0] == "0123abcd"
    assert len(set(ids)) == 3


def test_a_bad_block_in_a_list_is_named_by_its_index():
    with pytest.raises(BlockError) as error:
        validate_blocks(
            [{"type": "heading", "data": {"text": "A"}}, {"type": "heading", "data": {}}]
        )
    assert error.value.index == 1


# ---------------------------------------------------------------- the sanitiser

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<p onclick=alert(1) onmouseover=alert(1)>x</p>",
    '<form action="https://evil.example"><input name=x></form>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<base href=https://evil.example/>",
    "<!--<script>alert(1)</script>-->",
    "<<script>script>alert(1)<</script>/script>",
]


@pytest.mark.parametrize("payload", XSS)
def test_the_sanitiser_removes_every_way_to_run_script(payload):
    cleaned = clean_html(payload).lower()
    for danger in [
        "<script",
        "onerror",
        "onload",
        "onclick",
        "onmouseover",
        "javascript:",
        "vbscript:",
        "data:",
        "<svg",
        "<iframe",
        "<style",
        "style=",
        "<math",
        "<form",
        "<object",
        "<embed",
        "<meta",
        "<base",
        "<img",
        "<noscript",
    ]:
        assert danger not in cleaned, (payload, cleaned)
    # What the browser would decode in an attribute is gone too: only safe hrefs remain.
    assert "href=" not in cleaned or 'href="https://' in cleaned or 'href="http://' in cleaned


def test_the_sanitiser_keeps_the_allowed_formatting():
    html = (
        "<p>Hi <strong>bold</strong> <em>it</em> <b>b</b> <i>i</i> <u>u</u><br>"
        '<a href="https://shop.example/x?a=1&amp;b=2">shop</a> '
        '<a href="tel:+33123456789">call</a> <a href="mailto:a@shop.example">mail</a></p>'
        "<ul><li>one</li></ul><ol><li>two</li></ol>"
    )
    cleaned = clean_html(html)
    for kept in ["<strong>", "<em>", "<b>", "<i>", "<u>", "<br>", "<ul>", "<ol>", "<li>"]:
        assert kept in cleaned
    assert 'href="https://shop.example/x?a=1&amp;b=2"' in cleaned
    assert 'href="tel:+33123456789"' in cleaned
    assert 'href="mailto:a@shop.example"' in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned


def test_a_saved_text_block_is_sanitised():
    data = validate_block("text", {"html": '<p onclick="x">Hi<script>alert(1)</script></p>'})
    assert data["html"] == "<p>Hi</p>"


# ---------------------------------------------------------------- defaults and starters


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_every_default_block_validates(language):
    for block_type in BLOCK_TYPES:
        if block_type == "image":
            continue  # added with its image
        validate_block(block_type, default_data(block_type, language))


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", list(STARTERS))
def test_every_starter_validates(name, language):
    blocks = validate_blocks(starter_blocks(name, language))
    assert len(blocks) >= 4


def test_starters_follow_the_language():
    english = starter_blocks("promotion", "en")[0]["data"]["text"]
    french = starter_blocks("promotion", "fr")[0]["data"]["text"]
    assert english != french
    assert "week-end" in french


def test_the_three_starters_have_what_the_issue_promises():
    types = {name: {b["type"] for b in starter_blocks(name, "en")} for name in STARTERS}
    assert "coupon" in types["promotion"]
    assert {"form", "countdown"} <= types["event"]
    assert "map" in types["store"]
