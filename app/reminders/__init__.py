"""Email reminders: due soon, overdue, expiring, and a daily digest for managers."""
