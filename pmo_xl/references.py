"""What a report's HTML may point at: nothing outside the report.

A report is one self-contained file that is e-mailed and opened anywhere, so its HTML may
reference only what it carries itself: `data:` URIs and `#anchors`; links (`<a href>`,
`<area href>`) may also be `mailto:` (it opens the reader's mail program and sends nothing by
itself) or the name of another report in the same folder (the index needs those). Everything
else a template could add is refused, because it would make the reader's browser, or a PDF
engine, fetch something: a URL with a scheme (http, https, ftp, file, ws, javascript, ...), a
protocol-relative `//host` or `\\\\host`, a path, a `<base>`, a `<meta http-equiv="refresh">`,
script (`<script>`, `on...=` attributes), embedded documents (`<iframe>`, `<object>`,
`<embed>`, ...), stylesheets loaded from elsewhere (`<link rel="stylesheet">`, `@import`) and
CSS `url()` or `image-set()` pointing outside.

`outside_references(html)` lists them. The HTML is read with the standard library's parser,
which is not a browser's: where the two can disagree (a comment a browser ends early, a
`<![CDATA[` section, a `</style x>`), the text in question is read both ways, so the check
errs towards refusing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

# Elements a report never needs that load, run or embed something.
_REFUSED_ELEMENTS = {
    "script": "runs script", "base": "sends every relative link elsewhere",
    "iframe": "embeds another document", "frame": "embeds another document",
    "frameset": "embeds other documents", "object": "embeds another document",
    "embed": "embeds another document", "applet": "embeds a program",
    "portal": "embeds another document", "fencedframe": "embeds another document"}
# Attributes whose value is a URL that is fetched (on any element; `href` only where it is
# not a link) and those holding several.
_RESOURCE_ATTRIBUTES = {"src", "poster", "data", "action", "formaction", "background",
                        "manifest", "codebase", "classid", "longdesc", "lowsrc", "dynsrc",
                        "icon", "cite", "href", "xlink:href"}
_LIST_ATTRIBUTES = {"ping", "archive"}  # URLs separated by spaces
_SRCSET_ATTRIBUTES = {"srcset", "imagesrcset"}
_LINK_ELEMENTS = {"a", "area"}
# Attributes whose value is CSS (SVG presentation attributes that take url() included).
_CSS_ATTRIBUTES = {"style", "fill", "stroke", "filter", "mask", "clip-path", "marker-start",
                   "marker-mid", "marker-end", "cursor"}

_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*:")
_SIBLING = re.compile(r"[^/\\:?#]+(#.*)?")  # a file name in the report's folder
_URL_NOISE = re.compile(r"[\t\n\r]")  # a browser drops these anywhere in a URL


@dataclass(frozen=True)
class Reference:
    """One thing in the HTML that points outside the report."""

    shown: str  # what it is, as the template author would recognise it: <img src="http://…">
    needle: str  # text to look for in the template sources, to name the line
    why: str  # what it does, and so what to do about it


def outside_references(html: str) -> list[Reference]:
    """Every reference in the document to something outside the report (module docstring)."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.found


def _inside(value: str, link: bool) -> bool:
    """Whether a URL stays inside the report: empty, an #anchor or a data: URI; for a link
    also mailto: or the name of a file beside the report."""
    url = _URL_NOISE.sub("", value).strip(" \t\n\f\r")
    lowered = url.lower()
    if not url or url.startswith("#") or lowered.startswith("data:"):
        return True
    if not link:
        return False
    if lowered.startswith("mailto:"):
        return True
    return (not _SCHEME.match(lowered) and _SIBLING.fullmatch(url) is not None
            and url.split("#")[0] not in (".", ".."))


_SRCSET_URL = re.compile(r"[\s,]*(\S+)")
_SRCSET_DESCRIPTORS = re.compile(r"[^,(]*(?:\([^)]*\)[^,(]*)*,?")


def _srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset: each candidate a URL (which may hold commas, as data: URIs do)
    and optional descriptors, candidates separated by commas (the HTML standard's steps)."""
    urls, at = [], 0
    while (match := _SRCSET_URL.match(value, at)) is not None:
        url = match[1]
        at = match.end()
        if url.endswith(","):
            url = url.rstrip(",")
        else:  # skip this candidate's descriptors, up to its comma
            at = _SRCSET_DESCRIPTORS.match(value, at).end()  # type: ignore[union-attr]
        urls.append(url)
    return urls


# --- CSS --------------------------------------------------------------------------------------

_CSS_COMMENT = re.compile(r"/\*.*?(\*/|\Z)", re.DOTALL)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?|\\(.)", re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))""", re.IGNORECASE)
_CSS_STRING_FUNCTION = re.compile(r"(?:image-set|src)\(([^)]*)\)", re.IGNORECASE)
_CSS_STRING = re.compile(r""""([^"]*)"|'([^']*)'""")


