from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason for revoking", validators=[DataRequired(), Length(min=5, max=1000)],
                           description="Recorded with your name and shown on the public verification page.")
