"""Open311 answers in both formats: JSON (UTF-8, Chinese kept readable) and XML built with
xml.etree, which escapes every text; characters XML 1.0 cannot carry are dropped."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

FORMATS = {"json": "application/json", "xml": "text/xml"}

# The XML element of each item of a list, by the list's element (the standard's names).
ITEM_TAGS = {
    "service_requests": "request",
    "services": "service",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}

# Control characters (tab, newline and return aside), lone surrogates and U+FFFE/U+FFFF
# cannot appear in an XML 1.0 document, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def w3c(value: datetime | None) -> str | None:
    """A W3C datetime with the offset of the configured time zone: 2026-05-01T09:30:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        for child in value:
            element.append(_element(ITEM_TAGS[tag], child))
    else:
        element.text = _text(value)
    return element


def to_xml(root: str, value: Any) -> bytes:
    body = ET.tostring(_element(root, value), encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def respond(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """`value` in `fmt`; `root` names the XML document element (JSON has none)."""
    if fmt == "xml":
        content = to_xml(root, value)
    else:
        content = json.dumps(value, ensure_ascii=False).encode()
    return HttpResponse(content, status=status, content_type=f"{FORMATS[fmt]}; charset=utf-8")


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """The standard's error list: [{"code": 400, "description": "…"}]."""
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
