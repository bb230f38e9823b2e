"""What services ask of storage, per feature: typed store protocols and the neutral records they return.

Services depend on these protocols; the repositories in storage/ implement them structurally and
`bot.composition` wires the concrete ones (fakes in tests). Nothing here imports storage or a messenger.
"""
