"""Fast row writing for ``seed_bulk``: ids reserved up front, rows streamed to the database.

On PostgreSQL the rows go through ``COPY ... FROM STDIN`` while Python draws the next ones
(the server indexes one chunk while the client formats the next). Elsewhere (SQLite, for the
tests) they go through ``executemany`` with each value prepared by its model field, which is
slower but the same rows.

Ids are reserved before the rows are written so that children can point at their parents
without reading anything back: from the table's sequence on PostgreSQL, from ``max(id)`` on
SQLite. The command refuses to run beside another writer of these tables, so no one else takes
ids from the reserved blocks.
"""

import hashlib
import io
import json
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, models, transaction

from intake.models import MRN_ALPHABET, MRN_LENGTH, MRN_PREFIX

# What marks a patient as bulk-seeded (the reset deletes by it). example.org is reserved for
# examples, so no message can reach anyone.
BULK_EMAIL_DOMAIN = "bulk.example.org"
BULK_CHAIR_PREFIX = "Bulk chair"


def token_hash(kind: str, pk: int) -> str:
    """A link's stored hash, unique per row. The token behind it was never made, so no bulk
    link can be opened."""
    return hashlib.sha256(f"bulk-{kind}-link:{pk}".encode()).hexdigest()


# Small lists, combined: first names x (common surnames + compound ones) gives about 180,000
# full names, so a search by full name finds a handful of patients even at 100,000.
FIRST_NAMES = (
    "Aaron", "Abigail", "Adam", "Adrian", "Aiden", "Alexis", "Alice", "Allison", "Amanda", "Amber",
    "Amy", "Andrea", "Angela", "Anna", "Anthony", "Ariana", "Ashley", "Austin", "Bailey",
    "Benjamin", "Beth", "Blake", "Brandon", "Brenda", "Brian", "Brittany", "Brooke", "Caleb",
    "Cameron", "Carlos", "Carmen", "Caroline", "Carter", "Cassandra", "Catherine", "Chad",
    "Charles", "Chloe", "Christian", "Christina", "Claire", "Cody", "Colin", "Connor", "Courtney",
    "Crystal", "Cynthia", "Dana", "Daniel", "Danielle", "Darius", "Deborah", "Denise", "Derek",
    "Diana", "Diego", "Dominic", "Donna", "Dylan", "Edward", "Elena", "Elijah", "Elizabeth",
    "Ellie", "Emily", "Emma", "Eric", "Erica", "Erin", "Ethan", "Evan", "Faith", "Felix",
    "Fernando", "Gabriel", "Gavin", "Grace", "Hailey", "Hannah", "Hector", "Heather", "Holly",
    "Hunter", "Ian", "Isaac", "Isabel", "Ivan", "Jacob", "Jada", "Jamal", "James", "Jasmine",
    "Jason", "Javier", "Jenna", "Jeremy", "Jesse", "Jessica", "Joanna", "Joel", "Jonathan",
    "Jordan", "Jorge", "Joseph", "Julia", "Julian", "Justin", "Kaitlyn", "Karen", "Katherine",
    "Kayla", "Keith", "Kelly", "Kenji", "Kevin", "Kiara", "Kyle", "Laura", "Lauren", "Leah", "Leo",
    "Liam", "Linda", "Logan", "Lucas", "Lucy", "Luis", "Madison", "Malik", "Marcus", "Maria",
    "Marissa", "Mark", "Mason", "Megan", "Melissa", "Miguel", "Mila", "Molly", "Monica", "Morgan",
    "Nadia", "Natalie", "Nathan", "Nicole", "Noah", "Nora", "Omar", "Paige", "Patrick", "Paula",
    "Peter", "Priya", "Rachel", "Rafael", "Rebecca", "Riley", "Robert", "Rosa", "Ruby", "Ryan",
    "Samantha", "Samuel", "Sara", "Sean", "Sergio", "Shannon", "Sofia", "Stephanie", "Steven",
    "Tara", "Taylor", "Teresa", "Thomas", "Tiffany", "Travis", "Trevor", "Tyler", "Valerie",
    "Vanessa", "Victor", "Victoria", "Vincent", "Wesley", "Whitney", "William", "Xavier", "Yasmin",
    "Zachary", "Zoe"
)  # fmt: skip
NICKNAMES = {
    "Abigail": "Abby", "Alexander": "Alex", "Andrea": "Andie", "Anthony": "Tony",
    "Benjamin": "Ben", "Catherine": "Cat", "Christina": "Tina", "Daniel": "Dan",
    "Deborah": "Deb", "Edward": "Ed", "Elizabeth": "Liz", "Jacob": "Jake", "Jessica": "Jess",
    "Jonathan": "Jon", "Joseph": "Joe", "Katherine": "Kate", "Nathan": "Nate",
    "Patrick": "Pat", "Rebecca": "Becca", "Robert": "Rob", "Samantha": "Sam", "Samuel": "Sam",
    "Stephanie": "Steph", "Thomas": "Tom", "Victoria": "Tori", "William": "Will",
    "Zachary": "Zach",
}  # fmt: skip
COMMON_SURNAMES = (
    "Adams", "Ahmed", "Alexander", "Allen", "Alvarez", "Anderson", "Bailey", "Baker", "Banks",
    "Barnes", "Bell", "Bennett", "Brooks", "Brown", "Bryant", "Butler", "Campbell", "Carter",
    "Castillo", "Chavez", "Chen", "Clark", "Coleman", "Collins", "Cook", "Cooper", "Cox", "Cruz",
    "Davis", "Diaz", "Edwards", "Evans", "Fisher", "Flores", "Foster", "Garcia", "Gomez",
    "Gonzalez", "Gray", "Green", "Griffin", "Hall", "Harris", "Hayes", "Henderson", "Hernandez",
    "Hill", "Howard", "Hughes", "Jackson", "James", "Jenkins", "Johnson", "Jones", "Kelly", "Kim",
    "King", "Lee", "Lewis", "Long", "Lopez", "Martin", "Martinez", "Mendoza", "Miller", "Mitchell",
    "Moore", "Morales", "Morgan", "Morris", "Murphy", "Myers", "Nelson", "Nguyen", "Ortiz",
    "Parker", "Patel", "Perez", "Perry", "Peterson", "Phillips", "Powell", "Price", "Ramirez",
    "Reed", "Reyes", "Richardson", "Rivera", "Roberts", "Robinson", "Rodriguez", "Rogers", "Ross",
    "Russell", "Sanchez", "Sanders", "Scott", "Shah", "Simmons", "Smith", "Stewart", "Sullivan",
    "Taylor", "Thomas", "Thompson", "Torres", "Tran", "Turner", "Walker", "Ward", "Washington",
    "Watson", "White", "Williams", "Wilson", "Wood", "Wright", "Young"
)  # fmt: skip
SURNAME_STEMS = (
    "Ash", "Black", "Brad", "Brook", "Cald", "Clay", "Cran", "Dal", "Dun", "East", "Fair", "Fox",
    "Gold", "Green", "Hart", "Hay", "Hol", "Kings", "Lang", "Lock", "Mar", "Mid", "Mill", "Nor",
    "Oak", "Pen", "Rad", "Red", "Ros", "Stan", "Thorn", "Wal", "West", "Whit", "Wood", "Wyn"
)  # fmt: skip
SURNAME_ENDINGS = (
    "ford", "well", "ley", "wood", "ton", "field", "by", "worth", "more", "dale", "hurst", "wick",
    "ridge", "brook", "croft", "stead"
)  # fmt: skip
SURNAMES = tuple(COMMON_SURNAMES) + tuple(
    stem + ending for stem in SURNAME_STEMS for ending in SURNAME_ENDINGS
)
STREETS = (
    "Oak Street", "Maple Avenue", "Cedar Lane", "Pecan Drive", "Lamar Boulevard",
    "Congress Avenue", "Guadalupe Street", "Riverside Drive", "Burnet Road", "Red River Street",
    "Manor Road", "Airport Boulevard", "South 1st Street", "Barton Springs Road",
)  # fmt: skip
# (city, first three digits of its ZIP codes, area code)
CITIES = (
    ("Austin", "787", "512"), ("Round Rock", "786", "512"), ("Cedar Park", "786", "512"),
    ("Georgetown", "786", "512"), ("Pflugerville", "786", "737"), ("San Marcos", "786", "512"),
    ("Kyle", "786", "737"), ("Leander", "786", "737"),
)  # fmt: skip
RELATIONSHIPS = ("Spouse", "Partner", "Parent", "Sibling", "Friend", "Adult child")


