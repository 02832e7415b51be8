"""Scenario quizzes: drawing, attempts, grading and completion."""
