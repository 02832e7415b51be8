from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class RuleForm(FlaskForm):
    certification = SelectField("Must hold", validators=[DataRequired()])
    department = SelectField("People in department", default="")
    role = SelectField("With the role", default="", choices=[SelectChoice(v, label) for v, label in (
        ("", "Any role"), ("employee", "Employee"), ("manager", "Manager"), ("admin", "Admin"))])


class PlatformRequestForm(FlaskForm):
    certification = StringField(validators=[DataRequired(), Length(max=60)])
    note = TextAreaField("What will you post there? (optional)", validators=[Length(max=1000)])


class DecisionForm(FlaskForm):
    decision = SelectField(choices=[SelectChoice("approve", "Approve"), SelectChoice("decline", "Decline")],
                           validators=[DataRequired()])
    note = StringField("Note to the person (optional)", validators=[Length(max=1000)])
