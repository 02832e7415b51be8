from flask import Blueprint

bp = Blueprint("quizzes", __name__, template_folder="templates")

from app.quizzes import views  # noqa: E402,F401  (registers routes)