def _css_unescaped(css: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match[1]:
            code = int(match[1], 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return match[2]
    return _CSS_ESCAPE.sub(one, _CSS_COMMENT.sub(" ", css))


@lru_cache(maxsize=256)  # every report of a batch carries the same stylesheet
def css_references(css: str) -> tuple[tuple[str, str], ...]:
    """(what, why) for each @import and each url() or image-set() outside the report, read
    as CSS and, in case a browser decodes character references first (SVG), unescaped."""
    found: list[tuple[str, str]] = []
    for text in dict.fromkeys((_css_unescaped(css), _css_unescaped(unescape(css)))):
        if "@import" in text.lower():
            found.append(("@import", "loads another stylesheet: put its rules here instead"))
        urls = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(text)]
        for function in _CSS_STRING_FUNCTION.finditer(text):
            urls += [m[1] if m[1] is not None else m[2]
                     for m in _CSS_STRING.finditer(function[1])]
        found += [(f"url({url})", "points outside the report") for url in urls
                  if not _inside(url, link=False)]
    return tuple(dict.fromkeys(found))


# --- HTML -------------------------------------------------------------------------------------


class _Scanner(HTMLParser):
    """Collects `Reference`s from every tag, attribute and stylesheet of a document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Reference] = []

    def _refuse(self, shown: str, needle: str, why: str) -> None:
        self.found.append(Reference(shown, needle, why))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _REFUSED_ELEMENTS:
            self._refuse(f"<{tag}>", f"<{tag}", _REFUSED_ELEMENTS[tag])
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and values.get("http-equiv", "").strip().lower() == "refresh":
            self._refuse('<meta http-equiv="refresh">', "refresh", "loads another page")
        if tag.startswith(("animate", "set")) and values.get(
                "attributename", "").strip().lower() in ("href", "xlink:href"):
            self._refuse(f"<{tag} attributeName=…>", f"<{tag}",
                         "changes a link or image address")
        rel = values.get("rel", "").lower().split()
        if tag == "link" and ("stylesheet" in rel or "import" in rel):
            self._refuse(f'<link rel="{values["rel"]}">', "<link",
                         "loads a stylesheet from elsewhere: put the CSS in a <style> "
                         "element (e.g. {% include \"my.css\" %})")
        for name, value in values.items():
            self._attribute(tag, name, value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def _attribute(self, tag: str, name: str, value: str) -> None:
        shown = f'<{tag} {name}="{value}">'
        if name.startswith("on"):
            self._refuse(f"<{tag} {name}=…>", name, "runs script")
        elif name == "srcdoc":
            self._refuse(f"<{tag} srcdoc=…>", name, "embeds another document")
        elif name in _CSS_ATTRIBUTES:
            for what, why in css_references(value):
                self._refuse(f"{what} in <{tag} {name}>", what.removeprefix("url(")
                             .removesuffix(")"), why)
        else:
            link = tag in _LINK_ELEMENTS and name in ("href", "xlink:href")
            if name in _SRCSET_ATTRIBUTES:
                urls = _srcset_urls(value)
            elif name in _LIST_ATTRIBUTES:
                urls = value.split()
            elif name in _RESOURCE_ATTRIBUTES:
                urls = [value]
            else:
                return
            for url in urls:
                if not _inside(url, link):
                    self._refuse(shown, url.strip(), "points outside the report")

    def handle_data(self, data: str) -> None:
        if self.cdata_elem == "style":
            for what, why in css_references(data):
                self._refuse(f"{what} in <style>", what.removeprefix("url(")
                             .removesuffix(")"), why)
        if self.cdata_elem is not None and "<" in data:
            self._nested(data)  # a browser may end the element earlier (`</style x>`)

    def handle_comment(self, data: str) -> None:
        if "<" in data:
            self._nested(data)  # a browser may end the comment earlier (`<!-->`, `--!>`)

    def unknown_decl(self, data: str) -> None:
        if "<" in data:
            self._nested(data)  # to a browser, `<![CDATA[` in HTML ends at the first '>'

    def _nested(self, text: str) -> None:
        inner = _Scanner()
        inner.feed(text)
        inner.close()
        self.found += inner.found
