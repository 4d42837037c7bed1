"""The stages of a recipe run (train → sample → evaluate → report), their run folder, preflight and runner."""
