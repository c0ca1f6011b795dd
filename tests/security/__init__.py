"""The security suite: throttling, headers, sessions, redirects, bad input, sanitising, fuzzing."""
