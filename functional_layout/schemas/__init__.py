"""The API's JSON schemas (marshmallow), one module per area that has an API: only `api`."""
