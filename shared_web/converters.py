"""The URL converters every Inkpot app uses in place of Flask's own."""

from werkzeug.routing import IntegerConverter

# Ids in URLs have at most nine digits: far more rows than Inkpot will hold, and
# within the integer columns of every database it runs on (2**31 - 1).
ROW_ID_DIGITS = 9


class RowIdConverter(IntegerConverter):
    """`<int:…>`: a row id of at most nine digits; a longer number matches no route (404).

    Unbounded, such a number reached the database, which cannot take it (SQLite
    cannot bind it, PostgreSQL refuses it), and the page crashed. The bound is in
    the regex rather than in `max`: Werkzeug applies `max` only after it has picked
    a rule, and a refusal then reads as 405 where a URL has a rule per method.
    """

    regex = rf"\d{{1,{ROW_ID_DIGITS}}}"

    def __init__(self, map, *args, **kwargs):
        # Not checked (the regex already is), but the OpenAPI document shows it.
        kwargs.setdefault("max", 10**ROW_ID_DIGITS - 1)
        super().__init__(map, *args, **kwargs)
