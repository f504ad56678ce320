"""Links for long lists, built without a ``reverse()`` per row."""

from collections.abc import Callable
from functools import cache

from django.urls import get_script_prefix, reverse

_MARKER = 2_147_483_647  # a primary key no row has, to split the reversed path around


@cache
def _around_pk(viewname: str, script_prefix: str) -> tuple[str, str]:
    """What comes before and after the primary key in the view's path: reversed once per
    (view, script prefix) for the life of the process, like the menu's links."""
    prefix, suffix = reverse(viewname, args=[_MARKER]).split(str(_MARKER))
    return prefix, suffix


def url_for_pk(viewname: str) -> Callable[[int], str]:
    """``reverse(viewname, args=[pk])`` for every row of a page without a reverse() each: on
    the worklist and the home page's board, reversing each row's links took a quarter of the
    rendering time."""
    prefix, suffix = _around_pk(viewname, get_script_prefix())
    return lambda pk: f"{prefix}{pk}{suffix}"
