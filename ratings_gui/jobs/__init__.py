"""Jobs: read -> plan -> apply, each runnable from the window or the CLI."""
