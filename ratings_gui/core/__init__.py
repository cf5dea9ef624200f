"""Pure code: no I/O, no GUI, no HTTP. Imports nothing from the rest of the package."""
