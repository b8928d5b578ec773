#!/usr/bin/env python3
"""Writes the page's Content-Security-Policy: inline style and script are
allowed by their SHA-256 hashes only, every connection is forbidden. Run after
editing web/index.html; the browser tests fail when the hashes are stale."""
import base64
import hashlib
import pathlib
import re

page = pathlib.Path(__file__).with_name("index.html")
html = page.read_text(encoding="utf-8")


def digest(tag):
    (body,) = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"


policy = (
    "default-src 'none'; "
    f"script-src {digest('script')}; style-src {digest('style')}; "
    "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'"
)
html = re.sub(
    r'(<meta http-equiv="Content-Security-Policy" content=")[^"]*(")',
    lambda m: m.group(1) + policy + m.group(2),
    html,
)
page.write_text(html, encoding="utf-8")
print(policy)
