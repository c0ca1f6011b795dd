"""Running Inkpot in production: the WSGI entry, gunicorn settings, nginx and supervisor."""
