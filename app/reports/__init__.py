"""Reports for managers and compliance officers: dashboards, person view, exports, point in time."""
