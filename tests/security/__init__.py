"""The security suite, one file per threat; docs/SECURITY.md says what each one proves."""