def mrns(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """``count`` MRNs in the clinic's format, drawn from ``rng`` and unique among themselves
    and ``taken`` (checked here, in memory, rather than by the database one insert at a time)."""
    made: list[str] = []
    seen = set(taken)
    while len(made) < count:
        mrn = MRN_PREFIX + "-" + "".join(rng.choices(MRN_ALPHABET, k=MRN_LENGTH))
        if mrn not in seen:
            seen.add(mrn)
            made.append(mrn)
    return made


def answers_adding_up(total: int, items: int) -> list[int]:
    """Item answers (0-3) adding up to ``total``, spread evenly."""
    answers = [0] * items
    for index in range(min(total, items * 3)):
        answers[index % items] += 1
    return answers


# --- Writing -----------------------------------------------------------------------------


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPES)
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is Decimal:
        return str(value)
    if kind is datetime or kind is date:
        return value.isoformat()
    if kind is list or kind is dict:
        return json.dumps(value).translate(_ESCAPES)
    if isinstance(value, str):  # a TextChoices member
        return str.translate(value, _ESCAPES)
    if isinstance(value, int):
        return str(int(value))
    raise TypeError(f"no COPY format for {kind.__name__}")


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class _CopySource(io.TextIOBase):
    """A file-like object that formats rows only as COPY asks for them."""

    def __init__(self, rows: Iterator[Sequence], suffix: str = ""):
        self._rows = rows
        self._end = suffix + "\n"
        self._buffer = ""
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        parts = [self._buffer]
        length = len(self._buffer)
        want = size if size and size > 0 else 1 << 62
        for row in self._rows:
            line = "\t".join([_copy_text(value) for value in row]) + self._end
            parts.append(line)
            length += len(line)
            self.count += 1
            if length >= want:
                break
        text = "".join(parts)
        if size and size > 0:
            self._buffer, text = text[size:], text[:size]
        else:
            self._buffer = ""
        return text


