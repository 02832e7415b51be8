"""People, roles, departments, sign-in and passwords."""
