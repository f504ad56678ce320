"""The clinic's one rule for typed text: no control characters.

A C0 control character (U+0000 to U+001F) or DEL (U+007F), other than a tab, a line feed or a
carriage return, has no place in a name, a note or an answer: nobody types one on purpose (it
comes from a paste, or from a crafted request), it is invisible on the page, and PostgreSQL
refuses NUL outright in a text column and in jsonb (``\\u0000``), which used to turn a draft
save into a server error.

Two ways to apply it, one rule:
- a form refuses the value with a message beside the field (``refuse_control_characters``,
  installed on every text field by ``clinic.forms.TypedInputRules``), keeping what was typed;
- a draft saved as the patient goes (Back, Add row) is never refused, so it is stored
  without them (``without_control_characters``).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict
from django.utils.deconstruct import deconstructible

# C0 controls and DEL, except tab (\x09), line feed (\x0a) and carriage return (\x0d).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTER_MESSAGE = (
    "Remove the control character from this answer: an invisible character, often pasted in "
    "by accident. Retyping the text usually does it."
)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def without_control_characters(value):
    """``value`` (a string, or a list of strings as a form's data holds them) without its
    control characters; anything else as it is."""
    if isinstance(value, str):
        return CONTROL_CHARACTERS.sub("", value)
    if isinstance(value, list | tuple):
        return [without_control_characters(item) for item in value]
    return value


def data_without_control_characters(data: MultiValueDict) -> MultiValueDict:
    """A copy of a request's form data (every value of every key) without control
    characters: what a draft page shows once the draft is saved without them."""
    return MultiValueDict({key: without_control_characters(data.getlist(key)) for key in data})


@deconstructible(path="clinic.text_input.ControlCharacterValidator")
class ControlCharacterValidator:
    """A form or model field's validator: refuses text holding a control character. It stands
    in for Django's own NUL check on a form's text fields (one message, not two)."""

    code = "control_character"

    def __call__(self, value) -> None:
        if value is None:
            return
        text = value if isinstance(value, str) else str(value)
        if has_control_characters(text):
            raise ValidationError(CONTROL_CHARACTER_MESSAGE, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, ControlCharacterValidator)

    def __hash__(self) -> int:
        return hash(self.code)


refuse_control_characters = ControlCharacterValidator()
