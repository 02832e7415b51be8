from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length


class AttestForm(FlaskForm):
    agreed = BooleanField("I have read this policy and I will follow it.")
    typed_name = StringField("Type your full name to sign", validators=[Length(max=200)])
