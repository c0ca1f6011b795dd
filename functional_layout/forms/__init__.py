"""The site's forms, one module per area; their base class is shared_web.forms.Form."""
