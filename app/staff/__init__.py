"""Staff import from an HR system's CSV export: parsing (csv_import) and planning (plan)."""
