"""Use cases: one module per feature; they take repositories, Outbound and a Clock."""
