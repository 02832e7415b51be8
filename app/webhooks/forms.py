"""Forms of the webhooks pages."""
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.webhooks.events import EVENT_TYPES


class EndpointForm(FlaskForm):
    url = StringField("Address (URL)", validators=[DataRequired(), Length(max=2000)],
                      description="Where your social tool receives events, e.g. https://tool.example.com/hooks/postready")
    description = StringField("Which tool is it?", validators=[Length(max=200)],
                              description="Shown in the list, e.g. “Sprout Social”.")
    events = SelectMultipleField(
        "Events it receives", choices=[SelectChoice(t, f"{t}: {text}") for t, text in EVENT_TYPES.items()],
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
        description="Tick none to receive every event, including types added later.")
