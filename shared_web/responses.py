"""What the API's answers carry besides JSON: absolute links, the next page's Link, no body."""

from flask import Response, current_app, request, url_for

from shared_models.queries import KeysetPage
from shared_web.fields import encode_cursor


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for the endpoint, built from PUBLIC_URL when it is set.

    Without PUBLIC_URL (development) it follows the request's own host.
    """
    base = current_app.config["PUBLIC_URL"]
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def next_page_link(page: KeysetPage, limit: int) -> dict[str, str]:
    """The Link header to the page after this one (RFC 8288); none after the last page."""
    if page.next_key is None:
        return {}
    url = public_url(
        request.endpoint, **request.view_args, cursor=encode_cursor(page.next_key), limit=limit
    )
    return {"Link": f'<{url}>; rel="next"'}


class _NoContent(Response):
    # Not even a Content-Type: there is no content for it to describe.
    default_mimetype = None


def no_content() -> Response:
    """An empty 204 answer, as to a deletion."""
    return _NoContent(status=204)
