"""Telegram's HTML subset: parsed into plain text and entities, and shown as a reader sees it."""

from __future__ import annotations

import re
from typing import Any, Final, TypeAlias

JSONDict: TypeAlias = dict[str, Any]


class HtmlError(ValueError):
    """The text is not valid in Telegram's HTML subset."""


_HTML_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    # Real Telegram accepts it (custom emoji); rejecting it would be a false alarm.
    "tg-emoji": "custom_emoji",
}
_TAG_RE: Final = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[^\s=<>/\"']+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>]+))?)*)\s*>"
)
_ATTR_RE: Final = re.compile(
    r"([^\s=<>/\"']+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>]+)))?"
)
_CHAR_REF_RE: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_REFS: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def utf16_length(text: str) -> int:
    """The length in UTF-16 code units, as the Bot API counts entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def _unescape_attribute(value: str) -> str:
    return _CHAR_REF_RE.sub(lambda m: _decode_char_ref(m) or m.group(0), value)


def _decode_char_ref(match: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_REFS[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def parse_telegram_html(text: str) -> tuple[str, list[JSONDict]]:
    """Parse ``text`` the way Telegram parses ``parse_mode=HTML``; return (plain text, entities).

    Stricter than Telegram in one way, on purpose: a bare ``&`` or ``>`` outside a tag is an
    error here (Telegram tolerates some), because it almost always means user text was echoed
    without ``html.escape``. Entity offsets and lengths are in UTF-16 code units, as in the API.
    """
    plain: list[str] = []
    offset = 0  # UTF-16 length of the plain text so far
    stack: list[tuple[str, int, dict[str, str], int]] = []  # tag, start, attributes, byte pos
    pre_languages: dict[int, str] = {}  # stack depth of a <pre> -> language from inner <code>
    entities: list[JSONDict] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<":
            match = _TAG_RE.match(text, pos)
            if match is None:
                raise HtmlError(
                    f'unescaped "<" at byte offset {_byte_offset(text, pos)} (write &lt;)'
                )
            closing = match.group(1) == "/"
            name = match.group(2).lower()
            if name not in _HTML_ENTITY_TYPES:
                kind = "end" if closing else "start"
                raise HtmlError(
                    f'Unsupported {kind} tag "{name}" at byte offset {_byte_offset(text, pos)}'
                )
            if closing:
                if not stack:
                    raise HtmlError(f"Unexpected end tag at byte offset {_byte_offset(text, pos)}")
                open_name, start, attributes, _ = stack.pop()
                if open_name != name:
                    raise HtmlError(
                        f"Unmatched end tag at byte offset {_byte_offset(text, pos)}, "
                        f'expected "</{open_name}>", found "</{name}>"'
                    )
                entity = _html_entity(open_name, start, offset - start, attributes)
                language = attributes.get("class", "")
                if (
                    open_name == "code"
                    and stack
                    and stack[-1][0] == "pre"
                    and language.startswith("language-")
                ):
                    # <pre><code class="language-x"> is one pre entity with a language.
                    pre_languages[len(stack)] = language.removeprefix("language-")
                    entity = None
                pre_language = pre_languages.pop(len(stack) + 1, "") if open_name == "pre" else ""
                if pre_language and entity is not None:
                    entity["language"] = pre_language
                if entity is not None:
                    entities.append(entity)
            else:
                attributes = {
                    m.group(1).lower(): _unescape_attribute(
                        next((g for g in m.groups()[1:] if g is not None), "")
                    )
                    for m in _ATTR_RE.finditer(match.group(3))
                }
                if name == "span" and attributes.get("class") != "tg-spoiler":
                    raise HtmlError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset '
                        f"{_byte_offset(text, pos)}"
                    )
                stack.append((name, offset, attributes, pos))
            pos = match.end()
        elif char == ">":
            raise HtmlError(f'unescaped ">" at byte offset {_byte_offset(text, pos)} (write &gt;)')
        elif char == "&":
            ref = _CHAR_REF_RE.match(text, pos)
            decoded = _decode_char_ref(ref) if ref else None
            if ref is None or decoded is None:
                raise HtmlError(
                    f'unescaped "&" at byte offset {_byte_offset(text, pos)} (write &amp;)'
                )
            plain.append(decoded)
            offset += utf16_length(decoded)
            pos = ref.end()
        else:
            plain.append(char)
            offset += 2 if ord(char) > 0xFFFF else 1
            pos += 1
    if stack:
        name, _, _, start_pos = stack[-1]
        raise HtmlError(
            f'Can\'t find end tag corresponding to start tag "{name}" '
            f"at byte offset {_byte_offset(text, start_pos)}"
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(plain), entities


def _html_entity(
    tag: str, offset: int, length: int, attributes: dict[str, str]
) -> JSONDict | None:
    if length == 0:
        return None  # Telegram drops empty entities
    entity: JSONDict = {"type": _HTML_ENTITY_TYPES[tag], "offset": offset, "length": length}
    if tag == "a":
        if not attributes.get("href"):
            return None  # Telegram ignores a link without a target
        entity["url"] = attributes["href"]
    elif tag == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attributes.get("emoji-id", "")
    return entity


def visible_text(text: str, entities: list[JSONDict] | None = None) -> str:
    """Plain text as a terminal can show it: a link keeps its target visible after its label."""
    links = [e for e in entities or [] if e.get("type") == "text_link" and e.get("url")]
    if not links:
        return text
    units = text.encode("utf-16-le")
    pieces: list[str] = []
    done = 0  # UTF-16 units of the text already placed in pieces
    for link in sorted(links, key=lambda e: e["offset"] + e["length"]):
        end = link["offset"] + link["length"]
        label = units[2 * link["offset"] : 2 * end].decode("utf-16-le")
        pieces.append(units[2 * done : 2 * end].decode("utf-16-le"))
        if label != link["url"]:
            pieces.append(f" ({link['url']})")
        done = end
    pieces.append(units[2 * done :].decode("utf-16-le"))
    return "".join(pieces)


def html_to_text(text: str) -> str:
    """Telegram HTML as the plain text a reader sees; links keep their target visible."""
    return visible_text(*parse_telegram_html(text))
