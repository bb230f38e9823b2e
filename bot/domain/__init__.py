"""Domain models and pure rules: no I/O, no VK, no SQL."""
