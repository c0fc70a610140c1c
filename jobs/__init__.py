"""Thin job entry points: parse arguments, load config, get the session, call transforms, write, log."""
