"""Home visits to people who need care: the register, the schedule, the visit log."""
