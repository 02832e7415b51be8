from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from app.accounts.models import Role
from app.accounts.passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH * 4)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        description=f"At least {MIN_LENGTH} characters. A few unrelated words make a strong, memorable password.",
    )
    confirm = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("new_password", "The two new passwords differ.")]
    )


class PersonForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=300)])
    role = SelectField("Role", choices=[SelectChoice(r.value, r.value.capitalize()) for r in Role])
    manager_id = SelectField("Manager", coerce=int, validate_choice=True)
    department = StringField("Department", validators=[Optional(), Length(max=200)])
    hire_date = DateField("Hire date", validators=[Optional()])


class NewPasswordForm(FlaskForm):
    """Choosing a password from an invitation or a reset link."""

    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)])
    confirm = PasswordField("New password again", validators=[DataRequired(), EqualTo("new_password",
                                                                                      "The two passwords differ.")])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Your work email", validators=[DataRequired(), Length(max=254)])


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token."""


class TimeZoneForm(FlaskForm):
    timezone = SelectField("Time zone", validate_choice=True)
