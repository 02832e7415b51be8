from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason for revoking", validators=[DataRequired(), Length(min=5, max=1000)],
                           description="Kept in the record with your name. The public verification page says only "
                                       "that the certificate was revoked, and when.")
