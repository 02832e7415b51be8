"""The Check a post form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.postcheck.services import MAX_LENGTH

PLATFORM_NAMES = {"instagram": "Instagram", "facebook": "Facebook", "tiktok": "TikTok", "linkedin": "LinkedIn",
                  "x": "X (Twitter)", "youtube": "YouTube", "google-reviews": "A reply to a Google review",
                  "yelp": "A reply to a Yelp review", "other": "Somewhere else"}


class PostCheckForm(FlaskForm):
    text = TextAreaField("Your draft", render_kw={"rows": 8},
                         validators=[DataRequired(message="Paste the text of your post."), Length(max=MAX_LENGTH)],
                         description="The post, caption or reply exactly as you would publish it.")
    platform = SelectField("Where will it go?", choices=[SelectChoice(k, v) for k, v in PLATFORM_NAMES.items()],
                           default="instagram")
    save = BooleanField("Keep this check in my saved checks (only you can see them)")

KIND_LABELS = {
    "name": "A name", "date": "A date", "age_over_89": "An age over 89", "phone": "A phone number",
    "email": "An email address", "record_number": "A record or account number", "room_bed": "A room or bed",
    "address": "An address or place", "patient_url": "A link to a patient's page",
    "photo_filename": "A file name with a name in it", "identifying_combination": "Details that point to one person",
    "confirms_patient": "Confirms someone is a patient", "sensitive_condition": "A sensitive condition",
    "child": "A child's care", "unsupported_claim": "A claim that needs proof",
    "results_without_typical": "A result without what most people can expect",
    "missing_ad_disclosure": "No #ad or \"Paid partnership\" label", "review_incentive": "A reward for good reviews",
}
