"""The site's views, one blueprint per area."""
