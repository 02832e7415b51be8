"""Courses as files, loaded into immutable versions; lessons and learning progress."""
