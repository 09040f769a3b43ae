"""Query filters of the API that read a value or refuse it (400), never ignore it.

django-filter's ``BooleanFilter`` reads anything but a yes or a no as "not given": ``?active=-58800`` listed every
provider, though the schema says a boolean (schemathesis' ST201). Left out or empty, the filter is not applied.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

_TRUE = {"true", "True", "1"}
_FALSE = {"false", "False", "0"}


class _YesNoField(forms.Field):
    default_error_messages = {"invalid": _("Use true or false.")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = _YesNoField
