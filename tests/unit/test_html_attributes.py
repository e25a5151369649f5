"""The portal's html_params renders exactly what WTForms' own renders."""

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from portal.html_attributes import WTFORMS_HTML_PARAMS, html_params

KEYS = st.sampled_from(["id", "name", "value", "class_", "for_", "data_effort_kind",
                        "aria_describedby", "aria-invalid", "autocomplete", "maxlength",
                        "required", "checked", "type", "placeholder"])
VALUES = st.one_of(st.booleans(), st.integers(), st.text(),
                   st.text().map(Markup), st.none())


@settings(deadline=None)  # the first example pays for imports
@given(st.dictionaries(KEYS, VALUES, max_size=10))
def test_attributes_as_wtforms_renders_them(attributes: dict) -> None:
    assert html_params(**attributes) == WTFORMS_HTML_PARAMS(**attributes)


def test_a_value_is_escaped_quotes_and_all() -> None:
    assert html_params(value='"><script>', checked=True, readonly=False) == \
        'checked value="&#34;&gt;&lt;script&gt;"'
    assert html_params(value=Markup('say "hi"')) == 'value="say &quot;hi&quot;"'


def test_installed_for_the_portals_forms(app) -> None:
    from wtforms import StringField

    from portal.fields import Form

    class Probe(Form):
        name = StringField("Name")

    with app.test_request_context():
        form = Probe(meta={"csrf": False})
        assert str(form.name(class_="wide")) == \
            '<input class="wide" id="name" name="name" type="text" value="">'
        assert str(form.name.label) == '<label for="name">Name</label>'
        import wtforms.widgets.core
        assert wtforms.widgets.core.html_params is html_params
