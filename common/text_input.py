"""What text people may type: one-line fields stay on one line, free text has a ceiling.

One-line values (an organization's name, a contact's name, a street, a city, a phone number,
a venue) end up in calendar properties, email headers and bodies that LiNK signs; a line break
in them would let whoever typed it plant lines of their own there ("On-site contact: …"). They
refuse every control character (Unicode category Cc: \\r, \\n, \\t, NUL, …) and the Unicode line
and paragraph separators. Free text (notes, topics, comments) may span lines but stops at
FREE_TEXT_MAX_CHARS, far above anything a host writes and far below what bloats every page that
shows it.

The validators are attached to the model fields, so the admin, the board's model forms, the API's
model serializers and events.intake (which calls full_clean) all apply the same rule.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

FREE_TEXT_MAX_CHARS = 5_000
_LINE_SEPARATORS = {"\u2028", "\u2029", "\x85"}


def has_control_characters(value: object) -> bool:
    return isinstance(value, str) and any(
        unicodedata.category(char) == "Cc" or char in _LINE_SEPARATORS for char in value
    )


@deconstructible
class OneLineValidator:
    message = _(
        "Use a single line: line breaks, tabs and other control characters are not allowed."
    )
    code = "control_characters"

    def __call__(self, value: object) -> None:
        if has_control_characters(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OneLineValidator)

    def __hash__(self) -> int:
        return hash(self.code)


one_line = OneLineValidator()
free_text_limit = MaxLengthValidator(FREE_TEXT_MAX_CHARS)
