"""Reviewing a diff: the engine, the diff parser, file selection, findings, the model-reply
schema and the cache. Nothing here prints; reporters/ renders what the engine returns."""
