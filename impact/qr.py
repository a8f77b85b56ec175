"""QR codes as inline SVG (segno): no image files, no external service, sharp at any size."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe

QUIET_ZONE_MODULES = 4


def qr_svg(url: str, *, scale: int = 4, title: str = "") -> SafeString:
    """An <svg> element encoding `url` (error correction M survives a smudged printout).

    It has a viewBox and no fixed size, so the page's CSS sizes it (a day sheet's corner, a
    projected slide) without clipping; `scale` only sets the path's units.
    """
    code = segno.make(url, error="m", micro=False)
    # The four-module light margin the QR standard asks for (ISO/IEC 18004, "quiet zone"):
    # with less, phones fail to find the code on a dark slide or a busy printout.
    svg = code.svg_inline(
        scale=scale,
        border=QUIET_ZONE_MODULES,
        title=title or None,
        dark="#000",
        light="#fff",
        omitsize=True,
    )
    return mark_safe(svg)  # noqa: S308  segno writes the markup; `title` is XML-escaped by it