class RowWriter:
    """Reserves ids and writes rows, counting them per table."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}
        self._next_id: dict[str, int] = {}

    def reserve_ids(self, model: type[models.Model], count: int) -> int:
        """The first of ``count`` consecutive ids no one else will be given."""
        table = model._meta.db_table
        if count <= 0:
            return 0
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                    " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                    [table, table, count],
                )
                return cursor.fetchone()[0] - count + 1
            if table not in self._next_id:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
                self._next_id[table] = cursor.fetchone()[0]
        first = self._next_id[table]
        self._next_id[table] = first + count
        return first

    def write(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]
    ) -> int:
        """Insert ``rows`` (tuples in the order of ``columns``, attnames such as
        ``patient_id``) in one transaction; returns how many were written. Columns not named
        get their field's default (COPY knows nothing of Django's defaults); a column with no
        default and no value fails loudly on its NOT NULL."""
        table = model._meta.db_table
        fields = [model._meta.get_field(name) for name in columns]
        named = {field.attname for field in fields}
        defaults = [
            field
            for field in model._meta.concrete_fields
            if field.attname not in named and not field.primary_key
        ]
        fields += defaults
        extra = tuple(field.get_default() for field in defaults)
        names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        with transaction.atomic(), connection.cursor() as cursor:
            if self.postgres:
                suffix = "".join("\t" + _copy_text(value) for value in extra)
                source = _CopySource(iter(rows), suffix)
                cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", source, size=1 << 16)
                written = source.count
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                prepared = [
                    [
                        field.get_db_prep_save(value, connection)
                        for field, value in zip(fields, (*row, *extra), strict=True)
                    ]
                    for row in rows
                ]
                if prepared:
                    cursor.executemany(
                        f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608
                        prepared,
                    )
                written = len(prepared)
        self.counts[table] = self.counts.get(table, 0) + written
        return written
