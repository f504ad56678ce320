"""``{{ value|day }}``, ``{{ value|day_time }}``, ``{{ value|time_of_day }}``: the clinic's
date formats (clinic/dates.py). Built in to every template (TEMPLATES' "builtins")."""

from django import template

from .. import dates

register = template.Library()
register.filter("day", dates.day, is_safe=True)
register.filter("day_time", dates.day_time, is_safe=True)
register.filter("time_of_day", dates.time_of_day, is_safe=True)
