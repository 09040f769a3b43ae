"""Input fields of the API that take JSON as it is written.

DRF's ``CharField`` turns a number into its digits: ``{"note": 5}`` was stored as the note "5", though the schema
says a string (schemathesis' ST201: data outside the schema accepted). A text field of the API takes a string only;
anything else is a 400 on that field ("Måste vara text (en JSON-sträng)."). Output fields are unaffected.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class TextField(serializers.CharField):
    default_error_messages = {"not_text": _("Must be text (a JSON string).")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)
