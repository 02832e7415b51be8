from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class SuspendForm(FlaskForm):
    right = SelectField("Which rights", validate_choice=True)
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(min=5, max=1000)],
                           description="Recorded with your name; the person sees it on their rights page.")

    def set_rights(self, rights) -> None:
        self.right.choices = [SelectChoice("", "All posting rights")] + [SelectChoice(r.slug, r.title) for r in rights]


class LiftForm(FlaskForm):
    reason = TextAreaField("Note (optional)", validators=[Optional(), Length(max=1000)])
