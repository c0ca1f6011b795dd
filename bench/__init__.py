"""`make bench`: Inkpot's load benchmark, its data set, its baseline app and its WSGI wrapper."""
