"""What services ask of storage, one module per feature: protocols and the neutral records they return.

`storage/` implements them; the composition root (`bot/composition.py`) injects the implementations;
tests pass fakes. Nothing here imports storage or a messenger.
"""
