"""QR codes as inline SVG (segno): no image files, no external service, sharp at any size."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str, *, scale: int = 4, title: str = "") -> SafeString:
    """An <svg> element encoding `url` (error correction M survives a smudged printout).

    It has a viewBox and no fixed size, so the page's CSS sizes it (a day sheet's corner, a
    projected slide) without clipping; `scale` only sets the path's units.
    """
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(
        scale=scale, border=2, title=title or None, dark="#000", light="#fff", omitsize=True
    )
    return mark_safe(svg)  # noqa: S308  segno writes the markup; `title` is XML-escaped by it
